// Loading checks: every tensor of the fixtures binds with its shape; a missing tensor,
// a wrong shape, a wrong architecture or a projector of another width gives an error
// that names the tensor (or both files).
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "formats/gguf.h"
#include "model/weights.h"
#include "support/test_support.h"

namespace md {
namespace {

using test::TestData;

const std::string kText = "fixtures/moondream2-tiny-text-f32.gguf";
const std::string kProj = "fixtures/moondream2-tiny-mmproj-f32.gguf";

// Rewrites `src` into a temp file, letting `edit` drop (return false) or reshape tensors.
std::string Rewrite(const std::string& src,
                    const std::function<bool(const GgufTensorInfo&, std::vector<uint64_t>*,
                                             uint64_t* nbytes)>& edit,
                    const std::string& arch = "",
                    const std::function<void(GgufWriter&)>& keys = nullptr) {
  auto f = GgufFile::Open(TestData(src));
  EXPECT_TRUE(f.ok());
  GgufWriter w;
  for (const GgufKv& kv : (*f)->kvs()) w.CopyKv(kv);
  if (!arch.empty()) w.SetString("general.architecture", arch);
  if (keys) keys(w);
  for (const GgufTensorInfo& t : (*f)->tensors()) {
    std::vector<uint64_t> ne(t.ne, t.ne + t.n_dims);
    uint64_t nbytes = t.nbytes;
    if (!edit(t, &ne, &nbytes)) continue;
    w.AddTensorView(std::string(t.name), t.type, ne, {t.data, nbytes});
  }
  static int counter = 0;
  const std::string path = test::TempDir() + "/m" + std::to_string(counter++) + ".gguf";
  EXPECT_TRUE(w.Write(path).ok());
  return path;
}

TEST(Weights, FixturesBindEveryTensor) {
  auto text = LoadTextModel(TestData(kText));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ((*text)->config.n_embd, 256);
  EXPECT_EQ((*text)->config.n_vocab, 1409);
  EXPECT_TRUE((*text)->weights.layers[1].fused_qkv());
  EXPECT_EQ((*text)->weights.output_w.rows(), 1409);
  auto proj = LoadVisionModel(TestData(kProj));
  ASSERT_TRUE(proj.ok()) << proj.status().ToString();
  EXPECT_EQ((*proj)->weights.layers.size(), 3u);
  EXPECT_TRUE(CheckCompatible(**text, **proj).ok());
  for (const char* q : {"q8_0", "q4_0", "q4_k_m", "q5_k_m"}) {
    auto m = LoadTextModel(TestData(std::string("fixtures/moondream2-tiny-text-") + q + ".gguf"));
    EXPECT_TRUE(m.ok()) << q << ": " << m.status().ToString();
  }
}

TEST(Weights, MissingTensorIsNamed) {
  const std::string path = Rewrite(kText, [](const GgufTensorInfo& t, auto*, auto*) {
    return t.name != "blk.1.ffn_up.bias";
  });
  auto m = LoadTextModel(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("missing tensor blk.1.ffn_up.bias"), std::string::npos)
      << m.status().message();
}

TEST(Weights, WrongShapeIsNamed) {
  const std::string path = Rewrite(kProj, [](const GgufTensorInfo& t, std::vector<uint64_t>* ne,
                                             uint64_t*) {
    if (t.name == "v.blk.0.attn_q.weight") *ne = {32, 128};  // same bytes, other shape
    return true;
  });
  auto m = LoadVisionModel(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("v.blk.0.attn_q.weight"), std::string::npos)
      << m.status().message();
  EXPECT_NE(m.status().message().find("[64, 64]"), std::string::npos);
}

TEST(Weights, WrongArchitectureIsRefused) {
  const std::string path = Rewrite(kText, [](auto&, auto*, auto*) { return true; }, "llama");
  auto m = LoadTextModel(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("llama"), std::string::npos) << m.status().message();
}

TEST(Weights, ProjectorWidthMustEqualTextWidth) {
  // A projector whose mm.2 outputs 128 wide (half the rows of the real one).
  const std::string path = Rewrite(kProj, [](const GgufTensorInfo& t, std::vector<uint64_t>* ne,
                                             uint64_t* nbytes) {
    if (t.name == "mm.2.weight") {
      *ne = {256, 128};
      *nbytes /= 2;
    }
    if (t.name == "mm.2.bias") {
      *ne = {128};
      *nbytes /= 2;
    }
    return true;
  });
  auto proj = LoadVisionModel(path);
  // The file itself declares projection_dim 256: the table catches mm.2 first.
  ASSERT_FALSE(proj.ok());
  EXPECT_NE(proj.status().message().find("mm.2.weight"), std::string::npos)
      << proj.status().message();

  // Declared consistently, the file loads, and the pair is refused.
  auto half = [](const GgufTensorInfo& t, std::vector<uint64_t>* ne, uint64_t* nbytes) {
    if (t.name == "mm.2.weight") {
      *ne = {256, 128};
      *nbytes /= 2;
    }
    if (t.name == "mm.2.bias") {
      *ne = {128};
      *nbytes /= 2;
    }
    return true;
  };
  const std::string path2 = Rewrite(kProj, half, "", [](GgufWriter& w) {
    w.SetU32("clip.vision.projection_dim", 128);
  });
  auto proj2 = LoadVisionModel(path2);
  ASSERT_TRUE(proj2.ok()) << proj2.status().ToString();
  auto text = LoadTextModel(TestData(kText));
  ASSERT_TRUE(text.ok());
  const Status st = CheckCompatible(**text, **proj2);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("mismatch between text model and mmproj"), std::string::npos)
      << st.message();
}

TEST(Weights, ExtraTensorInTextModelIsRefused) {
  auto f = GgufFile::Open(TestData(kText));
  ASSERT_TRUE(f.ok());
  GgufWriter w;
  for (const GgufKv& kv : (*f)->kvs()) w.CopyKv(kv);
  for (const GgufTensorInfo& t : (*f)->tensors()) {
    w.AddTensorView(std::string(t.name), t.type, std::vector<uint64_t>(t.ne, t.ne + t.n_dims),
                    {t.data, t.nbytes});
  }
  w.AddTensor("blk.9.extra.weight", TensorType::kF32, {4}, std::vector<uint8_t>(16));
  const std::string path = test::TempDir() + "/extra.gguf";
  ASSERT_TRUE(w.Write(path).ok());
  auto m = LoadTextModel(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("blk.9.extra.weight"), std::string::npos);
}

}  // namespace
}  // namespace md
