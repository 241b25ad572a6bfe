#include "formats/image_decode.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "formats/image_decode_internal.h"
#include "formats/image_resize.h"

namespace md {

namespace image_internal {

DecodeContext::DecodeContext(const ImageDecodeOptions& options)
    : max_pixels_(options.max_pixels),
      max_decode_ms_(options.max_decode_ms),
      max_image_size_(options.max_image_size),
      deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(options.max_decode_ms)) {}

Status DecodeContext::CheckSize(int64_t width, int64_t height, const char* format) const {
  if (width <= 0 || height <= 0) {
    return DataLoss(std::string(format) + " header gives an empty picture (" + std::to_string(width) +
                    " x " + std::to_string(height) + ")");
  }
  const uint64_t pixels = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
  if (max_pixels_ != 0 && pixels > max_pixels_) {
    return OutOfRange(std::string(format) + " picture is " + std::to_string(width) + " x " +
                      std::to_string(height) + " = " + std::to_string(pixels) +
                      " pixels, over the limit of " + std::to_string(max_pixels_));
  }
  // Even without a pixel limit, 3 bytes per pixel must be addressable.
  if (pixels > (uint64_t{1} << 40)) {
    return OutOfRange(std::string(format) + " picture is too large to decode");
  }
  return Status::Ok();
}

bool DecodeContext::Expired() const {
  return max_decode_ms_ > 0 && std::chrono::steady_clock::now() > deadline_;
}

Status DecodeContext::DeadlineStatus(const char* format) const {
  return DeadlineExceeded(std::string(format) + " decoding took longer than the limit of " +
                          std::to_string(max_decode_ms_) + " ms");
}

}  // namespace image_internal

const char* ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

namespace {

bool StartsWith(std::span<const uint8_t> b, size_t at, const char* magic, size_t n) {
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

// Names formats we recognise but do not decode, for a clearer refusal.
const char* KnownUnsupportedFormat(std::span<const uint8_t> b) {
  if (StartsWith(b, 0, "II*\0", 4) || StartsWith(b, 0, "MM\0*", 4)) return "TIFF";
  if (StartsWith(b, 4, "ftypavif", 8) || StartsWith(b, 4, "ftypavis", 8)) return "AVIF";
  if (StartsWith(b, 4, "ftyphei", 7) || StartsWith(b, 4, "ftypmif1", 8) ||
      StartsWith(b, 4, "ftypheic", 8)) {
    return "HEIC/HEIF";
  }
  if (StartsWith(b, 0, "\0\0\0\x0cjP  ", 8) || StartsWith(b, 0, "\xff\x4f\xff\x51", 4)) return "JPEG 2000";
  if (StartsWith(b, 0, "\xff\x0a", 2) || StartsWith(b, 4, "JXL ", 4)) return "JPEG XL";
  if (StartsWith(b, 0, "8BPS", 4)) return "Photoshop PSD";
  if (StartsWith(b, 0, "\0\0\1\0", 4)) return "ICO";
  if (StartsWith(b, 0, "%PDF", 4)) return "PDF";
  if (StartsWith(b, 0, "<", 1) || StartsWith(b, 0, "\xef\xbb\xbf<", 4)) return "SVG/HTML/XML text";
  return nullptr;
}

std::string HexPrefix(std::span<const uint8_t> b) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < std::min<size_t>(b.size(), 8); ++i) {
    std::snprintf(buf, sizeof(buf), i ? " %02x" : "%02x", b[i]);
    s += buf;
  }
  return s;
}

}  // namespace

ImageFormat DetectImageFormat(std::span<const uint8_t> b) {
  if (StartsWith(b, 0, "\xff\xd8\xff", 3)) return ImageFormat::kJpeg;
  if (StartsWith(b, 0, "\x89PNG\r\n\x1a\n", 8)) return ImageFormat::kPng;
  if (StartsWith(b, 0, "RIFF", 4) && StartsWith(b, 8, "WEBP", 4)) return ImageFormat::kWebp;
  if (StartsWith(b, 0, "GIF87a", 6) || StartsWith(b, 0, "GIF89a", 6)) return ImageFormat::kGif;
  if (StartsWith(b, 0, "BM", 2)) return ImageFormat::kBmp;
  return ImageFormat::kUnknown;
}

ImageDecodeOptions DecodeOptionsFrom(const ImageOptions& options) {
  ImageDecodeOptions o;
  o.max_file_bytes = options.max_file_bytes;
  o.max_pixels = options.max_pixels;
  o.max_decode_ms = options.max_decode_ms;
  o.max_image_size = options.max_image_size;
  return o;
}

int ParseExifOrientation(std::span<const uint8_t> d) {
  if (d.size() >= 6 && std::memcmp(d.data(), "Exif\0\0", 6) == 0) d = d.subspan(6);
  if (d.size() < 8) return 1;
  bool little;
  if (d[0] == 'I' && d[1] == 'I') {
    little = true;
  } else if (d[0] == 'M' && d[1] == 'M') {
    little = false;
  } else {
    return 1;
  }
  auto u16 = [&](size_t at) -> uint32_t {
    return little ? (d[at] | d[at + 1] << 8) : (d[at] << 8 | d[at + 1]);
  };
  auto u32 = [&](size_t at) -> uint32_t {
    return little ? (u16(at) | u16(at + 2) << 16) : (u16(at) << 16 | u16(at + 2));
  };
  if (u16(2) != 42) return 1;
  const uint64_t ifd = u32(4);
  if (ifd + 2 > d.size()) return 1;
  const uint32_t n = u16(ifd);
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t e = ifd + 2 + 12ull * i;
    if (e + 12 > d.size()) break;
    if (u16(e) != 0x0112) continue;
    const uint32_t type = u16(e + 2);
    const uint32_t count = u32(e + 4);
    if (count < 1) return 1;
    uint32_t v = 0;
    if (type == 3) {  // SHORT, stored in the first 2 bytes of the value field
      v = u16(e + 8);
    } else if (type == 4) {  // LONG (seen in a few writers)
      v = u32(e + 8);
    } else {
      return 1;
    }
    return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
  }
  return 1;
}

MD_IMAGE_NO_COVERAGE RgbImage ApplyOrientation(const RgbImage& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const int w = in.width, h = in.height;
  const bool swap = orientation >= 5;
  RgbImage out(swap ? h : w, swap ? w : h);
  for (int oy = 0; oy < out.height; ++oy) {
    uint8_t* o = out.row(oy);
    for (int ox = 0; ox < out.width; ++ox, o += 3) {
      int sx = ox, sy = oy;
      switch (orientation) {
        case 2: sx = w - 1 - ox; break;
        case 3: sx = w - 1 - ox; sy = h - 1 - oy; break;
        case 4: sy = h - 1 - oy; break;
        case 5: sx = oy; sy = ox; break;
        case 6: sx = oy; sy = h - 1 - ox; break;
        case 7: sx = w - 1 - oy; sy = h - 1 - ox; break;
        case 8: sx = w - 1 - oy; sy = ox; break;
      }
      const uint8_t* p = in.row(sy) + static_cast<size_t>(sx) * 3;
      o[0] = p[0];
      o[1] = p[1];
      o[2] = p[2];
    }
  }
  return out;
}

StatusOr<DecodedImage> DecodeImage(std::span<const uint8_t> bytes, const ImageDecodeOptions& options) {
  using namespace image_internal;
  if (bytes.empty()) return InvalidArgument("the image file is empty (0 bytes)");
  if (options.max_file_bytes != 0 && bytes.size() > options.max_file_bytes) {
    return OutOfRange("the image file is " + std::to_string(bytes.size()) +
                      " bytes, over the limit of " + std::to_string(options.max_file_bytes));
  }
  DecodedImage result;
  result.format = DetectImageFormat(bytes);
  DecodeContext ctx(options);
  FormatResult r;
  Status st;
  switch (result.format) {
    case ImageFormat::kJpeg: st = DecodeJpeg(bytes, ctx, &r); break;
    case ImageFormat::kPng: st = DecodePng(bytes, ctx, &r); break;
    case ImageFormat::kWebp: st = DecodeWebp(bytes, ctx, &r); break;
    case ImageFormat::kGif: st = DecodeGif(bytes, ctx, &r); break;
    case ImageFormat::kBmp: st = DecodeBmp(bytes, ctx, &r); break;
    case ImageFormat::kUnknown: {
      if (const char* known = KnownUnsupportedFormat(bytes)) {
        return Unsupported(std::string(known) +
                           " pictures are not supported; use JPEG, PNG, WebP, GIF or BMP");
      }
      return Unsupported("not a supported picture (first bytes " + HexPrefix(bytes) +
                         "); supported formats: JPEG, PNG, WebP, GIF, BMP");
    }
  }
  if (!st.ok()) return st;
  MD_CHECK(r.image.width > 0 && r.image.height > 0 &&
           r.image.pixels.size() == static_cast<size_t>(r.image.width) * r.image.height * 3);

  result.stored_width = r.stored_width;
  result.stored_height = r.stored_height;
  result.orientation = r.orientation;
  result.had_alpha = r.had_alpha;
  result.animated = r.animated;
  result.jpeg_scale_num = r.jpeg_scale_num;
  const bool rotate = options.apply_exif_orientation && r.orientation >= 2 && r.orientation <= 8;
  const bool swap = rotate && r.orientation >= 5;
  result.oriented_width = swap ? r.stored_height : r.stored_width;
  result.oriented_height = swap ? r.stored_width : r.stored_height;

  // Scale down before turning: the longest side does not depend on the orientation, and
  // turning the smaller picture is cheaper.
  int target_w, target_h;
  FitLongestSide(r.stored_width, r.stored_height, options.max_image_size, &target_w, &target_h);
  RgbImage image = std::move(r.image);
  if (image.width != target_w || image.height != target_h) image = ResizeDown(image, target_w, target_h);
  result.downscaled = target_w != r.stored_width || target_h != r.stored_height;
  if (rotate) {
    image = ApplyOrientation(image, r.orientation);
    result.orientation_applied = true;
  }
  result.image = std::move(image);
  return result;
}

}  // namespace md
