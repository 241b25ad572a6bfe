// EXIF orientation: the bounds-checked parser, the eight turns, and the tag read from
// each container (JPEG APP1, PNG eXIf, WebP EXIF).
#include <gtest/gtest.h>

#include "formats/image_decode.h"
#include "unit/image_test_util.h"

namespace md {
namespace {

using test::Bytes;

TEST(ExifParseTest, BothByteOrdersAndPrefix) {
  for (int o = 1; o <= 8; ++o) {
    EXPECT_EQ(ParseExifOrientation(test::ExifWithOrientation(o, false)), o);
    EXPECT_EQ(ParseExifOrientation(test::ExifWithOrientation(o, true)), o);
    Bytes prefixed = {'E', 'x', 'i', 'f', 0, 0};
    const Bytes e = test::ExifWithOrientation(o, true);
    prefixed.insert(prefixed.end(), e.begin(), e.end());
    EXPECT_EQ(ParseExifOrientation(prefixed), o);
  }
}

TEST(ExifParseTest, MalformedGivesOneNeverReadsPastEnd) {
  const Bytes good = test::ExifWithOrientation(6);
  // Every prefix: either the tag is complete (6) or the answer is 1.
  for (size_t n = 0; n < good.size(); ++n) {
    const Bytes cut(good.begin(), good.begin() + n);
    const int o = ParseExifOrientation(cut);
    EXPECT_TRUE(o == 1 || o == 6) << n;
  }
  Bytes bad_magic = good;
  bad_magic[2] = 43;
  EXPECT_EQ(ParseExifOrientation(bad_magic), 1);
  Bytes far_ifd = good;
  far_ifd[4] = 0xff, far_ifd[5] = 0xff, far_ifd[6] = 0xff, far_ifd[7] = 0x7f;
  EXPECT_EQ(ParseExifOrientation(far_ifd), 1);
  Bytes out_of_range = test::ExifWithOrientation(9);
  EXPECT_EQ(ParseExifOrientation(out_of_range), 1);
  Bytes huge_count = good;
  huge_count[8] = 0xff, huge_count[9] = 0xff;  // 65535 entries claimed
  EXPECT_EQ(ParseExifOrientation(huge_count), 6);  // found before running off the end
  EXPECT_EQ(ParseExifOrientation(Bytes{'I', 'I'}), 1);
}

// A 3 x 2 picture whose pixels are numbered 0..5 (value in R) row-major.
RgbImage Numbered() {
  RgbImage img(3, 2);
  for (int i = 0; i < 6; ++i) img.pixels[3 * i] = static_cast<uint8_t>(i);
  return img;
}

std::vector<int> Numbers(const RgbImage& img) {
  std::vector<int> v;
  for (size_t i = 0; i < img.pixels.size(); i += 3) v.push_back(img.pixels[i]);
  return v;
}

TEST(ExifOrientTest, AllEightByHand) {
  // Stored:  0 1 2
  //          3 4 5
  struct Case {
    int orientation, w, h;
    std::vector<int> shown;
  };
  const Case cases[] = {
      {1, 3, 2, {0, 1, 2, 3, 4, 5}},
      {2, 3, 2, {2, 1, 0, 5, 4, 3}},        // mirrored left-right
      {3, 3, 2, {5, 4, 3, 2, 1, 0}},        // rotated 180
      {4, 3, 2, {3, 4, 5, 0, 1, 2}},        // mirrored top-bottom
      {5, 2, 3, {0, 3, 1, 4, 2, 5}},        // transposed
      {6, 2, 3, {3, 0, 4, 1, 5, 2}},        // rotated 90 clockwise
      {7, 2, 3, {5, 2, 4, 1, 3, 0}},        // transverse
      {8, 2, 3, {2, 5, 1, 4, 0, 3}},        // rotated 90 counter-clockwise
  };
  for (const Case& c : cases) {
    const RgbImage out = ApplyOrientation(Numbered(), c.orientation);
    EXPECT_EQ(out.width, c.w) << c.orientation;
    EXPECT_EQ(out.height, c.h) << c.orientation;
    EXPECT_EQ(Numbers(out), c.shown) << "orientation " << c.orientation;
  }
  EXPECT_EQ(Numbers(ApplyOrientation(Numbered(), 0)), Numbers(Numbered()));
  EXPECT_EQ(Numbers(ApplyOrientation(Numbered(), 9)), Numbers(Numbered()));
}

// The colour of the quadrant at the top-left of the shown picture for each orientation,
// with the stored picture red | green over blue | white.
const uint8_t* TopLeft(const RgbImage& img) { return img.row(2) + 3 * 2; }

void ExpectColor(const uint8_t* p, int r, int g, int b, const std::string& what) {
  EXPECT_NEAR(p[0], r, 12) << what;
  EXPECT_NEAR(p[1], g, 12) << what;
  EXPECT_NEAR(p[2], b, 12) << what;
}

TEST(ExifOrientTest, JpegApp1AllOrientations) {
  // Top-left colour shown for each orientation (stored: R G / B W).
  const int want[9][3] = {{}, {255, 0, 0}, {0, 255, 0}, {255, 255, 255}, {0, 0, 255},
                          {255, 0, 0}, {0, 0, 255}, {255, 255, 255}, {0, 255, 0}};
  const RgbImage img = test::Quadrants(48, 32);
  for (int o = 1; o <= 8; ++o) {
    test::JpegSpec spec;
    spec.exif = test::ExifWithOrientation(o, o % 2 == 0);
    const Bytes bytes = test::EncodeJpeg(img, spec);
    StatusOr<DecodedImage> d = DecodeImage(bytes, {});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->orientation, o);
    EXPECT_EQ(d->orientation_applied, o != 1);
    const bool swap = o >= 5;
    EXPECT_EQ(d->image.width, swap ? 32 : 48) << o;
    EXPECT_EQ(d->oriented_width, swap ? 32 : 48) << o;
    EXPECT_EQ(d->stored_width, 48);
    ExpectColor(TopLeft(d->image), want[o][0], want[o][1], want[o][2], "orientation " + std::to_string(o));

    ImageDecodeOptions keep;
    keep.apply_exif_orientation = false;
    StatusOr<DecodedImage> k = DecodeImage(bytes, keep);
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->orientation, o);
    EXPECT_FALSE(k->orientation_applied);
    EXPECT_EQ(k->image.width, 48);
    ExpectColor(TopLeft(k->image), 255, 0, 0, "stored");
  }
}

TEST(ExifOrientTest, PngExifChunk) {
  const RgbImage img = test::Quadrants(8, 4);
  StatusOr<DecodedImage> d = DecodeImage(test::EncodePngRgb(img, false, test::ExifWithOrientation(6, true)), {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->orientation, 6);
  EXPECT_EQ(d->image.width, 4);
  EXPECT_EQ(d->image.height, 8);
  EXPECT_EQ(d->image.pixels, ApplyOrientation(img, 6).pixels);
}

TEST(ExifOrientTest, WebpExifChunk) {
  const RgbImage img = test::Quadrants(10, 6);
  StatusOr<DecodedImage> d = DecodeImage(test::WebpWithExif(img, test::ExifWithOrientation(3)), {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->orientation, 3);
  EXPECT_EQ(d->image.pixels, ApplyOrientation(img, 3).pixels);
}

TEST(ExifOrientTest, RotationAfterMaxImageSize) {
  // 3000 x 1000 stored, shown rotated: 1000 x 3000 -> 427 x 1280 after the limit.
  const RgbImage img = test::Quadrants(3000, 1000);
  test::JpegSpec spec;
  spec.quality = 70;
  spec.exif = test::ExifWithOrientation(8);
  StatusOr<DecodedImage> d = DecodeImage(test::EncodeJpeg(img, spec), {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->oriented_width, 1000);
  EXPECT_EQ(d->oriented_height, 3000);
  EXPECT_EQ(d->image.width, 427);
  EXPECT_EQ(d->image.height, 1280);
  ExpectColor(d->image.row(5) + 3 * 5, 0, 255, 0, "top-left after rotating counter-clockwise");
}

}  // namespace
}  // namespace md
