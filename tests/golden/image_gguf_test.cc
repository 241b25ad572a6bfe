// GGUF preprocessing against llama.cpp's own output (testdata/golden/README.md): from
// the pictures llama.cpp decoded (*.decoded.png), our 378 x 378 canvas must equal its
// canvas (*.preprocessed.png) within 1 level, and the normalised input must equal the
// tensor its vision tower received (scene_512x384.inp_raw.f32).
#include <gtest/gtest.h>

#include <cmath>

#include "formats/image_decode.h"
#include "model/image_preprocess.h"
#include "support/test_support.h"

namespace md {
namespace {

RgbImage LoadPng(const std::string& relative) {
  const std::vector<uint8_t> bytes = test::ReadFileBytes(test::TestData(relative));
  ImageDecodeOptions o;
  o.max_image_size = 0;
  StatusOr<DecodedImage> d = DecodeImage(bytes, o);
  EXPECT_TRUE(d.ok()) << relative << ": " << d.status().ToString();
  return d.ok() ? d->image : RgbImage();
}

class GgufCanvasGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(GgufCanvasGolden, CanvasWithinOneLevel) {
  const std::string name = GetParam();
  const RgbImage decoded = LoadPng("golden/images/" + name + ".decoded.png");
  const RgbImage want = LoadPng("golden/images/" + name + ".preprocessed.png");
  ASSERT_EQ(want.width, 378);
  const RgbImage got = GgufCanvas(decoded);
  ASSERT_EQ(got.width, 378);
  ASSERT_EQ(got.height, 378);
  int max_diff = 0;
  size_t n_diff = 0;
  for (size_t i = 0; i < got.pixels.size(); ++i) {
    const int d = std::abs(int(got.pixels[i]) - int(want.pixels[i]));
    max_diff = std::max(max_diff, d);
    n_diff += d != 0;
  }
  std::printf("%s: canvas max diff %d levels, %zu of %zu values differ\n", name.c_str(), max_diff, n_diff,
              got.pixels.size());
  EXPECT_LE(max_diff, 1);
}

INSTANTIATE_TEST_SUITE_P(Pictures, GgufCanvasGolden,
                         ::testing::Values("scene_512x384", "portrait_320x480", "gray_200x150", "rgba_300x120"));

TEST(GgufInputGolden, SceneNormalisedInputMatchesLlamaCpp) {
  const RgbImage decoded = LoadPng("golden/images/scene_512x384.decoded.png");
  GgufGeometry g;
  const std::vector<float> got = PreprocessForGguf(decoded, &g);
  const std::vector<float> want = test::ReadF32File(test::TestData("golden/vision/scene_512x384.inp_raw.f32"));
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(g.resized_width, 378);
  EXPECT_EQ(g.resized_height, 284);
  EXPECT_EQ(g.offset_y, 47);
  float max_diff = 0;
  for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, std::fabs(got[i] - want[i]));
  std::printf("inp_raw max abs diff %g\n", max_diff);
  // Bit-exact today; the stated tolerance is one level (2/255 after normalisation) so a
  // rounding tie resolved differently by another compiler still passes.
  EXPECT_LE(max_diff, 2.0f / 255.0f + 1e-6f);
}

}  // namespace
}  // namespace md
