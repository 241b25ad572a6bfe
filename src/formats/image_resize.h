// Resampling of 8-bit RGB pictures with the semantics of Pillow's LANCZOS filter.
//
// Used twice: to scale large uploads down to max_image_size, and for the official 2025
// overlap-crop preprocessing, whose goldens were made with Pillow 9.4
// `Image.resize(size, LANCZOS)`. Our implementation reproduces Pillow's arithmetic:
// separable Lanczos-3 whose support widens with the downscale factor, pixel centres at
// +0.5, coefficients normalised in double then rounded to 22-bit fixed point, horizontal
// pass first, each pass rounded and clamped to 0..255.
#pragma once

#include "formats/image_decode.h"

// Pixel loops have no data-dependent branches worth fuzzing, but coverage
// instrumentation of their loop conditions made the fuzz target ~50x slower; this keeps
// it out of them (AddressSanitizer still checks every access).
#if defined(__clang__) && defined(MD_FUZZING)
#define MD_IMAGE_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define MD_IMAGE_NO_COVERAGE
#endif

namespace md {

// Resizes `src` to out_width x out_height (both >= 1) as Pillow's LANCZOS does. Aspect
// ratio is not preserved; the caller chooses the size. A same-size call copies.
RgbImage ResizeLanczos(const RgbImage& src, int out_width, int out_height);

// Exact area averaging (each output pixel is the mean of the source area it covers,
// fractional edges weighted): alias-free, no ringing, at most ceil(factor) + 1 taps per
// axis. Downscaling only: out_width <= src.width and out_height <= src.height.
RgbImage ResizeArea(const RgbImage& src, int out_width, int out_height);

// The vertical pass of ResizeArea fed one source row at a time, so that a decoder can
// scale down while it decodes instead of holding the full-size picture. Rows 0 ..
// in_height-1 go in, in order, through AddRow; Finish then runs the horizontal pass.
// The result is exactly ResizeArea(whole picture, out_width, out_height).
class AreaRowScaler {
 public:
  AreaRowScaler(int width, int in_height, int out_height);
  ~AreaRowScaler();
  AreaRowScaler(const AreaRowScaler&) = delete;
  AreaRowScaler& operator=(const AreaRowScaler&) = delete;
  void AddRow(const uint8_t* row);  // width * 3 bytes
  RgbImage Finish(int out_width);   // after all in_height rows

 private:
  struct State;
  State* state_;
};

// Scales `src` to out_width x out_height for max_image_size: ResizeArea when shrinking
// (after JPEG DCT scaling the factor left is small), ResizeLanczos otherwise.
RgbImage ResizeDown(const RgbImage& src, int out_width, int out_height);

// Box average over factor_x x factor_y blocks (edge blocks average what they cover).
RgbImage ReduceBox(const RgbImage& src, int factor_x, int factor_y);

// Size after scaling so that the longest side is `max_side`, keeping the aspect ratio
// (the shorter side rounded to nearest, at least 1). Returns the input size when the
// longest side is already <= max_side or max_side <= 0.
void FitLongestSide(int width, int height, int max_side, int* out_width, int* out_height);

}  // namespace md
