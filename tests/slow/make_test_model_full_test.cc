// The full-size random model (3.7 GB): real layout, loads in the engine, `info`
// reports the 2024 quirks. Slow (disk bound), so not part of the sanitizer run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "formats/gguf.h"
#include "model/model_info.h"
#include "model/test_model.h"
#include "model/weights.h"
#include "support/test_support.h"

namespace md {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(MakeTestModelFullTest, RealLayoutLoadsAndIsDescribed) {
  std::string dir = (fs::temp_directory_path() / "md_full_XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};

  TestModelOptions opt;
  opt.tokenizer_path = test::TestData("fixtures/tokenizer-moondream2.gguf");
  const auto start = std::chrono::steady_clock::now();
  auto files = WriteTestModel(*TestModelPreset("full"), dir, opt);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double gb = static_cast<double>(fs::file_size(files->text) + fs::file_size(files->mmproj)) / 1e9;
  std::printf("full preset: %.2f GB in %.1f s (%.1f s/GB)\n", gb, secs, secs / gb);
  EXPECT_GT(gb, 3.7);

  auto text = GgufFile::Open(files->text);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ((*text)->tensors().size(), 245u);
  EXPECT_EQ((*text)->FindTensor("token_embd.weight")->ShapeString(), "[2048, 51200]");
  EXPECT_EQ((*text)->FindTensor("token_embd.weight")->type, TensorType::kF16);
  EXPECT_EQ((*text)->FindTensor("blk.23.attn_qkv.bias")->type, TensorType::kF32);
  EXPECT_EQ((*text)->GetStringArray("tokenizer.ggml.tokens").value().size(), 51200u);
  nlohmann::json tinfo = DescribeGguf(**text);
  EXPECT_TRUE(tinfo["problems"].empty()) << tinfo["problems"].dump();

  auto mm = GgufFile::Open(files->mmproj);
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ((*mm)->tensors().size(), 457u);
  EXPECT_EQ((*mm)->FindTensor("v.position_embd.weight")->ShapeString(), "[1152, 729, 1]");
  EXPECT_EQ((*mm)->FindTensor("v.blk.0.ffn_down.weight")->ShapeString(), "[1152, 4304]");
  nlohmann::json minfo = DescribeGguf(**mm);
  EXPECT_TRUE(minfo["problems"].empty()) << minfo["problems"].dump();
  const std::string quirks = minfo["quirks"].dump();
  EXPECT_THAT(quirks, HasSubstr("names swapped"));
  EXPECT_THAT(quirks, HasSubstr("vision block 27 is a byte copy of block 26 (16 tensors)"));

  auto tm = LoadTextModel(files->text);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  auto vm = LoadVisionModel(files->mmproj);
  ASSERT_TRUE(vm.ok()) << vm.status().ToString();
  EXPECT_TRUE(CheckCompatible(**tm, **vm).ok());
  EXPECT_EQ((*vm)->config.blocks_to_run(), 27);
}

}  // namespace
}  // namespace md
