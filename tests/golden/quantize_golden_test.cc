// Proof of `moondream quantize` against llama.cpp: the fixtures' quantized text models
// were made by llama-quantize from moondream2-tiny-text-f32.gguf. Our Q8_0 and Q4_0
// outputs must have byte-identical tensor data (the Q6_K output.weight of Q4_0 too);
// for Q4_K_M and Q5_K_M every tensor must get the same type and, per tensor, the RMSE of
// our dequantized weights against F32 must be at most 1.01 x llama.cpp's.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "model/quantize.h"
#include "ops/quant.h"
#include "support/test_support.h"

namespace md {
namespace {

std::unique_ptr<GgufFile> OpenOrDie(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return f.ok() ? std::move(*f) : nullptr;
}

std::vector<float> Dequantize(const GgufTensorInfo& t) {
  std::vector<float> out(t.n_elements());
  const uint64_t ncols = t.ne[0], nrows = t.n_elements() / ncols;
  const uint64_t row_bytes = RowBytes(t.type, ncols);
  for (uint64_t r = 0; r < nrows; ++r) {
    DequantizeRow(t.type, t.data + r * row_bytes, out.data() + r * ncols,
                  static_cast<int64_t>(ncols));
  }
  return out;
}

double Rmse(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s / static_cast<double>(a.size()));
}

struct Case {
  const char* preset;
  const char* fixture;
  bool byte_identical;
};

class QuantizeGoldenTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "md_quant_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_P(QuantizeGoldenTest, MatchesLlamaQuantize) {
  const Case& c = GetParam();
  const std::string src = test::TestData("fixtures/moondream2-tiny-text-f32.gguf");
  const std::string out = dir_ + "/ours-" + c.preset + ".gguf";
  const auto preset = ParseQuantPreset(c.preset);
  ASSERT_TRUE(preset.has_value());
  QuantizeOptions options;
  options.threads = 2;
  const Status s = QuantizeGguf(src, out, *preset, options);
  ASSERT_TRUE(s.ok()) << s.message();

  auto f32 = OpenOrDie(src);
  auto ours = OpenOrDie(out);
  auto theirs = OpenOrDie(test::TestData(std::string("fixtures/") + c.fixture));
  ASSERT_TRUE(f32 && ours && theirs);

  // Metadata: the same keys in the same order, file type and quantization version set.
  ASSERT_EQ(ours->kvs().size(), theirs->kvs().size());
  for (size_t i = 0; i < ours->kvs().size(); ++i) {
    EXPECT_EQ(ours->kvs()[i].key, theirs->kvs()[i].key) << i;
  }
  EXPECT_EQ(*ours->GetU32("general.file_type"), *theirs->GetU32("general.file_type"));
  EXPECT_EQ(*ours->GetU32("general.quantization_version"), 2u);

  ASSERT_EQ(ours->tensors().size(), theirs->tensors().size());
  int identical = 0;
  std::printf("%-8s %-28s %-6s %12s %12s %8s\n", c.preset, "tensor", "type", "rmse ours",
              "rmse llama", "ratio");
  for (size_t i = 0; i < ours->tensors().size(); ++i) {
    const GgufTensorInfo& o = ours->tensors()[i];
    const GgufTensorInfo& t = theirs->tensors()[i];
    const GgufTensorInfo* ref = f32->FindTensor(o.name);
    ASSERT_NE(ref, nullptr);
    ASSERT_EQ(o.name, t.name);
    ASSERT_EQ(o.type, t.type) << o.name << ": ours " << TypeInfo(o.type).name << ", llama.cpp "
                              << TypeInfo(t.type).name;
    ASSERT_EQ(o.n_dims, t.n_dims) << o.name;
    for (int d = 0; d < 4; ++d) ASSERT_EQ(o.ne[d], t.ne[d]) << o.name;
    ASSERT_EQ(o.nbytes, t.nbytes) << o.name;
    const bool same = std::memcmp(o.data, t.data, o.nbytes) == 0;
    identical += same ? 1 : 0;
    if (c.byte_identical) EXPECT_TRUE(same) << o.name << " bytes differ";
    if (o.type == TensorType::kF32) {
      EXPECT_EQ(std::memcmp(o.data, ref->data, o.nbytes), 0) << o.name;
      continue;
    }
    const std::vector<float> x = Dequantize(*ref);
    const double rmse_ours = Rmse(Dequantize(o), x);
    const double rmse_theirs = Rmse(Dequantize(t), x);
    const double ratio =
        rmse_theirs > 0 ? rmse_ours / rmse_theirs : (rmse_ours > 0 ? INFINITY : 1.0);
    std::printf("%-8s %-28s %-6s %12.6g %12.6g %8.5f\n", c.preset, std::string(o.name).c_str(),
                std::string(TypeInfo(o.type).name).c_str(), rmse_ours, rmse_theirs, ratio);
    EXPECT_LE(ratio, 1.01) << o.name;
  }
  std::printf("%s: %d of %zu tensors byte-identical to llama-quantize's\n", c.preset, identical,
              ours->tensors().size());
  // The whole file too (header, metadata order, padding): for the byte-identical presets
  // this is required, for the K-quant mixes it is reported.
  const bool same_file = test::ReadFileBytes(out) == test::ReadFileBytes(theirs->path());
  std::printf("%s: whole file %s\n", c.preset, same_file ? "byte-identical" : "differs");
  if (c.byte_identical) EXPECT_TRUE(same_file);
}

INSTANTIATE_TEST_SUITE_P(
    Presets, QuantizeGoldenTest,
    ::testing::Values(Case{"Q8_0", "moondream2-tiny-text-q8_0.gguf", true},
                      Case{"Q4_0", "moondream2-tiny-text-q4_0.gguf", true},
                      Case{"Q4_K_M", "moondream2-tiny-text-q4_k_m.gguf", false},
                      Case{"Q5_K_M", "moondream2-tiny-text-q5_k_m.gguf", false}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.preset); });

}  // namespace
}  // namespace md
