// Official 2025 preprocessing against the official Moondream code's own crops
// (testdata/golden/official-tiny/f32/<picture>/{geometry.json,crops.f32}, made with its
// Pillow LANCZOS fallback): same tiling, same windows, crops within 1 level.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/image_decode.h"
#include "model/image_tiling.h"
#include "support/test_support.h"

namespace md {
namespace {

class OfficialGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(OfficialGolden, GeometryAndCrops) {
  const std::string name = GetParam();
  const std::string dir = "golden/official-tiny/f32/" + name + "/";
  std::ifstream gf(test::TestData(dir + "geometry.json"));
  const nlohmann::json geo = nlohmann::json::parse(gf);

  const std::vector<uint8_t> bytes = test::ReadFileBytes(test::TestData("fixtures/images/" + name + ".png"));
  StatusOr<DecodedImage> d = DecodeImage(bytes, {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->image.width, geo["width"].get<int>());
  EXPECT_EQ(d->image.height, geo["height"].get<int>());
  EXPECT_EQ(d->had_alpha, geo["mode"] == "RGBA");

  const OfficialCrops crops = PreprocessForOfficial(d->image);
  const OfficialTiling& t = crops.tiling;
  EXPECT_EQ(t.rows, geo["tiling_rows_cols"][0].get<int>());
  EXPECT_EQ(t.cols, geo["tiling_rows_cols"][1].get<int>());
  EXPECT_EQ(crops.n_crops, geo["n_crops"].get<int>());
  EXPECT_EQ(t.resized_height, geo["resized_local_hw"][0].get<int>());
  EXPECT_EQ(t.resized_width, geo["resized_local_hw"][1].get<int>());
  const std::vector<CropWindow> windows = LocalCropWindows(t);
  ASSERT_EQ(windows.size() + 1, geo["crop_windows"].size());
  for (const CropWindow& w : windows) {
    const nlohmann::json& g = geo["crop_windows"][w.crop];
    EXPECT_EQ(g["kind"], "local");
    EXPECT_EQ(w.crop, g["crop"].get<int>());
    EXPECT_EQ(w.row, g["row"].get<int>());
    EXPECT_EQ(w.col, g["col"].get<int>());
    EXPECT_EQ(w.y0, g["y0"].get<int>());
    EXPECT_EQ(w.x0, g["x0"].get<int>());
    EXPECT_EQ(w.size, g["size"].get<int>());
  }
  EXPECT_EQ(geo["reconstructed_grid_hw"][0].get<int>(), t.rows * 19 + 8);
  EXPECT_EQ(geo["reconstructed_grid_hw"][1].get<int>(), t.cols * 19 + 8);

  const std::vector<float> want = test::ReadF32File(test::TestData(dir + "crops.f32"));
  ASSERT_EQ(crops.data.size(), want.size());
  float max_diff = 0;
  size_t n_diff = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const float diff = std::fabs(crops.data[i] - want[i]);
    max_diff = std::max(max_diff, diff);
    n_diff += diff != 0;
  }
  std::printf("%s: %d crops, max abs diff %g (%zu values differ)\n", name.c_str(), crops.n_crops, max_diff, n_diff);
  // One grey level is 2/255 after (p/255 - 0.5)/0.5.
  EXPECT_LE(max_diff, 2.0f / 255.0f + 1e-6f);
}

INSTANTIATE_TEST_SUITE_P(Pictures, OfficialGolden, ::testing::Values("scene_512x384", "rgba_300x120"));

}  // namespace
}  // namespace md
