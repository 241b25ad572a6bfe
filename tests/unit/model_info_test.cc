// `moondream info`: the report on the fixtures, quirk detection on a file made with the
// 2024 converter's layout, and the exit codes of the command.
#include "model/model_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/test_support.h"

namespace md {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

std::string Fixture(const std::string& name) { return test::TestData("fixtures/" + name); }

json Describe(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return json();
  return DescribeGguf(**f);
}

const json* FindHp(const json& info, const std::string& key) {
  for (const json& hp : info["hyperparameters"]) {
    if (hp["key"] == key) return &hp;
  }
  return nullptr;
}

// A scratch directory removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string t = (std::filesystem::temp_directory_path() / "md_info_XXXXXX").string();
    if (::mkdtemp(t.data()) != nullptr) path_ = t;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TEST(ModelInfoTest, TextFixture) {
  json info = Describe(Fixture("moondream2-tiny-text-q4_k_m.gguf"));
  EXPECT_EQ(info["kind"], "text");
  EXPECT_EQ(info["architecture"], "phi2");
  EXPECT_EQ(info["file_type"]["id"], 15);
  EXPECT_EQ(info["file_type"]["name"], "MOSTLY_Q4_K_M");
  EXPECT_TRUE(info["problems"].empty()) << info["problems"].dump();
  ASSERT_NE(FindHp(info, "phi2.embedding_length"), nullptr);
  EXPECT_EQ((*FindHp(info, "phi2.embedding_length"))["value"], 256);
  EXPECT_EQ((*FindHp(info, "phi2.embedding_length"))["source"], "file");
  // Absent key: llama.cpp's default, marked as such.
  const json* base = FindHp(info, "phi2.rope.freq_base");
  ASSERT_NE(base, nullptr);
  EXPECT_EQ((*base)["source"], "default");
  EXPECT_EQ((*base)["value"], 10000.0);
  EXPECT_EQ((*FindHp(info, "n_vocab"))["value"], 1409);
  EXPECT_EQ(info["tokenizer"]["tokens"], 1409);
  EXPECT_EQ(info["tokenizer"]["merges"], 1152);
  EXPECT_EQ(info["tokenizer"]["pre"], "gpt-2");
  EXPECT_EQ(info["tokenizer"]["special"]["bos"]["id"], 1408);
  EXPECT_EQ(info["tokenizer"]["special"]["bos"]["text"], "<|endoftext|>");
  EXPECT_EQ(info["tokenizer"]["token_types"]["control"], 1);
  EXPECT_EQ(info["tokenizer"]["add_bos"], false);
  ASSERT_EQ(info["tensors"].size(), 25u);
  const json& t0 = info["tensors"][0];
  EXPECT_EQ(t0["offset"], info["data_offset"]);  // first tensor starts the data section
  // Totals: 2-D weights of the fixture README plus norms/biases.
  const uint64_t params = 256 * 1409 * 2 + 1409 + 2 * 256 +
                          2 * (2 * 256 + 256 * 768 + 768 + 256 * 256 + 256 + 256 * 1024 + 1024 +
                               1024 * 256 + 256);
  EXPECT_EQ(info["totals"]["parameters"], params);
  EXPECT_EQ(info["totals"]["bytes"], 1532006);
  EXPECT_NEAR(info["totals"]["bits_per_weight"].get<double>(), 8.0 * 1532006 / params, 1e-9);
  uint64_t q6k = 0;
  for (const json& t : info["types"]) {
    if (t["type"] == "q6_K") q6k = t["tensors"];
  }
  EXPECT_EQ(q6k, 3u);
  std::string text = FormatModelInfo(info);
  EXPECT_THAT(text, HasSubstr("phi2 (Moondream2 text decoder)"));
  EXPECT_THAT(text, HasSubstr("blk.1.attn_qkv.weight"));
  EXPECT_THAT(text, HasSubstr("absent: llama.cpp default"));
  EXPECT_THAT(FormatModelInfo(info, false), Not(HasSubstr("blk.1.attn_qkv.weight")));
}

TEST(ModelInfoTest, TokenizerOnlyFileWithoutPre) {
  json info = Describe(Fixture("tokenizer-moondream2-nopre.gguf"));
  EXPECT_EQ(info["kind"], "text");
  EXPECT_TRUE(info["problems"].empty()) << info["problems"].dump();
  EXPECT_TRUE(info["tokenizer"]["pre"].is_null());
  EXPECT_THAT(info["tokenizer"]["pre_note"].get<std::string>(), HasSubstr("default"));
  EXPECT_EQ(info["tokenizer"]["tokens"], 51200);
  EXPECT_EQ(info["tokenizer"]["token_types"]["user_defined"], 38);
  EXPECT_EQ(info["tokenizer"]["token_types"]["unused"], 905);
  EXPECT_EQ(info["totals"]["parameters"], 0);
  EXPECT_THAT(info["quirks"].dump(), HasSubstr("vocabulary-only"));
}

TEST(ModelInfoTest, ProjectorFixtureHasNoQuirks) {
  json info = Describe(Fixture("moondream2-tiny-mmproj-f32.gguf"));
  EXPECT_EQ(info["kind"], "projector");
  EXPECT_TRUE(info["problems"].empty()) << info["problems"].dump();
  EXPECT_EQ((*FindHp(info, "blocks_run"))["value"], 2);
  EXPECT_EQ((*FindHp(info, "clip.vision.image_mean"))["value"], json({0.5, 0.5, 0.5}));
  const std::string quirks = info["quirks"].dump();
  EXPECT_THAT(quirks, HasSubstr("names standard"));
  EXPECT_THAT(quirks, Not(HasSubstr("byte copy")));
  EXPECT_THAT(quirks, Not(HasSubstr("3-D")));
  EXPECT_FALSE(info.contains("tokenizer"));
}

// Re-writes the tiny projector the way the 2024 converter laid out the real one:
// fc1 under ffn_down (and fc2 under ffn_up), a 3-D position embedding, and the last
// block a byte copy of the one before.
void WriteLegacyProjector(const std::string& out, bool copy_last_block) {
  auto in = GgufFile::Open(Fixture("moondream2-tiny-mmproj-f32.gguf"));
  ASSERT_TRUE(in.ok());
  const GgufFile& f = **in;
  GgufWriter w;
  for (const GgufKv& kv : f.kvs()) w.CopyKv(kv);
  for (const GgufTensorInfo& t : f.tensors()) {
    std::string name(t.name);
    std::vector<uint64_t> ne(t.ne, t.ne + t.n_dims);
    const GgufTensorInfo* src = &t;
    if (copy_last_block && name.rfind("v.blk.2.", 0) == 0) {
      src = f.FindTensor("v.blk.1." + name.substr(8));
    }
    if (name.find("ffn_up") != std::string::npos) {
      name.replace(name.find("ffn_up"), 6, "ffn_down");
    } else if (name.find("ffn_down") != std::string::npos) {
      name.replace(name.find("ffn_down"), 8, "ffn_up");
    }
    if (name == "v.position_embd.weight") ne.push_back(1);
    w.AddTensorView(name, t.type, ne, std::span<const uint8_t>(src->data, src->nbytes));
  }
  ASSERT_TRUE(w.Write(out).ok());
}

TEST(ModelInfoTest, DetectsTheRealProjectorQuirks) {
  ScratchDir dir;
  WriteLegacyProjector(dir / "legacy.gguf", true);
  json info = Describe(dir / "legacy.gguf");
  EXPECT_TRUE(info["problems"].empty()) << info["problems"].dump();
  const std::string quirks = info["quirks"].dump();
  EXPECT_THAT(quirks, HasSubstr("names swapped: fc1 is stored as ffn_down"));
  EXPECT_THAT(quirks, HasSubstr("3-D [64, 729, 1]"));
  EXPECT_THAT(quirks, HasSubstr("vision block 2 is a byte copy of block 1 (16 tensors)"));

  WriteLegacyProjector(dir / "legacy2.gguf", false);
  json other = Describe(dir / "legacy2.gguf");
  EXPECT_THAT(other["quirks"].dump(), Not(HasSubstr("byte copy")));
  EXPECT_THAT(other["quirks"].dump(), HasSubstr("never run"));
}

TEST(ModelInfoTest, ReportsMissingAndMisshapenTensors) {
  ScratchDir dir;
  auto in = GgufFile::Open(Fixture("moondream2-tiny-text-f32.gguf"));
  ASSERT_TRUE(in.ok());
  GgufWriter w;
  for (const GgufKv& kv : (*in)->kvs()) w.CopyKv(kv);
  for (const GgufTensorInfo& t : (*in)->tensors()) {
    if (t.name == "blk.1.ffn_up.bias") continue;
    std::vector<uint64_t> ne(t.ne, t.ne + t.n_dims);
    std::string name(t.name);
    if (name == "output.bias") ne = {1408};
    if (name == "output_norm.bias") name = "output_norm.extra";
    uint64_t n = 1;
    for (uint64_t d : ne) n *= d;
    w.AddTensorView(name, t.type, ne, std::span<const uint8_t>(t.data, n * 4));
  }
  ASSERT_TRUE(w.Write(dir / "bad.gguf").ok());
  json info = Describe(dir / "bad.gguf");
  const std::string problems = info["problems"].dump();
  EXPECT_THAT(problems, HasSubstr("missing tensor blk.1.ffn_up.bias"));
  EXPECT_THAT(problems, HasSubstr("tensor output.bias has shape [1408], expected [1409]"));
  EXPECT_THAT(problems, HasSubstr("missing tensor output_norm.bias"));
  EXPECT_THAT(problems, HasSubstr("unexpected tensor output_norm.extra"));
  EXPECT_THAT(FormatModelInfo(info), HasSubstr("problems (the engine will not load this file)"));
}

TEST(ModelInfoTest, CommandExitCodes) {
  const std::string bin = test::MoondreamBinary();
  std::string out;
  EXPECT_EQ(test::RunCommand(bin + " info " + Fixture("moondream2-tiny-text-q8_0.gguf") + " 2>&1",
                             &out), 0);
  EXPECT_THAT(out, HasSubstr("7 (MOSTLY_Q8_0)"));
  EXPECT_THAT(out, HasSubstr("q8_0"));
  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " info --json --no-tensors " +
                                 Fixture("moondream2-tiny-mmproj-f32.gguf"), &out), 0);
  json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["kind"], "projector");
  EXPECT_FALSE(j.contains("tensors"));

  // A truncated copy: a clear error naming the tensor, exit code 1.
  ScratchDir dir;
  std::vector<uint8_t> bytes = test::ReadFileBytes(Fixture("moondream2-tiny-text-f32.gguf"));
  bytes.resize(5000000);
  {
    std::FILE* f = std::fopen((dir / "cut.gguf").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " info " + (dir / "cut.gguf") + " 2>&1", &out), 1);
  EXPECT_THAT(out, HasSubstr("error: "));
  EXPECT_THAT(out, HasSubstr("file truncated: tensor blk.1.attn_qkv.weight ends at byte 5427936, "
                             "file has 5000000"));
  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " info /nonexistent.gguf 2>&1", &out), 1);
  EXPECT_THAT(out, HasSubstr("/nonexistent.gguf"));
  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " info " + Fixture("README.md") + " 2>&1", &out), 1);
  EXPECT_THAT(out, HasSubstr("not a GGUF file"));
}

}  // namespace
}  // namespace md
