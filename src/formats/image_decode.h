// Turning an uploaded picture file into 8-bit RGB pixels, safely.
//
// The format is detected from the first bytes (never the file name): JPEG
// (libjpeg-turbo), PNG (libpng), WebP (libwebp + demux), GIF (giflib, first frame) and
// BMP (our own decoder). Every limit in ImageDecodeOptions is checked from the header
// before a pixel buffer is allocated, and the decode-time limit is checked between
// scanlines. Corrupt, truncated or hostile input gives a Status with a reason a user can
// read; it never aborts and never passes a half-decoded picture on as success.
//
// Colour policy (docs/images.md): alpha is dropped, keeping the stored RGB values (what
// llama.cpp's stb_image and Pillow's convert("RGB") both do); gray is copied to R, G, B;
// palettes are expanded; 16-bit samples keep their high byte. Unlike both references we
// apply the EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF) unless told not to.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "moondream/engine.h"

namespace md {

enum class ImageFormat : uint8_t { kUnknown = 0, kJpeg, kPng, kWebp, kGif, kBmp };

// "jpeg", "png", "webp", "gif", "bmp" or "unknown".
const char* ImageFormatName(ImageFormat format);

// Format from the magic bytes at the start of `bytes` (kUnknown when none matches).
ImageFormat DetectImageFormat(std::span<const uint8_t> bytes);

// An 8-bit RGB picture: interleaved R, G, B, rows top to bottom, no row padding.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3]

  RgbImage() = default;
  RgbImage(int w, int h) : width(w), height(h), pixels(static_cast<size_t>(w) * h * 3) {}
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * width * 3; }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width * 3; }
};

// Limits and options of DecodeImage. Zero turns a limit off.
struct ImageDecodeOptions {
  uint64_t max_file_bytes = 20ull << 20;  // encoded size
  uint64_t max_pixels = 100'000'000;      // stored width * height, checked from the header
  int max_decode_ms = 10'000;             // wall time, checked between scanlines
  // Longest side of the result: larger pictures are scaled down to it (JPEG DCT scaling
  // first, then Lanczos-3); pictures at or under it are returned untouched.
  int max_image_size = 1280;
  bool apply_exif_orientation = true;
};

// The engine's ImageOptions (include/moondream/engine.h) as decode options.
ImageDecodeOptions DecodeOptionsFrom(const ImageOptions& options);

struct DecodedImage {
  RgbImage image;  // the result: orientation applied, scaled to max_image_size
  ImageFormat format = ImageFormat::kUnknown;
  int stored_width = 0;   // size in the file header, before orientation and scaling
  int stored_height = 0;
  int oriented_width = 0;  // size after orientation, before scaling to max_image_size
  int oriented_height = 0;
  int orientation = 1;              // EXIF orientation found in the file (1..8; 1 = none)
  bool orientation_applied = false;  // true when orientation != 1 was applied
  bool had_alpha = false;            // the file had an alpha channel (dropped)
  bool animated = false;             // the file had several frames (first one taken)
  int jpeg_scale_num = 8;            // JPEG DCT scaling used: scale_num / 8 (8 = none)
  bool downscaled = false;           // scaled down to max_image_size
};

// Decodes a whole picture file. Errors: kOutOfRange (a limit), kUnsupported (unknown or
// unsupported format/variant), kDataLoss (truncated or corrupt), kDeadlineExceeded
// (max_decode_ms), kInvalidArgument (empty input).
StatusOr<DecodedImage> DecodeImage(std::span<const uint8_t> bytes,
                                   const ImageDecodeOptions& options);

// EXIF orientation (1..8) read from a TIFF-structured EXIF block ("II*\0" or "MM\0*",
// optionally preceded by "Exif\0\0"); 1 when absent or malformed. Bounds-checked.
int ParseExifOrientation(std::span<const uint8_t> exif);

// Returns `image` turned so that it displays upright for EXIF `orientation` (1..8):
// 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
// 8 rotate 90 counter-clockwise. Other values return the input unchanged.
RgbImage ApplyOrientation(const RgbImage& image, int orientation);

}  // namespace md
