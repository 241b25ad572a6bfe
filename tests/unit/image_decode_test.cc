// Every format and variant the decoder claims, made by the libraries' encoders in the
// test. Lossless formats must decode exactly; lossy ones within a stated error.
#include "formats/image_decode.h"

#include <gtest/gtest.h>

#include "formats/image_resize.h"
#include "unit/image_test_util.h"

namespace md {
namespace {

using test::Bytes;

DecodedImage MustDecode(const Bytes& bytes, ImageDecodeOptions options = {}) {
  StatusOr<DecodedImage> r = DecodeImage(bytes, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : DecodedImage{};
}

void ExpectClose(const RgbImage& got, const RgbImage& want, double max_mean, int max_abs) {
  ASSERT_EQ(got.width, want.width);
  ASSERT_EQ(got.height, want.height);
  int mx = 0;
  const double mean = test::MeanAbsDiff(got, want, &mx);
  EXPECT_LE(mean, max_mean);
  EXPECT_LE(mx, max_abs);
}

TEST(ImageDetectTest, MagicBytesNotNames) {
  const RgbImage img = test::Gradient(8, 8);
  EXPECT_EQ(DetectImageFormat(test::EncodeJpeg(img)), ImageFormat::kJpeg);
  EXPECT_EQ(DetectImageFormat(test::EncodePngRgb(img)), ImageFormat::kPng);
  EXPECT_EQ(DetectImageFormat(test::EncodeWebpLossless(img)), ImageFormat::kWebp);
  test::BmpSpec bmp;
  EXPECT_EQ(DetectImageFormat(test::EncodeBmp(img.pixels, 8, 8, bmp)), ImageFormat::kBmp);
  EXPECT_EQ(DetectImageFormat(test::EncodeGif(2, 1, {{0, 0, 0}, {255, 255, 255}}, 0,
                                              {{0, 0, 2, 1, {0, 1}}})),
            ImageFormat::kGif);
  EXPECT_EQ(DetectImageFormat(Bytes{'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'}), ImageFormat::kUnknown);
  EXPECT_EQ(DetectImageFormat(Bytes{0xff, 0xd8}), ImageFormat::kUnknown);
  EXPECT_STREQ(ImageFormatName(ImageFormat::kWebp), "webp");
}

// ------------------------------------------------------------------ JPEG
TEST(ImageJpegTest, BaselineRgb) {
  const RgbImage img = test::Gradient(97, 61);  // sizes not multiples of the MCU
  const DecodedImage d = MustDecode(test::EncodeJpeg(img));
  EXPECT_EQ(d.format, ImageFormat::kJpeg);
  EXPECT_EQ(d.stored_width, 97);
  EXPECT_EQ(d.stored_height, 61);
  EXPECT_FALSE(d.downscaled);
  ExpectClose(d.image, img, 1.5, 16);
}

TEST(ImageJpegTest, Progressive) {
  const RgbImage img = test::Gradient(120, 80);
  test::JpegSpec spec;
  spec.progressive = true;
  const Bytes bytes = test::EncodeJpeg(img, spec);
  const DecodedImage d = MustDecode(bytes);
  ExpectClose(d.image, img, 1.5, 16);
  // Same pixels as the baseline encoding of the same quality: the decoder is the same.
  const DecodedImage base = MustDecode(test::EncodeJpeg(img));
  ExpectClose(d.image, base.image, 0.5, 4);
}

TEST(ImageJpegTest, GrayscaleIsCopiedToRgb) {
  const int w = 64, h = 40;
  std::vector<uint8_t> gray(w * h);
  for (int i = 0; i < w * h; ++i) gray[i] = static_cast<uint8_t>((i % w) * 4);
  test::JpegSpec spec;
  spec.in_space = JCS_GRAYSCALE;
  const DecodedImage d = MustDecode(test::EncodeJpegRaw(gray.data(), w, h, spec));
  ASSERT_EQ(d.image.width, w);
  int max_err = 0;
  for (int i = 0; i < w * h; ++i) {
    const uint8_t* p = &d.image.pixels[3 * i];
    ASSERT_EQ(p[0], p[1]);
    ASSERT_EQ(p[1], p[2]);
    max_err = std::max(max_err, std::abs(p[0] - gray[i]));
  }
  EXPECT_LE(max_err, 8);
}

// CMYK as Adobe writes it (inverted: 255 = no ink), stored as CMYK or as YCCK.
void CheckCmyk(J_COLOR_SPACE stored) {
  const int w = 32, h = 16;
  // Left half: R=200 G=100 B=50 with no black; right half: the same inks at half black.
  std::vector<uint8_t> cmyk(w * h * 4);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &cmyk[(y * w + x) * 4];
      p[0] = 200, p[1] = 100, p[2] = 50, p[3] = x < w / 2 ? 255 : 128;
    }
  }
  test::JpegSpec spec;
  spec.in_space = JCS_CMYK;
  spec.jpeg_space = stored;
  const DecodedImage d = MustDecode(test::EncodeJpegRaw(cmyk.data(), w, h, spec));
  const uint8_t* left = d.image.row(8) + 3 * 4;
  const uint8_t* right = d.image.row(8) + 3 * 28;
  EXPECT_NEAR(left[0], 200, 4);
  EXPECT_NEAR(left[1], 100, 4);
  EXPECT_NEAR(left[2], 50, 4);
  EXPECT_NEAR(right[0], 200 * 128 / 255, 4);
  EXPECT_NEAR(right[1], 100 * 128 / 255, 4);
  EXPECT_NEAR(right[2], 50 * 128 / 255, 4);
}
TEST(ImageJpegTest, Cmyk) { CheckCmyk(JCS_CMYK); }
TEST(ImageJpegTest, Ycck) { CheckCmyk(JCS_YCCK); }

TEST(ImageJpegTest, LargeJpegUsesDctScalingThenExactSize) {
  const RgbImage img = test::Gradient(2600, 1300);
  const Bytes bytes = test::EncodeJpeg(img, {.quality = 80});
  ImageDecodeOptions opt;
  opt.max_image_size = 1280;
  const DecodedImage d = MustDecode(bytes, opt);
  EXPECT_EQ(d.jpeg_scale_num, 4);  // 1/2: 1300 >= 1280 > 650 (1/4)
  EXPECT_TRUE(d.downscaled);
  EXPECT_EQ(d.image.width, 1280);
  EXPECT_EQ(d.image.height, 640);
  EXPECT_EQ(d.stored_width, 2600);
  ExpectClose(d.image, ResizeLanczos(img, 1280, 640), 1.5, 24);
  // The rows were area-averaged while decoding: exactly ResizeArea of the 1/2-scale
  // decode (max_image_size 1300 gives that decode with nothing else done).
  opt.max_image_size = 1300;
  const DecodedImage half = MustDecode(bytes, opt);
  EXPECT_EQ(half.jpeg_scale_num, 4);
  ASSERT_EQ(half.image.width, 1300);
  EXPECT_EQ(d.image.pixels, ResizeArea(half.image, 1280, 640).pixels);

  opt.max_image_size = 0;  // off: full size
  const DecodedImage full = MustDecode(bytes, opt);
  EXPECT_EQ(full.jpeg_scale_num, 8);
  EXPECT_EQ(full.image.width, 2600);
  EXPECT_FALSE(full.downscaled);
}

// ------------------------------------------------------------------ PNG
TEST(ImagePngTest, RgbExactAndInterlacedSame) {
  const RgbImage img = test::Gradient(33, 17);
  const DecodedImage plain = MustDecode(test::EncodePngRgb(img));
  EXPECT_EQ(plain.image.pixels, img.pixels);
  const DecodedImage inter = MustDecode(test::EncodePngRgb(img, /*interlace=*/true));
  EXPECT_EQ(inter.image.pixels, img.pixels);
}

TEST(ImagePngTest, Gray8AndGray1) {
  const int w = 13, h = 5;
  std::vector<Bytes> rows8, rows1;
  for (int y = 0; y < h; ++y) {
    Bytes r8, r1((w + 7) / 8, 0);
    for (int x = 0; x < w; ++x) {
      r8.push_back(static_cast<uint8_t>(x * 19 + y));
      if ((x + y) % 2) r1[x / 8] |= 0x80 >> (x % 8);
    }
    rows8.push_back(r8);
    rows1.push_back(r1);
  }
  test::PngSpec spec;
  spec.color_type = PNG_COLOR_TYPE_GRAY;
  const DecodedImage g8 = MustDecode(test::EncodePngRaw(rows8, w, h, spec));
  spec.bit_depth = 1;
  const DecodedImage g1 = MustDecode(test::EncodePngRaw(rows1, w, h, spec));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t* p8 = g8.image.row(y) + 3 * x;
      const uint8_t* p1 = g1.image.row(y) + 3 * x;
      EXPECT_EQ(p8[0], rows8[y][x]);
      EXPECT_EQ(p8[2], rows8[y][x]);
      EXPECT_EQ(p1[1], (x + y) % 2 ? 255 : 0);  // 1-bit scaled to 0/255
    }
  }
}

TEST(ImagePngTest, GrayAlphaDropsAlpha) {
  const int w = 4, h = 2;
  std::vector<Bytes> rows(h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) rows[y].insert(rows[y].end(), {static_cast<uint8_t>(50 * x), static_cast<uint8_t>(x * 80)});
  }
  test::PngSpec spec;
  spec.color_type = PNG_COLOR_TYPE_GRAY_ALPHA;
  const DecodedImage d = MustDecode(test::EncodePngRaw(rows, w, h, spec));
  EXPECT_TRUE(d.had_alpha);
  for (int x = 0; x < w; ++x) EXPECT_EQ(d.image.row(1)[3 * x + 1], 50 * x);
}

TEST(ImagePngTest, PaletteWithTransparencyKeepsPaletteColours) {
  const int w = 6, h = 3;
  test::PngSpec spec;
  spec.color_type = PNG_COLOR_TYPE_PALETTE;
  spec.bit_depth = 4;
  spec.palette = {{10, 20, 30}, {200, 100, 0}, {0, 0, 255}};
  spec.trans = {0, 255, 128};  // index 0 fully transparent: its stored colour is kept
  std::vector<Bytes> rows;
  for (int y = 0; y < h; ++y) {
    Bytes r((w + 1) / 2, 0);
    for (int x = 0; x < w; ++x) r[x / 2] |= ((x + y) % 3) << (x % 2 ? 0 : 4);
    rows.push_back(r);
  }
  const DecodedImage d = MustDecode(test::EncodePngRaw(rows, w, h, spec));
  EXPECT_TRUE(d.had_alpha);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const png_color& c = spec.palette[(x + y) % 3];
      const uint8_t* p = d.image.row(y) + 3 * x;
      EXPECT_EQ(p[0], c.red);
      EXPECT_EQ(p[1], c.green);
      EXPECT_EQ(p[2], c.blue);
    }
  }
}

TEST(ImagePngTest, Rgb16KeepsHighByte) {
  const int w = 3, h = 2;
  std::vector<Bytes> rows(h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w * 3; ++x) rows[y].insert(rows[y].end(), {static_cast<uint8_t>(x * 20 + y), 0xff});
  }
  test::PngSpec spec;
  spec.bit_depth = 16;
  const DecodedImage d = MustDecode(test::EncodePngRaw(rows, w, h, spec));
  for (int i = 0; i < w * 3; ++i) EXPECT_EQ(d.image.row(1)[i], i * 20 + 1);
}

TEST(ImagePngTest, RgbaDropsAlphaKeepsStoredRgb) {
  const int w = 5, h = 4;
  std::vector<Bytes> rows(h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      rows[y].insert(rows[y].end(), {static_cast<uint8_t>(40 * x), static_cast<uint8_t>(60 * y), 7,
                                     static_cast<uint8_t>(x == 0 ? 0 : 255)});
    }
  }
  test::PngSpec spec;
  spec.color_type = PNG_COLOR_TYPE_RGB_ALPHA;
  spec.interlace = true;
  const DecodedImage d = MustDecode(test::EncodePngRaw(rows, w, h, spec));
  EXPECT_TRUE(d.had_alpha);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = d.image.row(y) + 3 * x;
      EXPECT_EQ(p[0], 40 * x);  // not composited, even where alpha is 0
      EXPECT_EQ(p[1], 60 * y);
      EXPECT_EQ(p[2], 7);
    }
  }
}

TEST(ImagePngTest, MaxImageSizeScalesLargeAndLeavesOthersUntouched) {
  const RgbImage big = test::Gradient(2000, 1000);
  ImageDecodeOptions opt;
  const DecodedImage d = MustDecode(test::EncodePngRgb(big), opt);
  EXPECT_TRUE(d.downscaled);
  EXPECT_EQ(d.image.width, 1280);
  EXPECT_EQ(d.image.height, 640);
  EXPECT_EQ(d.image.pixels, ResizeArea(big, 1280, 640).pixels);

  const RgbImage at_limit = test::Gradient(1280, 300);
  const DecodedImage same = MustDecode(test::EncodePngRgb(at_limit), opt);
  EXPECT_FALSE(same.downscaled);
  EXPECT_EQ(same.image.pixels, at_limit.pixels);

  opt.max_image_size = 0;
  const DecodedImage off = MustDecode(test::EncodePngRgb(big), opt);
  EXPECT_EQ(off.image.width, 2000);
  EXPECT_EQ(off.image.pixels, big.pixels);
}

// ------------------------------------------------------------------ WebP
TEST(ImageWebpTest, Lossy) {
  const RgbImage img = test::Gradient(64, 48);
  const DecodedImage d = MustDecode(test::EncodeWebpLossy(img, 95));
  EXPECT_EQ(d.format, ImageFormat::kWebp);
  ExpectClose(d.image, img, 2.0, 24);
}

TEST(ImageWebpTest, LosslessExact) {
  const RgbImage img = test::Gradient(65, 33);
  EXPECT_EQ(MustDecode(test::EncodeWebpLossless(img)).image.pixels, img.pixels);
}

TEST(ImageWebpTest, AlphaDroppedLosslessAndLossy) {
  const int w = 16, h = 8;
  const RgbImage img = test::Gradient(w, h);
  Bytes rgba;
  for (int i = 0; i < w * h; ++i) {
    rgba.insert(rgba.end(), img.pixels.begin() + 3 * i, img.pixels.begin() + 3 * i + 3);
    rgba.push_back(static_cast<uint8_t>(128 + (i % 128)));  // never fully transparent
  }
  const DecodedImage lossless = MustDecode(test::EncodeWebpRgba(rgba, w, h, true));
  EXPECT_TRUE(lossless.had_alpha);
  EXPECT_EQ(lossless.image.pixels, img.pixels);
  const DecodedImage lossy = MustDecode(test::EncodeWebpRgba(rgba, w, h, false));
  EXPECT_TRUE(lossy.had_alpha);
  ExpectClose(lossy.image, img, 4.0, 40);
}

TEST(ImageWebpTest, AnimatedTakesFirstFrame) {
  const RgbImage first = test::Gradient(20, 10);
  const RgbImage second = test::Quadrants(20, 10);
  const DecodedImage d = MustDecode(test::AnimatedWebp({first, second}));
  EXPECT_TRUE(d.animated);
  EXPECT_EQ(d.image.pixels, first.pixels);
}

// ------------------------------------------------------------------ GIF
const std::vector<GifColorType> kGifPalette = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255},
                                               {10, 20, 30}, {255, 255, 255}, {1, 2, 3}, {9, 9, 9}};

std::vector<uint8_t> GifIndices(int w, int h, int salt) {
  std::vector<uint8_t> idx(w * h);
  for (int i = 0; i < w * h; ++i) idx[i] = static_cast<uint8_t>((i * 7 + salt + i / w) % 6);
  return idx;
}

void ExpectGifPixels(const RgbImage& img, const test::GifFrame& f, const std::vector<GifColorType>& pal) {
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) {
      const GifColorType& c = pal[f.indices[y * f.width + x]];
      const uint8_t* p = img.row(f.top + y) + 3 * (f.left + x);
      ASSERT_EQ(p[0], c.Red) << x << "," << y;
      ASSERT_EQ(p[1], c.Green);
      ASSERT_EQ(p[2], c.Blue);
    }
  }
}

TEST(ImageGifTest, SingleFrameExact) {
  test::GifFrame f{0, 0, 11, 7, GifIndices(11, 7, 0)};
  const DecodedImage d = MustDecode(test::EncodeGif(11, 7, kGifPalette, 0, {f}));
  EXPECT_EQ(d.format, ImageFormat::kGif);
  EXPECT_FALSE(d.animated);
  ExpectGifPixels(d.image, f, kGifPalette);
}

TEST(ImageGifTest, InterlacedFrame) {
  test::GifFrame f{0, 0, 9, 19, GifIndices(9, 19, 3)};
  f.interlace = true;
  ExpectGifPixels(MustDecode(test::EncodeGif(9, 19, kGifPalette, 0, {f})).image, f, kGifPalette);
}

TEST(ImageGifTest, AnimatedTakesFirstFrameWithItsPaletteAndTransparency) {
  // First frame: a 6x4 patch at (2, 1) of a 10x6 screen with a local palette and
  // index 0 transparent; the rest of the screen is the background colour (index 4).
  test::GifFrame f1{2, 1, 6, 4, GifIndices(6, 4, 1)};
  f1.transparent = 0;
  f1.local_palette = {{100, 0, 0}, {0, 100, 0}, {0, 0, 100}, {50, 50, 50}, {70, 80, 90}, {1, 1, 1}, {2, 2, 2}, {3, 3, 3}};
  test::GifFrame f2{0, 0, 10, 6, GifIndices(10, 6, 2)};
  // giflib 5.2's encoder leaks a frame's copied local palette when the next frame has
  // none, so the second frame carries one as well.
  f2.local_palette = kGifPalette;
  const DecodedImage d = MustDecode(test::EncodeGif(10, 6, kGifPalette, 4, {f1, f2}, /*netscape=*/true));
  EXPECT_TRUE(d.animated);
  EXPECT_TRUE(d.had_alpha);
  ASSERT_EQ(d.image.width, 10);
  ExpectGifPixels(d.image, f1, f1.local_palette);  // transparent index keeps its colour
  const uint8_t* corner = d.image.row(0);
  EXPECT_EQ(corner[0], 10);  // background = global palette entry 4
  EXPECT_EQ(corner[1], 20);
  EXPECT_EQ(corner[2], 30);
}

// ------------------------------------------------------------------ BMP
class ImageBmpTest : public ::testing::Test {
 protected:
  void ExpectRgb(const test::BmpSpec& spec, int w, int h, int tolerance) {
    const RgbImage img = test::Gradient(w, h);
    const DecodedImage d = MustDecode(test::EncodeBmp(img.pixels, w, h, spec));
    EXPECT_EQ(d.format, ImageFormat::kBmp);
    ExpectClose(d.image, img, tolerance, tolerance);
  }
};

TEST_F(ImageBmpTest, Rgb24BottomUpAndTopDownOddWidth) {
  test::BmpSpec s;
  ExpectRgb(s, 7, 5, 0);  // 21-byte rows padded to 24
  s.top_down = true;
  ExpectRgb(s, 7, 5, 0);
}

TEST_F(ImageBmpTest, Rgb32PlainAndBitfieldsV5) {
  test::BmpSpec s;
  s.bpp = 32;
  ExpectRgb(s, 9, 4, 0);
  s.header_size = 124;
  s.compression = 3;
  s.masks[0] = 0x0000ff00, s.masks[1] = 0x00ff0000, s.masks[2] = 0xff000000, s.masks[3] = 0x000000ff;
  const RgbImage img = test::Gradient(9, 4);
  const DecodedImage d = MustDecode(test::EncodeBmp(img.pixels, 9, 4, s));
  EXPECT_TRUE(d.had_alpha);
  EXPECT_EQ(d.image.pixels, img.pixels);
}

TEST_F(ImageBmpTest, Rgb16In555And565) {
  test::BmpSpec s;
  s.bpp = 16;
  ExpectRgb(s, 10, 3, 5);  // 5 bits per channel: within 255/31/2 + 1
  s.compression = 3;
  s.masks[0] = 0xf800, s.masks[1] = 0x07e0, s.masks[2] = 0x001f;
  ExpectRgb(s, 10, 3, 5);
}

TEST_F(ImageBmpTest, PalettedDepths) {
  for (int bpp : {1, 4, 8}) {
    const int w = 13, h = 3, n = std::min(1 << bpp, 6);
    test::BmpSpec s;
    s.bpp = bpp;
    for (int i = 0; i < n; ++i) s.palette_rgb.insert(s.palette_rgb.end(), {static_cast<uint8_t>(i * 40), static_cast<uint8_t>(255 - i * 30), static_cast<uint8_t>(i)});
    std::vector<uint8_t> idx(w * h);
    for (int i = 0; i < w * h; ++i) idx[i] = static_cast<uint8_t>((i * 5) % n);
    const DecodedImage d = MustDecode(test::EncodeBmp(idx, w, h, s));
    for (int i = 0; i < w * h; ++i) {
      ASSERT_EQ(d.image.pixels[3 * i], s.palette_rgb[3 * idx[i]]) << "bpp " << bpp << " pixel " << i;
      ASSERT_EQ(d.image.pixels[3 * i + 1], s.palette_rgb[3 * idx[i] + 1]);
    }
  }
}

TEST_F(ImageBmpTest, Os2CoreHeader) {
  test::BmpSpec s;
  s.header_size = 12;
  ExpectRgb(s, 6, 6, 0);
  s.bpp = 8;
  s.palette_rgb = {1, 2, 3, 4, 5, 6};
  const std::vector<uint8_t> idx = {0, 1, 1, 0};
  const DecodedImage d = MustDecode(test::EncodeBmp(idx, 2, 2, s));
  EXPECT_EQ(d.image.pixels, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3}));
}

// ------------------------------------------------------------------ resize helpers
TEST(ImageResizeTest, FitLongestSide) {
  int w, h;
  FitLongestSide(4032, 3024, 1280, &w, &h);
  EXPECT_EQ(w, 1280);
  EXPECT_EQ(h, 960);
  FitLongestSide(3024, 4032, 1280, &w, &h);
  EXPECT_EQ(w, 960);
  EXPECT_EQ(h, 1280);
  FitLongestSide(10000, 3, 1280, &w, &h);
  EXPECT_EQ(h, 1);  // never 0
  FitLongestSide(1280, 1280, 1280, &w, &h);
  EXPECT_EQ(w, 1280);
  FitLongestSide(5000, 5000, 0, &w, &h);
  EXPECT_EQ(w, 5000);
}

TEST(ImageResizeTest, ConstantStaysConstantAndBoxAverages) {
  RgbImage flat(300, 200);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 77);
  for (auto [w, h] : {std::pair{100, 50}, {301, 199}, {7, 3}, {1000, 10}}) {
    const RgbImage r = ResizeDown(flat, w, h);
    ASSERT_EQ(r.width, w);
    ASSERT_EQ(r.height, h);
    for (uint8_t v : r.pixels) ASSERT_EQ(v, 77);
  }
  // Area averaging: 3 -> 2 pixels weighs the middle one half to each side.
  RgbImage three(3, 1);
  three.pixels = {0, 0, 0, 90, 90, 90, 180, 180, 180};
  EXPECT_EQ(ResizeArea(three, 2, 1).pixels, (std::vector<uint8_t>{30, 30, 30, 150, 150, 150}));
  RgbImage two(2, 1);
  two.pixels = {0, 10, 20, 100, 110, 121};
  EXPECT_EQ(ReduceBox(two, 2, 1).pixels, (std::vector<uint8_t>{50, 60, 71}));
}

}  // namespace
}  // namespace md
