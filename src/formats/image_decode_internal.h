// Shared between the per-format decoders (image_<format>.cc) and DecodeImage.
#pragma once

#include <chrono>
#include <span>
#include <string>

#include "formats/image_decode.h"

namespace md::image_internal {

// Limits in force while one file is decoded.
class DecodeContext {
 public:
  explicit DecodeContext(const ImageDecodeOptions& options);

  // kOutOfRange when width * height is over max_pixels; kDataLoss for a zero or negative
  // size. Called with the header's size before any pixel buffer is allocated.
  Status CheckSize(int64_t width, int64_t height, const char* format) const;
  // True once max_decode_ms has passed; decoders poll it between scanlines.
  bool Expired() const;
  Status DeadlineStatus(const char* format) const;
  // Longest side wanted in the result (0 = any): lets JPEG decode at a smaller DCT scale.
  int max_image_size() const { return max_image_size_; }

 private:
  uint64_t max_pixels_;
  int max_decode_ms_;
  int max_image_size_;
  std::chrono::steady_clock::time_point deadline_;
};

// What a format decoder hands back.
struct FormatResult {
  RgbImage image;  // may be smaller than stored_* (JPEG DCT scaling)
  int stored_width = 0;
  int stored_height = 0;
  int orientation = 1;
  bool had_alpha = false;
  bool animated = false;
  int jpeg_scale_num = 8;
};

Status DecodeJpeg(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out);
Status DecodePng(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out);
Status DecodeWebp(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out);
Status DecodeGif(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out);
Status DecodeBmp(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out);

// EXIF orientation from the raw chunks of a PNG (eXIf); 1 when absent.
int PngExifOrientation(std::span<const uint8_t> bytes);

}  // namespace md::image_internal
