// Official 2025 tiling (spec moondream2-official.md 5.3-5.5) on sizes worked out by
// hand, and the llama.cpp fit geometry (model-gguf.md 3.2).
#include <gtest/gtest.h>

#include "formats/image_resize.h"
#include "model/image_preprocess.h"
#include "model/image_tiling.h"

namespace md {
namespace {

struct TilingCase {
  int width, height, rows, cols;
  const char* why;
};

// Each row computed by hand from select_tiling(h = H - 112, w = W - 112, 266, 12).
const TilingCase kCases[] = {
    {10, 10, 1, 1, "tiny: usable size negative, <= 266"},
    {378, 378, 1, 1, "exactly one crop: usable 266 <= 266"},
    {300, 300, 1, 1, "small square"},
    {2000, 300, 1, 1, "thin strip: one side <= 266 (OR, not AND)"},
    {379, 379, 3, 3, "usable 267: min 2x2, floor(sqrt(12)) = 3 each"},
    {1000, 1000, 3, 3, "square: floor(sqrt(12)) = 3"},
    {640, 480, 2, 4, "th = floor(sqrt(12*368/528)) = 2, tw = floor(sqrt(17.2)) = 4"},
    {480, 640, 4, 2, "portrait of the above"},
    {4000, 3000, 2, 4, "min 11x15 = 165 > 12: r = sqrt(12/165), floor(11r) = 2, floor(15r) = 4"},
    {3000, 4000, 4, 2, "portrait 4000x3000"},
    {1024, 768, 3, 4, "min 3x4 = 12: the 12-crop limit exactly"},
    {10000, 1000, 1, 10, "min 4x38 = 152: r = 0.281, rows floor(1.12) = 1, cols floor(10.7) = 10"},
    {3000, 400, 1, 8, "1xN strip: min 2x11 = 22, r = 0.739, rows 1, cols floor(8.12) = 8"},
    {1612, 412, 2, 6, "th 1 -> min 2, tw 7: 14 > 12 so tw = 12 / 2 = 6"},
};

TEST(OfficialTilingTest, HandComputedSizes) {
  for (const TilingCase& c : kCases) {
    const OfficialTiling t = SelectOfficialTiling(c.width, c.height);
    EXPECT_EQ(t.rows, c.rows) << c.width << "x" << c.height << ": " << c.why;
    EXPECT_EQ(t.cols, c.cols) << c.width << "x" << c.height << ": " << c.why;
    EXPECT_EQ(t.resized_height, c.rows * 266 + 112);
    EXPECT_EQ(t.resized_width, c.cols * 266 + 112);
    EXPECT_EQ(t.n_crops(), 1 + c.rows * c.cols);
  }
}

TEST(OfficialTilingTest, PhonePhoto) {
  // 4032x3024: h = 2912, w = 3920; min_h = ceil(10.95) = 11, min_w = ceil(14.74) = 15;
  // 165 > 12 so r = sqrt(12/165) = 0.2697: rows floor(2.97) = 2, cols floor(4.05) = 4.
  const OfficialTiling t = SelectOfficialTiling(4032, 3024);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.cols, 4);
  EXPECT_EQ(t.resized_height, 644);
  EXPECT_EQ(t.resized_width, 1176);
}

TEST(OfficialTilingTest, NeverMoreThanTwelveAndWindowsFit) {
  for (int w = 1; w < 6000; w += 97) {
    for (int h = 1; h < 6000; h += 89) {
      const OfficialTiling t = SelectOfficialTiling(w, h);
      ASSERT_GE(t.rows, 1);
      ASSERT_GE(t.cols, 1);
      ASSERT_LE(t.rows * t.cols, 12) << w << "x" << h;
      const std::vector<CropWindow> windows = LocalCropWindows(t);
      ASSERT_EQ(static_cast<int>(windows.size()), t.rows * t.cols);
      const CropWindow& last = windows.back();
      ASSERT_EQ(last.y0 + last.size, t.resized_height);
      ASSERT_EQ(last.x0 + last.size, t.resized_width);
      ASSERT_EQ(last.crop, t.rows * t.cols);
    }
  }
}

TEST(OfficialTilingTest, CropsAreWindowsOfTheResizedPicture) {
  RgbImage img(700, 500);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>(i * 7 % 251);
  OfficialTiling t;
  const std::vector<RgbImage> crops = OfficialCropImages(img, &t);
  ASSERT_EQ(static_cast<int>(crops.size()), t.n_crops());
  EXPECT_EQ(crops[0].pixels, ResizeLanczos(img, 378, 378).pixels);
  const RgbImage big = ResizeLanczos(img, t.resized_width, t.resized_height);
  for (const CropWindow& w : LocalCropWindows(t)) {
    const RgbImage& c = crops[w.crop];
    ASSERT_EQ(c.width, 378);
    for (int y : {0, 200, 377}) {
      for (int x : {0, 150, 377}) {
        for (int ch = 0; ch < 3; ++ch) {
          ASSERT_EQ(c.row(y)[3 * x + ch], big.row(w.y0 + y)[3 * (w.x0 + x) + ch]);
        }
      }
    }
  }
  const OfficialCrops out = PreprocessForOfficial(img);
  ASSERT_EQ(out.data.size(), static_cast<size_t>(t.n_crops()) * 3 * 378 * 378);
  // Crop 2, channel 1, pixel (5, 7) normalised: p / 127.5 - 1.
  const size_t at = (2 * 3 + 1) * 378 * 378 + 5 * 378 + 7;
  EXPECT_FLOAT_EQ(out.data[at], crops[2].row(5)[3 * 7 + 1] / 255.0f / 0.5f - 1.0f);
}

TEST(GgufGeometryTest, FitAndOffsets) {
  struct Case {
    int w, h, rw, rh, ox, oy;
  } cases[] = {
      {512, 384, 378, 284, 0, 47}, {320, 480, 252, 378, 63, 0}, {200, 150, 378, 284, 0, 47},
      {300, 120, 378, 152, 0, 113}, {378, 378, 378, 378, 0, 0}, {640, 480, 378, 284, 0, 47},
      {1, 1, 378, 378, 0, 0},       {10000, 3, 378, 1, 0, 188},
  };
  for (const Case& c : cases) {
    const GgufGeometry g = GgufFitGeometry(c.w, c.h);
    EXPECT_EQ(g.resized_width, c.rw) << c.w << "x" << c.h;
    EXPECT_EQ(g.resized_height, c.rh) << c.w << "x" << c.h;
    EXPECT_EQ(g.offset_x, c.ox) << c.w << "x" << c.h;
    EXPECT_EQ(g.offset_y, c.oy) << c.w << "x" << c.h;
  }
}

TEST(GgufGeometryTest, CanvasPadsWithMeanColourAndCopies378) {
  RgbImage img(600, 300);
  std::fill(img.pixels.begin(), img.pixels.end(), 200);
  GgufGeometry g;
  const RgbImage canvas = GgufCanvas(img, &g);
  EXPECT_EQ(g.resized_height, 189);
  const uint8_t* pad = canvas.row(0);
  EXPECT_EQ(pad[0], 122);
  EXPECT_EQ(pad[1], 116);
  EXPECT_EQ(pad[2], 104);
  EXPECT_EQ(canvas.row(g.offset_y)[0], 200);
  EXPECT_EQ(canvas.row(g.offset_y - 1)[0], 122);
  RgbImage exact(378, 378);
  for (size_t i = 0; i < exact.pixels.size(); ++i) exact.pixels[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(GgufCanvas(exact).pixels, exact.pixels);
  const std::vector<float> t = PreprocessForGguf(exact);
  ASSERT_EQ(t.size(), 3u * 378 * 378);
  EXPECT_FLOAT_EQ(t[378 * 378 + 1], exact.pixels[4] / 255.0f * 2 - 1);  // G of pixel 1
}

}  // namespace
}  // namespace md
