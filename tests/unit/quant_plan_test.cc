// Per-tensor type rules of `moondream quantize` on the real Moondream2 layout (24 blocks,
// fused attn_qkv, separate output.weight): quant.md 7.1-7.3 "current" column, which
// llama-quantize reproduces. Tensors are tiny (2 rows) since only names, ranks and row
// lengths matter for the plan.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "formats/gguf.h"
#include "model/quantize.h"
#include "support/test_support.h"

namespace md {
namespace {

class QuantPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "md_qplan_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A phi2 (or clip) file with `blocks` blocks; 2-D tensors are [ne0, 2] F32 zeros.
  std::unique_ptr<GgufFile> MakeModel(const std::string& arch, int blocks) {
    GgufWriter w;
    w.SetString("general.architecture", arch);
    w.SetU32(arch + ".block_count", static_cast<uint32_t>(blocks));
    w.SetU32("general.file_type", 0);
    auto add = [&](const std::string& name, std::vector<uint64_t> ne) {
      uint64_t n = 1;
      for (uint64_t d : ne) n *= d;
      w.AddTensor(name, TensorType::kF32, ne, std::vector<uint8_t>(n * 4, 0));
    };
    if (arch == "phi2") {
      add("token_embd.weight", {2048, 2});
      add("output_norm.weight", {2048});
      add("output_norm.bias", {2048});
      add("output.weight", {2048, 2});
      add("output.bias", {2});
      for (int i = 0; i < blocks; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        add(b + "attn_norm.weight", {2048});
        add(b + "attn_norm.bias", {2048});
        add(b + "attn_qkv.weight", {2048, 2});
        add(b + "attn_qkv.bias", {6144});
        add(b + "attn_output.weight", {2048, 2});
        add(b + "ffn_up.weight", {2048, 2});
        add(b + "ffn_down.weight", {8192, 2});
      }
    } else {
      add("v.patch_embd.weight", {14, 14, 3, 2});
      add("v.position_embd.weight", {1152, 2});
      add("v.blk.0.attn_q.weight", {1152, 2});
      add("v.blk.0.ln1.weight", {1152});
      add("v.blk.0.ffn_down.weight", {4304, 2});  // 4304 is not a multiple of 32
      add("mm.0.weight", {1152, 2});
    }
    const std::string path = dir_ + "/" + arch + ".gguf";
    EXPECT_TRUE(w.Write(path).ok());
    auto f = GgufFile::Open(path);
    EXPECT_TRUE(f.ok()) << f.status().message();
    return std::move(*f);
  }

  std::map<std::string, TensorType> Plan(const GgufFile& f, QuantPreset p) {
    auto plan = PlanQuantization(f, p);
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    std::map<std::string, TensorType> m;
    for (const auto& t : *plan) m[t.name] = t.to;
    return m;
  }

  std::string dir_;
};

const std::set<int> kMoreBits = {0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23};

TEST_F(QuantPlanTest, KMPresetsOnTheRealLayout) {
  auto f = MakeModel("phi2", 24);
  for (auto [preset, base] : {std::pair{QuantPreset::kQ4_K_M, TensorType::kQ4_K},
                              std::pair{QuantPreset::kQ5_K_M, TensorType::kQ5_K}}) {
    auto m = Plan(*f, preset);
    EXPECT_EQ(m["token_embd.weight"], base);
    EXPECT_EQ(m["output.weight"], TensorType::kQ6_K);
    EXPECT_EQ(m["output.bias"], TensorType::kF32);
    EXPECT_EQ(m["output_norm.weight"], TensorType::kF32);
    for (int i = 0; i < 24; ++i) {
      const std::string b = "blk." + std::to_string(i) + ".";
      const TensorType more = kMoreBits.count(i) ? TensorType::kQ6_K : base;
      EXPECT_EQ(m[b + "attn_qkv.weight"], more) << i;
      EXPECT_EQ(m[b + "ffn_down.weight"], more) << i;
      EXPECT_EQ(m[b + "attn_output.weight"], base) << i;
      EXPECT_EQ(m[b + "ffn_up.weight"], base) << i;
      EXPECT_EQ(m[b + "attn_qkv.bias"], TensorType::kF32) << i;
      EXPECT_EQ(m[b + "attn_norm.weight"], TensorType::kF32) << i;
    }
  }
}

TEST_F(QuantPlanTest, FlatPresets) {
  auto f = MakeModel("phi2", 24);
  auto q4 = Plan(*f, QuantPreset::kQ4_0);
  auto q8 = Plan(*f, QuantPreset::kQ8_0);
  auto f16 = Plan(*f, QuantPreset::kF16);
  auto bf16 = Plan(*f, QuantPreset::kBF16);
  EXPECT_EQ(q4["output.weight"], TensorType::kQ6_K);
  EXPECT_EQ(q8["output.weight"], TensorType::kQ8_0);
  EXPECT_EQ(f16["output.weight"], TensorType::kF16);
  EXPECT_EQ(bf16["output.weight"], TensorType::kBF16);
  for (int i = 0; i < 24; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    EXPECT_EQ(q4[b + "attn_qkv.weight"], TensorType::kQ4_0);
    EXPECT_EQ(q4[b + "ffn_down.weight"], TensorType::kQ4_0);
    EXPECT_EQ(q8[b + "ffn_down.weight"], TensorType::kQ8_0);
    EXPECT_EQ(f16[b + "ffn_up.weight"], TensorType::kF16);
    EXPECT_EQ(f16[b + "attn_norm.bias"], TensorType::kF32);
  }
}

TEST_F(QuantPlanTest, OutputOrderIsLlamaQuantizes) {
  auto f = MakeModel("phi2", 12);
  auto plan = PlanQuantization(*f, QuantPreset::kQ8_0);
  ASSERT_TRUE(plan.ok());
  // Non-block tensors first (by name), then blk.0 .. blk.11 numerically, names sorted.
  EXPECT_EQ((*plan)[0].name, "output.bias");
  EXPECT_EQ((*plan)[4].name, "token_embd.weight");
  EXPECT_EQ((*plan)[5].name, "blk.0.attn_norm.bias");
  EXPECT_EQ(plan->back().name, "blk.11.ffn_up.weight");
  EXPECT_EQ((*plan)[5 + 7 * 10].name, "blk.10.attn_norm.bias");
}

TEST_F(QuantPlanTest, MmprojAllowsOnlyF16AndQ8_0) {
  auto f = MakeModel("clip", 1);
  for (QuantPreset p :
       {QuantPreset::kQ4_K_M, QuantPreset::kQ5_K_M, QuantPreset::kQ4_0, QuantPreset::kBF16}) {
    auto plan = PlanQuantization(*f, p);
    ASSERT_FALSE(plan.ok());
    EXPECT_NE(plan.status().message().find("use F16 or Q8_0"), std::string::npos);
  }
  auto q8 = Plan(*f, QuantPreset::kQ8_0);
  EXPECT_EQ(q8["v.patch_embd.weight"], TensorType::kF32);
  EXPECT_EQ(q8["v.position_embd.weight"], TensorType::kF32);
  EXPECT_EQ(q8["v.blk.0.attn_q.weight"], TensorType::kQ8_0);
  EXPECT_EQ(q8["v.blk.0.ln1.weight"], TensorType::kF32);
  EXPECT_EQ(q8["v.blk.0.ffn_down.weight"], TensorType::kF16);  // 4304 % 32 != 0
  EXPECT_EQ(q8["mm.0.weight"], TensorType::kQ8_0);
  auto f16 = Plan(*f, QuantPreset::kF16);
  EXPECT_EQ(f16["mm.0.weight"], TensorType::kF16);
  EXPECT_EQ(f16["v.blk.0.ffn_down.weight"], TensorType::kF16);
}

TEST_F(QuantPlanTest, PresetNames) {
  EXPECT_EQ(ParseQuantPreset("q4_k_m"), QuantPreset::kQ4_K_M);
  EXPECT_EQ(ParseQuantPreset("BF16"), QuantPreset::kBF16);
  EXPECT_FALSE(ParseQuantPreset("Q3_K_M").has_value());
  EXPECT_EQ(QuantPresetFileType(QuantPreset::kQ4_K_M), 15u);
  EXPECT_EQ(QuantPresetFileType(QuantPreset::kQ5_K_M), 17u);
  EXPECT_EQ(QuantPresetFileType(QuantPreset::kQ4_0), 2u);
  EXPECT_EQ(QuantPresetFileType(QuantPreset::kQ8_0), 7u);
  EXPECT_EQ(QuantPresetFileType(QuantPreset::kF16), 1u);
  EXPECT_EQ(QuantPresetFileType(QuantPreset::kBF16), 32u);
}

TEST_F(QuantPlanTest, RefusesToOverwriteInputAndRequantizing) {
  auto f = MakeModel("phi2", 2);
  const std::string in = f->path();
  f.reset();
  Status s = QuantizeGguf(in, in, QuantPreset::kQ8_0);
  EXPECT_FALSE(s.ok());
  const std::string q8 = dir_ + "/q8.gguf";
  ASSERT_TRUE(QuantizeGguf(in, q8, QuantPreset::kQ8_0).ok());
  s = QuantizeGguf(q8, dir_ + "/q4.gguf", QuantPreset::kQ4_0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("already q8_0"), std::string::npos) << s.message();
}

// The command line: exit codes and messages a user can act on.
TEST_F(QuantPlanTest, CommandLine) {
  const std::string bin = test::MoondreamBinary();
  const std::string text = test::TestData("fixtures/moondream2-tiny-text-f32.gguf");
  const std::string mmproj = test::TestData("fixtures/moondream2-tiny-mmproj-f32.gguf");
  std::string out;
  EXPECT_EQ(test::RunCommand(bin + " quantize " + text + " " + dir_ + "/q8.gguf Q8_0 2>&1", &out),
            0)
      << out;
  EXPECT_NE(out.find("100%"), std::string::npos) << out;
  auto q8 = GgufFile::Open(dir_ + "/q8.gguf");
  ASSERT_TRUE(q8.ok());
  EXPECT_EQ(*(*q8)->GetU32("general.file_type"), 7u);

  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " quantize " + text + " " + text + " Q4_0 2>&1", &out), 1);
  EXPECT_NE(out.find("input"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(test::RunCommand(bin + " quantize " + text + " " + dir_ + "/x.gguf Q3_K_S 2>&1", &out),
            1);
  EXPECT_NE(out.find("Q4_K_M, Q5_K_M, Q8_0, Q4_0, F16, BF16"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(
      test::RunCommand(bin + " quantize " + mmproj + " " + dir_ + "/m.gguf Q4_K_M 2>&1", &out), 1);
  EXPECT_NE(out.find("use F16 or Q8_0"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(
      test::RunCommand(bin + " quantize -q " + mmproj + " " + dir_ + "/m.gguf F16 2>&1", &out), 0)
      << out;
  EXPECT_TRUE(out.empty()) << out;
  out.clear();
  EXPECT_EQ(test::RunCommand(
                bin + " quantize " + dir_ + "/missing.gguf " + dir_ + "/y.gguf Q8_0 2>&1", &out),
            1);
  EXPECT_NE(out.find("missing.gguf"), std::string::npos) << out;
}

}  // namespace
}  // namespace md
