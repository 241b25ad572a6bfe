// `moondream preprocess`: the JSON it prints, the tensor it writes, and exit code 1 with
// a reason for a bad file.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace md {
namespace {

// Our own scratch folder: scratch.path()'s exit-time cleanup runs after its list of
// folders is destroyed (reported), which aborts the process at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "md_image_cli_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "/tmp";
  }
  ~ScratchDir() {
    std::error_code ec;
    if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Cli(const std::string& args) { return test::MoondreamBinary() + " preprocess " + args; }

TEST(PreprocessCliTest, GgufJsonAndTensor) {
  ScratchDir scratch;
  const std::string out = scratch.path() + "/scene.f32";
  std::string json;
  ASSERT_EQ(test::RunCommand(Cli(test::TestData("fixtures/images/scene_512x384.png") + " --out " + out), &json), 0);
  const nlohmann::json j = nlohmann::json::parse(json);
  EXPECT_EQ(j["format"], "png");
  EXPECT_EQ(j["decoded_size"], nlohmann::json({512, 384}));
  EXPECT_EQ(j["orientation"], 1);
  EXPECT_EQ(j["resized_size"], nlohmann::json({378, 284}));
  EXPECT_EQ(j["offset"], nlohmann::json({0, 47}));
  EXPECT_EQ(j["tensor_shape"], nlohmann::json({3, 378, 378}));
  // The tensor is the one llama.cpp fed its vision tower (PNG input decodes identically).
  EXPECT_EQ(test::ReadF32File(out), test::ReadF32File(test::TestData("golden/vision/scene_512x384.inp_raw.f32")));
}

TEST(PreprocessCliTest, OfficialHasGoldenGeometryKeysAndValues) {
  ScratchDir scratch;
  const std::string out = scratch.path() + "/crops.f32";
  std::string json;
  ASSERT_EQ(test::RunCommand(Cli(test::TestData("fixtures/images/scene_512x384.png") + " --for official --out " + out), &json), 0);
  const nlohmann::json j = nlohmann::json::parse(json);
  std::ifstream gf(test::TestData("golden/official-tiny/f32/scene_512x384/geometry.json"));
  const nlohmann::json geo = nlohmann::json::parse(gf);
  for (const auto& [key, value] : geo.items()) {
    ASSERT_TRUE(j.contains(key)) << key;
    if (key == "image" || key == "resampler") continue;  // path and wording differ
    EXPECT_EQ(j[key], value) << key;
  }
  EXPECT_EQ(test::ReadFileBytes(out).size(), 9u * 3 * 378 * 378 * 4);
}

TEST(PreprocessCliTest, MaxImageSizeFlag) {
  std::string json;
  ASSERT_EQ(test::RunCommand(Cli(test::TestData("fixtures/images/scene_512x384.png") + " --max-image-size 256"), &json), 0);
  const nlohmann::json j = nlohmann::json::parse(json);
  EXPECT_EQ(j["downscaled"], true);
  EXPECT_EQ(j["width"], 256);
  EXPECT_EQ(j["height"], 192);
}

TEST(PreprocessCliTest, BadFileExitsOneWithReason) {
  ScratchDir scratch;
  const std::string bad = scratch.path() + "/bad.jpg";
  std::ofstream(bad) << "this is not a picture";
  std::string out;
  const int rc = test::RunCommand(Cli(bad) + " 2>&1", &out);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("not a supported picture"), std::string::npos) << out;
  EXPECT_EQ(test::RunCommand(Cli(scratch.path() + "/missing.png") + " 2>/dev/null"), 1);
}

}  // namespace
}  // namespace md
