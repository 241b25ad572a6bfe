// make-test-model: the tiny preset reproduces the fixtures' layout and vocabulary, the
// 2024 layout (at small sizes) carries the real files' quirks and loads, output is
// deterministic, and the weight scales keep the engine's activations in range.
#include "model/test_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "formats/gguf.h"
#include "model/model_info.h"
#include "model/tensor_table.h"
#include "model/text_decoder.h"
#include "model/vision_encoder.h"
#include "model/weights.h"
#include "ops/fp16.h"
#include "ops/thread_pool.h"
#include "support/test_support.h"

namespace md {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir() {
    std::string t = (fs::temp_directory_path() / "md_tm_XXXXXX").string();
    if (::mkdtemp(t.data()) != nullptr) path_ = t;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string Fixture(const std::string& name) { return test::TestData("fixtures/" + name); }

TestModelOptions Options(uint64_t seed = 1, int threads = 2) {
  TestModelOptions o;
  o.seed = seed;
  o.threads = threads;
  o.tokenizer_path = Fixture("tokenizer-moondream2.gguf");
  return o;
}

std::unique_ptr<GgufFile> Open(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : nullptr;
}

// Mean and standard deviation of a tensor's values.
std::pair<double, double> Stats(const GgufTensorInfo& t) {
  const uint64_t n = t.n_elements();
  double sum = 0, sq = 0;
  for (uint64_t i = 0; i < n; ++i) {
    double v;
    if (t.type == TensorType::kF16) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      v = F16ToF32(h);
    } else {
      float f;
      std::memcpy(&f, t.data + 4 * i, 4);
      v = f;
    }
    sum += v;
    sq += v * v;
  }
  const double mean = sum / static_cast<double>(n);
  return {mean, std::sqrt(sq / static_cast<double>(n) - mean * mean)};
}

TEST(TestModelTest, PresetsDescribeTheRealLayouts) {
  auto full = TestModelPreset("full");
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->f16_matrices);
  EXPECT_TRUE(full->legacy_vision_layout);
  EXPECT_EQ(full->vision.block_count, 28);
  EXPECT_EQ(TextTensorSpecs(full->text).size(), 245u);  // as the real text GGUF
  TensorTableOptions legacy;
  legacy.vision_mlp_swapped = legacy.vision_pos_3d = true;
  EXPECT_EQ(VisionTensorSpecs(full->vision, legacy).size(), 457u);  // as the real mmproj
  EXPECT_EQ(full->text.n_embd, 2048);
  EXPECT_EQ(full->vision.mm_hidden, 8192);
  EXPECT_EQ(full->vision.projection_dim, 2048);
  EXPECT_FALSE(TestModelPreset("huge").ok());
}

TEST(TestModelTest, TinyMatchesTheFixturesLayout) {
  ScratchDir dir;
  auto spec = TestModelPreset("tiny");
  ASSERT_TRUE(spec.ok());
  auto files = WriteTestModel(*spec, dir / "m", Options());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_THAT(files->text, HasSubstr("moondream2-tiny-text-f32.gguf"));
  EXPECT_THAT(files->mmproj, HasSubstr("moondream2-tiny-mmproj-f32.gguf"));
  for (auto [ours_path, theirs_path] :
       {std::pair{files->text, Fixture("moondream2-tiny-text-f32.gguf")},
        std::pair{files->mmproj, Fixture("moondream2-tiny-mmproj-f32.gguf")}}) {
    auto ours = Open(ours_path);
    auto theirs = Open(theirs_path);
    ASSERT_TRUE(ours && theirs);
    // Same keys, same tensors with the same shapes and types, same file size.
    std::set<std::string> a, b;
    for (const GgufKv& kv : ours->kvs()) a.insert(std::string(kv.key));
    for (const GgufKv& kv : theirs->kvs()) b.insert(std::string(kv.key));
    EXPECT_EQ(a, b) << ours_path;
    ASSERT_EQ(ours->tensors().size(), theirs->tensors().size());
    for (const GgufTensorInfo& t : theirs->tensors()) {
      const GgufTensorInfo* u = ours->FindTensor(t.name);
      ASSERT_NE(u, nullptr) << t.name;
      EXPECT_EQ(u->ShapeString(), t.ShapeString()) << t.name;
      EXPECT_EQ(u->type, t.type) << t.name;
    }
    EXPECT_TRUE(DescribeGguf(*ours)["problems"].empty());
  }
  auto text = Open(files->text);
  auto fixture = Open(Fixture("moondream2-tiny-text-f32.gguf"));
  // The vocabulary is the fixture's, token for token and merge for merge.
  EXPECT_EQ(text->GetStringArray("tokenizer.ggml.tokens").value(),
            fixture->GetStringArray("tokenizer.ggml.tokens").value());
  EXPECT_EQ(text->GetStringArray("tokenizer.ggml.merges").value(),
            fixture->GetStringArray("tokenizer.ggml.merges").value());
  EXPECT_EQ(text->GetI32Array("tokenizer.ggml.token_type").value(),
            fixture->GetI32Array("tokenizer.ggml.token_type").value());
  EXPECT_EQ(text->GetU32("tokenizer.ggml.eos_token_id").value(), 1408u);
  EXPECT_EQ(fs::file_size(files->text), fs::file_size(Fixture("moondream2-tiny-text-f32.gguf")));
}

TEST(TestModelTest, DeterministicInSeedNotThreads) {
  ScratchDir dir;
  auto spec = TestModelPreset("tiny");
  auto a = WriteTestModel(*spec, dir / "a", Options(7, 1));
  auto b = WriteTestModel(*spec, dir / "b", Options(7, 3));
  auto c = WriteTestModel(*spec, dir / "c", Options(8, 2));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(test::ReadFileBytes(a->text), test::ReadFileBytes(b->text));
  EXPECT_EQ(test::ReadFileBytes(a->mmproj), test::ReadFileBytes(b->mmproj));
  EXPECT_NE(test::ReadFileBytes(a->text), test::ReadFileBytes(c->text));
}

TEST(TestModelTest, WeightScales) {
  ScratchDir dir;
  auto files = WriteTestModel(*TestModelPreset("tiny"), dir / "m", Options());
  ASSERT_TRUE(files.ok());
  auto f = Open(files->text);
  auto [up_mean, up_std] = Stats(*f->FindTensor("blk.0.ffn_up.weight"));  // fan-in 256
  EXPECT_NEAR(up_mean, 0.0, 0.002);
  EXPECT_NEAR(up_std, 1.0 / 16, 0.02 / 16);
  auto [down_mean, down_std] = Stats(*f->FindTensor("blk.1.ffn_down.weight"));  // fan-in 1024
  EXPECT_NEAR(down_std, 1.0 / 32, 0.02 / 32);
  auto [norm_mean, norm_std] = Stats(*f->FindTensor("blk.0.attn_norm.weight"));
  EXPECT_NEAR(norm_mean, 1.0, 0.03);
  EXPECT_NEAR(norm_std, 0.1, 0.02);
  auto [emb_mean, emb_std] = Stats(*f->FindTensor("token_embd.weight"));
  EXPECT_NEAR(emb_std, 1.0, 0.01);
}

// The full preset's layout at tiny sizes: swapped MLP names, 3-D position embedding,
// last block copied, F16 matrices. The engine loads it and its activations stay sane.
TEST(TestModelTest, LegacyLayoutLoadsAndRunsHealthy) {
  ScratchDir dir;
  TestModelSpec spec = *TestModelPreset("tiny");
  spec.name = "legacy";
  spec.f16_matrices = true;
  spec.legacy_vision_layout = true;
  auto files = WriteTestModel(spec, dir / "m", Options(3));
  ASSERT_TRUE(files.ok()) << files.status().ToString();

  auto mm = Open(files->mmproj);
  ASSERT_NE(mm, nullptr);
  nlohmann::json info = DescribeGguf(*mm);
  EXPECT_TRUE(info["problems"].empty()) << info["problems"].dump();
  const std::string quirks = info["quirks"].dump();
  EXPECT_THAT(quirks, HasSubstr("names swapped"));
  EXPECT_THAT(quirks, HasSubstr("3-D [64, 729, 1]"));
  EXPECT_THAT(quirks, HasSubstr("vision block 2 is a byte copy of block 1"));
  EXPECT_EQ(mm->FindTensor("v.blk.0.ffn_down.weight")->ShapeString(), "[64, 128]");
  EXPECT_EQ(mm->FindTensor("mm.0.weight")->type, TensorType::kF16);
  EXPECT_EQ(mm->FindTensor("v.post_ln.bias")->type, TensorType::kF32);

  auto text = LoadTextModel(files->text);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto vision = LoadVisionModel(files->mmproj);
  ASSERT_TRUE(vision.ok()) << vision.status().ToString();
  EXPECT_TRUE((*vision)->layout.vision_mlp_swapped);
  EXPECT_TRUE(CheckCompatible(**text, **vision).ok());

  ThreadPool pool(2);
  // A random picture in [-1, 1] through the tower and projector.
  const VisionConfig& vc = (*vision)->config;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> px(-1.f, 1.f);
  std::vector<float> image(3 * vc.image_size * vc.image_size);
  for (float& v : image) v = px(rng);
  VisionEncoder enc(**vision, pool);
  std::vector<float> emb(static_cast<size_t>(enc.n_patches()) * enc.out_dim());
  enc.Encode(image.data(), emb.data());
  double sq = 0;
  for (float v : emb) {
    ASSERT_TRUE(std::isfinite(v));
    sq += double(v) * v;
  }
  const double emb_rms = std::sqrt(sq / emb.size());
  std::printf("projector output rms %.3f\n", emb_rms);
  EXPECT_GT(emb_rms, 0.05);
  EXPECT_LT(emb_rms, 20.0);

  // The image rows then a few tokens through the decoder: finite, spread-out logits.
  const TextConfig& tc = (*text)->config;
  TextDecoder dec(**text, pool);
  KvCache cache(tc, 1024, TensorType::kF32);
  std::vector<float> x = emb;
  dec.Forward(x.data(), enc.n_patches(), 0, cache, nullptr);
  const int32_t ids[4] = {198, 24, 300, 1000};
  std::vector<float> xt(4 * static_cast<size_t>(tc.n_embd));
  dec.EmbedTokens(ids, 4, xt.data());
  std::vector<float> logits(tc.n_vocab);
  dec.Forward(xt.data(), 4, enc.n_patches(), cache, logits.data());
  double mean = 0, var = 0;
  for (float v : logits) {
    ASSERT_TRUE(std::isfinite(v));
    mean += v;
  }
  mean /= logits.size();
  for (float v : logits) var += (v - mean) * (v - mean);
  const double logit_std = std::sqrt(var / logits.size());
  std::printf("logit std %.3f\n", logit_std);
  EXPECT_GT(logit_std, 0.3);
  EXPECT_LT(logit_std, 30.0);
}

TEST(TestModelTest, CommandWritesAndQuantizes) {
  ScratchDir dir;
  std::string out;
  const std::string bin = test::MoondreamBinary();
  int rc = test::RunCommand(bin + " make-test-model --preset tiny --seed 5 --quant Q8_0 --out " +
                                dir / "q" + " --tokenizer " + Fixture("tokenizer-moondream2.gguf") +
                                " 2>&1",
                            &out);
  ASSERT_EQ(rc, 0) << out;
  auto text = Open(dir / "q/moondream2-tiny-text-q8_0.gguf");
  ASSERT_NE(text, nullptr) << out;
  EXPECT_EQ(text->GetU32("general.file_type").value(), 7u);
  EXPECT_EQ(text->FindTensor("blk.0.ffn_up.weight")->type, TensorType::kQ8_0);
  auto mm = Open(dir / "q/moondream2-tiny-mmproj-q8_0.gguf");
  ASSERT_NE(mm, nullptr) << out;
  EXPECT_FALSE(fs::exists(dir / "q/moondream2-tiny-text-f32.gguf"));
  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " make-test-model --preset nope --out " + dir / "x" + " 2>&1",
                             &out), 1);
  EXPECT_THAT(out, HasSubstr("unknown preset"));
  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " make-test-model --preset tiny --quant Q9 --out " + dir / "x" +
                                 " 2>&1", &out), 1);
  EXPECT_THAT(out, HasSubstr("unknown --quant"));
}

}  // namespace
}  // namespace md
