// Every kind of bad picture: empty, truncated, headerless, corrupt, zero-size, huge
// ("bomb") headers, wrong magic, unsupported variants, and the limits. Each must give a
// Status with a reason, quickly, and never a crash or a half-decoded picture.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "formats/image_decode.h"
#include "unit/image_test_util.h"

namespace md {
namespace {

using test::Bytes;

Status DecodeStatus(const Bytes& bytes, ImageDecodeOptions options = {}) {
  return DecodeImage(bytes, options).status();
}

uint32_t Crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return ~c;
}

void PutBe32(Bytes& b, size_t at, uint32_t v) {
  b[at] = v >> 24, b[at + 1] = (v >> 16) & 255, b[at + 2] = (v >> 8) & 255, b[at + 3] = v & 255;
}

// A PNG whose IHDR says width x height (CRC fixed up), pixel data left as it was.
Bytes PngWithSize(uint32_t width, uint32_t height) {
  Bytes b = test::EncodePngRgb(test::Gradient(8, 8));
  PutBe32(b, 16, width);
  PutBe32(b, 20, height);
  PutBe32(b, 29, Crc32(&b[12], 17));
  return b;
}

size_t FindMarker(const Bytes& b, uint8_t marker) {
  for (size_t i = 2; i + 1 < b.size(); ++i) {
    if (b[i] == 0xff && b[i + 1] == marker) return i;
  }
  ADD_FAILURE() << "marker not found";
  return 0;
}

// A JPEG whose SOF0 says width x height.
Bytes JpegWithSize(uint16_t width, uint16_t height) {
  Bytes b = test::EncodeJpeg(test::Gradient(16, 16));
  const size_t sof = FindMarker(b, 0xc0);
  b[sof + 5] = height >> 8, b[sof + 6] = height & 255;
  b[sof + 7] = width >> 8, b[sof + 8] = width & 255;
  return b;
}

struct Sample {
  const char* name;
  Bytes bytes;
};

std::vector<Sample> Samples() {
  const RgbImage img = test::Gradient(64, 48);
  test::BmpSpec bmp;
  std::vector<uint8_t> idx(64 * 48);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<uint8_t>(i * 13 % 7);
  test::JpegSpec progressive;
  progressive.progressive = true;
  return {
      {"jpeg", test::EncodeJpeg(img)},
      {"jpeg-progressive", test::EncodeJpeg(img, progressive)},
      {"png", test::EncodePngRgb(img)},
      {"png-interlaced", test::EncodePngRgb(img, true)},
      {"webp-lossy", test::EncodeWebpLossy(img)},
      {"webp-lossless", test::EncodeWebpLossless(img)},
      {"gif", test::EncodeGif(64, 48, {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {9, 9, 9}, {1, 1, 1}, {7, 7, 7}, {5, 5, 5}},
                              0, {{0, 0, 64, 48, idx}})},
      {"bmp", test::EncodeBmp(img.pixels, 64, 48, bmp)},
  };
}

TEST(ImageBadTest, EmptyFile) {
  const Status s = DecodeStatus({});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("empty"), std::string::npos);
}

TEST(ImageBadTest, TruncatedEveryFormat) {
  for (const Sample& s : Samples()) {
    ASSERT_TRUE(DecodeStatus(s.bytes).ok()) << s.name;
    for (double f : {0.02, 0.1, 0.3, 0.5, 0.7, 0.9}) {
      const Bytes cut(s.bytes.begin(), s.bytes.begin() + static_cast<size_t>(s.bytes.size() * f));
      const Status st = DecodeStatus(cut);
      EXPECT_FALSE(st.ok()) << s.name << " cut at " << f << " decoded as a picture";
      if (cut.size() >= 12) EXPECT_EQ(st.code(), StatusCode::kDataLoss) << s.name << " " << f << ": " << st.ToString();
      EXPECT_FALSE(st.message().empty());
    }
  }
}

TEST(ImageBadTest, TruncatedJpegIsAnErrorNotAGrayPicture) {
  const Bytes jpeg = test::EncodeJpeg(test::Gradient(200, 200));
  const Status s = DecodeStatus(Bytes(jpeg.begin(), jpeg.begin() + jpeg.size() / 2));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("JPEG"), std::string::npos) << s.message();
}

TEST(ImageBadTest, Headerless) {
  const Bytes jpeg = test::EncodeJpeg(test::Gradient(16, 16));
  // Without its SOI marker the stream is not recognised at all.
  EXPECT_EQ(DecodeStatus(Bytes(jpeg.begin() + 2, jpeg.end())).code(), StatusCode::kUnsupported);
  // Only the signatures, nothing after them.
  for (const Bytes& b : {Bytes{0xff, 0xd8, 0xff, 0xe0}, Bytes{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                         Bytes{'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'E', 'B', 'P'},
                         Bytes{'G', 'I', 'F', '8', '9', 'a'}, Bytes{'B', 'M'}}) {
    EXPECT_EQ(DecodeStatus(b).code(), StatusCode::kDataLoss) << b.size();
  }
  // SOI then noise.
  Bytes noise = {0xff, 0xd8, 0xff};
  for (int i = 0; i < 500; ++i) noise.push_back(static_cast<uint8_t>(i * 37));
  EXPECT_EQ(DecodeStatus(noise).code(), StatusCode::kDataLoss);
}

TEST(ImageBadTest, CorruptJpeg) {
  const Bytes good = test::EncodeJpeg(test::Gradient(64, 64));
  Bytes bad_huffman = good;
  const size_t dht = FindMarker(bad_huffman, 0xc4);
  for (int i = 5; i < 21; ++i) bad_huffman[dht + i] = 0xff;  // impossible code counts
  EXPECT_EQ(DecodeStatus(bad_huffman).code(), StatusCode::kDataLoss);

  // An EOI marker in the middle of the entropy-coded data: "premature end of data
  // segment" is a warning in libjpeg; for us it is an error.
  Bytes early_eoi = good;
  const size_t mid = FindMarker(early_eoi, 0xda) + (early_eoi.size() - FindMarker(early_eoi, 0xda)) / 3;
  early_eoi[mid] = 0xff, early_eoi[mid + 1] = 0xd9;
  const Status s = DecodeStatus(early_eoi);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();

  Bytes no_components = good;
  no_components[FindMarker(no_components, 0xc0) + 9] = 0;
  EXPECT_EQ(DecodeStatus(no_components).code(), StatusCode::kDataLoss);
}

TEST(ImageBadTest, CorruptPng) {
  const Bytes good = test::EncodePngRgb(test::Gradient(32, 32));
  size_t idat = 0;
  for (size_t i = 8; i + 4 < good.size(); ++i) {
    if (std::memcmp(&good[i], "IDAT", 4) == 0) idat = i;
  }
  ASSERT_GT(idat, 0u);
  Bytes bad_crc = good;
  bad_crc[idat + 20] ^= 0x55;
  Status s = DecodeStatus(bad_crc);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("PNG"), std::string::npos) << s.message();

  // Same damage with a valid CRC: zlib finds it.
  Bytes bad_zlib = bad_crc;
  const uint32_t len = bad_zlib[idat - 4] << 24 | bad_zlib[idat - 3] << 16 | bad_zlib[idat - 2] << 8 | bad_zlib[idat - 1];
  for (size_t i = idat + 10; i < idat + 4 + len; ++i) bad_zlib[i] ^= 0xa5;
  PutBe32(bad_zlib, idat + 4 + len, Crc32(&bad_zlib[idat], len + 4));
  EXPECT_EQ(DecodeStatus(bad_zlib).code(), StatusCode::kDataLoss);
}

TEST(ImageBadTest, CorruptWebpGifBmp) {
  Bytes webp = test::EncodeWebpLossy(test::Gradient(32, 32));
  webp[23] ^= 0xff;  // VP8 start code
  EXPECT_EQ(DecodeStatus(webp).code(), StatusCode::kDataLoss);
  Bytes webpl = test::EncodeWebpLossless(test::Gradient(32, 32));
  for (size_t i = 30; i < webpl.size(); ++i) webpl[i] = 0xff;
  EXPECT_EQ(DecodeStatus(webpl).code(), StatusCode::kDataLoss);

  Bytes gif = Samples()[6].bytes;
  // The LZW minimum code size follows the 10-byte image descriptor at 13 + 3 * 8.
  const size_t lzw = 13 + 3 * 8 + 10;
  ASSERT_EQ(gif[lzw - 10], 0x2c);
  gif[lzw] = 15;  // larger than GIF allows
  EXPECT_EQ(DecodeStatus(gif).code(), StatusCode::kDataLoss);

  Bytes bmp = Samples()[7].bytes;
  Bytes bad_header = bmp;
  bad_header[14] = 99;
  EXPECT_EQ(DecodeStatus(bad_header).code(), StatusCode::kDataLoss);
  Bytes planes = bmp;
  planes[26] = 2;
  EXPECT_EQ(DecodeStatus(planes).code(), StatusCode::kDataLoss);
  Bytes offset = bmp;
  offset[10] = 0xff, offset[11] = 0xff, offset[12] = 0xff;
  EXPECT_EQ(DecodeStatus(offset).code(), StatusCode::kDataLoss);
}

TEST(ImageBadTest, ZeroSize) {
  EXPECT_EQ(DecodeStatus(PngWithSize(0, 8)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeStatus(JpegWithSize(0, 16)).code(), StatusCode::kDataLoss);
  Bytes gif = Samples()[6].bytes;
  gif[6] = gif[7] = 0;
  EXPECT_EQ(DecodeStatus(gif).code(), StatusCode::kDataLoss);
  test::BmpSpec s;
  EXPECT_EQ(DecodeStatus(test::EncodeBmp({}, 0, 5, s)).code(), StatusCode::kDataLoss);
}

TEST(ImageBadTest, BombHeadersRefusedFastWithoutAllocating) {
  Bytes webp = test::EncodeWebpLossy(test::Gradient(16, 16));
  webp[26] = 0xff, webp[27] = 0x3f, webp[28] = 0xff, webp[29] = 0x3f;  // 16383 x 16383
  Bytes gif = Samples()[6].bytes;
  gif[6] = gif[7] = gif[8] = gif[9] = 0xff;  // 65535 x 65535 screen
  test::BmpSpec s;
  Bytes bmp = test::EncodeBmp({}, 0, 0, s);
  bmp[18] = 0x50, bmp[19] = 0xc3, bmp[22] = 0x50, bmp[23] = 0xc3;  // 50000 x 50000, no pixels
  const std::vector<Sample> bombs = {{"png 50000x50000", PngWithSize(50000, 50000)},
                                     {"png 2^31-1 x 1", PngWithSize(0x7fffffff, 1)},
                                     {"jpeg 60000x60000", JpegWithSize(60000, 60000)},
                                     {"webp 16383x16383", webp},
                                     {"gif 65535x65535", gif},
                                     {"bmp 50000x50000", bmp}};
  for (const Sample& b : bombs) {
    const auto t0 = std::chrono::steady_clock::now();
    const Status st = DecodeStatus(b.bytes);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(st.code(), StatusCode::kOutOfRange) << b.name << ": " << st.ToString();
    EXPECT_NE(st.message().find("over the limit"), std::string::npos) << st.message();
    EXPECT_LT(ms, 100.0) << b.name;
  }
}

TEST(ImageBadTest, WrongMagicAndUnsupportedTypes) {
  Status s = DecodeStatus(Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("68 65 6c 6c"), std::string::npos) << s.message();
  s = DecodeStatus(Bytes{'I', 'I', '*', 0, 8, 0, 0, 0});
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("TIFF"), std::string::npos);
  s = DecodeStatus(Bytes{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0});
  EXPECT_NE(s.message().find("HEIC"), std::string::npos);
  s = DecodeStatus(Bytes{'<', 's', 'v', 'g', '>'});
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);

  // RLE8 BMP: refused by name.
  test::BmpSpec rle;
  rle.bpp = 8;
  rle.compression = 1;
  rle.palette_rgb = {0, 0, 0, 255, 255, 255};
  s = DecodeStatus(test::EncodeBmp(std::vector<uint8_t>(16, 1), 4, 4, rle));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("RLE"), std::string::npos);
  test::BmpSpec two_bit;
  Bytes b = test::EncodeBmp(std::vector<uint8_t>(48, 1), 4, 4, two_bit);
  b[28] = 2;  // 2 bits per pixel
  EXPECT_EQ(DecodeStatus(b).code(), StatusCode::kUnsupported);
}

TEST(ImageBadTest, ConfigurableLimits) {
  const Bytes png = test::EncodePngRgb(test::Gradient(40, 25));  // 1000 pixels
  ImageDecodeOptions o;
  o.max_pixels = 1000;
  EXPECT_TRUE(DecodeStatus(png, o).ok());
  o.max_pixels = 999;
  EXPECT_EQ(DecodeStatus(png, o).code(), StatusCode::kOutOfRange);
  o = {};
  o.max_file_bytes = png.size();
  EXPECT_TRUE(DecodeStatus(png, o).ok());
  o.max_file_bytes = png.size() - 1;
  const Status s = DecodeStatus(png, o);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("over the limit"), std::string::npos);
  // Engine options map over one to one.
  ImageOptions engine;
  engine.max_pixels = 7;
  engine.max_image_size = 99;
  EXPECT_EQ(DecodeOptionsFrom(engine).max_pixels, 7u);
  EXPECT_EQ(DecodeOptionsFrom(engine).max_image_size, 99);
}

TEST(ImageBadTest, DecodeTimeLimit) {
  const RgbImage big = test::Gradient(1600, 1600);
  test::JpegSpec progressive;
  progressive.progressive = true;
  progressive.quality = 70;
  ImageDecodeOptions o;
  o.max_decode_ms = 1;
  o.max_image_size = 0;
  for (const Bytes& bytes : {test::EncodePngRgb(big), test::EncodeJpeg(big, progressive)}) {
    const Status s = DecodeStatus(bytes, o);
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  }
}

TEST(ImageBadTest, RandomDamageNeverCrashes) {
  std::mt19937 rng(1234);
  for (const Sample& s : Samples()) {
    int ok = 0;
    for (int iter = 0; iter < 150; ++iter) {
      Bytes b = s.bytes;
      const int n_flips = 1 + rng() % 8;
      for (int i = 0; i < n_flips; ++i) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      if (rng() % 3 == 0) b.resize(rng() % b.size() + 1);
      StatusOr<DecodedImage> d = DecodeImage(b, {});
      if (d.ok()) {
        ++ok;
        ASSERT_EQ(d->image.pixels.size(), size_t(d->image.width) * d->image.height * 3);
      } else {
        ASSERT_FALSE(d.status().message().empty());
      }
    }
    SCOPED_TRACE(testing::Message() << s.name << ": " << ok << " of 150 damaged files still decoded");
  }
}

}  // namespace
}  // namespace md
