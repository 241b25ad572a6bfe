#include "model/image_preprocess.h"

#include "formats/image_resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

// Bit-exact parity with llama.cpp needs the cubic evaluated without fused multiply-adds.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace md {
namespace {

constexpr uint8_t kPadColor[3] = {122, 116, 104};

inline int Clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// One 4-point cubic step as llama.cpp writes it: the coefficients are computed from
// double constants and stored to float; the polynomial is evaluated in float.
inline float Cubic(float pm1, float p0, float p1, float p2, float t) {
  const float d0 = pm1 - p0;
  const float d2 = p1 - p0;
  const float d3 = p2 - p0;
  const float a1 = static_cast<float>(-1.0 / 3 * d0 + d2 - 1.0 / 6 * d3);
  const float a2 = static_cast<float>(1.0 / 2 * d0 + 1.0 / 2 * d2);
  const float a3 = static_cast<float>(-1.0 / 6 * d0 - 1.0 / 2 * d2 + 1.0 / 6 * d3);
  return p0 + a1 * t + a2 * t * t + a3 * t * t * t;
}

}  // namespace

GgufGeometry GgufFitGeometry(int width, int height) {
  GgufGeometry g;
  const int size = kGgufImageSize;
  if (width == size && height == size) {
    g.resized_width = g.resized_height = size;
    return g;
  }
  const float scale = std::min(static_cast<float>(size) / static_cast<float>(width),
                               static_cast<float>(size) / static_cast<float>(height));
  g.resized_width = std::min(static_cast<int>(std::ceil(static_cast<float>(width) * scale)), size);
  g.resized_height = std::min(static_cast<int>(std::ceil(static_cast<float>(height) * scale)), size);
  g.resized_width = std::max(g.resized_width, 1);
  g.resized_height = std::max(g.resized_height, 1);
  g.offset_x = (size - g.resized_width) / 2;
  g.offset_y = (size - g.resized_height) / 2;
  return g;
}

MD_IMAGE_NO_COVERAGE RgbImage ResizeBicubicLlamaCpp(const RgbImage& src, int out_width, int out_height) {
  MD_CHECK(src.width >= 1 && src.height >= 1 && out_width >= 1 && out_height >= 1);
  const int nx = src.width, ny = src.height;
  const float tx = static_cast<float>(nx) / static_cast<float>(out_width);
  const float ty = static_cast<float>(ny) / static_cast<float>(out_height);
  // Laid out as arrays over the n values of an output row (pixel-major, then channel) so
  // that the cubic itself runs as a vector loop; per value the operations are exactly
  // those of the scalar formula, so results are unchanged.
  const int n = out_width * 3;
  std::vector<int> offset(4 * static_cast<size_t>(n));  // byte offset of tap t of value m
  std::vector<float> frac_x(n);
  for (int j = 0; j < out_width; ++j) {
    // Source point (i * ty, j * tx): truncation, no half-pixel offset.
    const int x = static_cast<int>(tx * j);
    const float dx = tx * j - x;
    for (int k = 0; k < 3; ++k) {
      const int m = j * 3 + k;
      frac_x[m] = dx;
      for (int t = 0; t < 4; ++t) offset[static_cast<size_t>(t) * n + m] = Clamp(x - 1 + t, 0, nx - 1) * 3 + k;
    }
  }
  std::vector<float> taps(4 * static_cast<size_t>(n));
  std::vector<float> cols(4 * static_cast<size_t>(n));
  std::vector<float> value(n);
  RgbImage out(out_width, out_height);
  for (int i = 0; i < out_height; ++i) {
    const int y = static_cast<int>(ty * i);
    const float dy = ty * i - y;
    for (int r = 0; r < 4; ++r) {
      const uint8_t* row = src.row(Clamp(y - 1 + r, 0, ny - 1));
      for (size_t m = 0; m < 4 * static_cast<size_t>(n); ++m) taps[m] = row[offset[m]];
      const float* a = taps.data();
      float* c = cols.data() + static_cast<size_t>(r) * n;
      for (int m = 0; m < n; ++m) c[m] = Cubic(a[m], a[n + m], a[2 * n + m], a[3 * n + m], frac_x[m]);
    }
    const float* c = cols.data();
    for (int m = 0; m < n; ++m) value[m] = Cubic(c[m], c[n + m], c[2 * n + m], c[3 * n + m], dy);
    uint8_t* o = out.row(i);
    for (int m = 0; m < n; ++m) o[m] = static_cast<uint8_t>(std::min(std::max(std::round(value[m]), 0.0f), 255.0f));
  }
  return out;
}

RgbImage GgufCanvas(const RgbImage& image, GgufGeometry* geometry) {
  const GgufGeometry g = GgufFitGeometry(image.width, image.height);
  if (geometry != nullptr) *geometry = g;
  const int size = kGgufImageSize;
  if (image.width == size && image.height == size) return image;
  RgbImage canvas(size, size);
  for (size_t i = 0; i < canvas.pixels.size(); i += 3) {
    canvas.pixels[i] = kPadColor[0];
    canvas.pixels[i + 1] = kPadColor[1];
    canvas.pixels[i + 2] = kPadColor[2];
  }
  const RgbImage resized = ResizeBicubicLlamaCpp(image, g.resized_width, g.resized_height);
  for (int y = 0; y < g.resized_height; ++y) {
    std::copy_n(resized.row(y), static_cast<size_t>(g.resized_width) * 3,
                canvas.row(g.offset_y + y) + static_cast<size_t>(g.offset_x) * 3);
  }
  return canvas;
}

MD_IMAGE_NO_COVERAGE void NormalizePlanar(const RgbImage& image, float* out) {
  const size_t plane = static_cast<size_t>(image.width) * image.height;
  // The 256 possible values, computed as llama.cpp does: (u8 / 255 - mean) / std in f32.
  float lut[256];
  for (int v = 0; v < 256; ++v) lut[v] = (static_cast<float>(v) / 255.0f - 0.5f) / 0.5f;
  const uint8_t* p = image.pixels.data();
  for (size_t i = 0; i < plane; ++i, p += 3) {
    out[i] = lut[p[0]];
    out[plane + i] = lut[p[1]];
    out[2 * plane + i] = lut[p[2]];
  }
}

std::vector<float> PreprocessForGguf(const RgbImage& image, GgufGeometry* geometry) {
  const RgbImage canvas = GgufCanvas(image, geometry);
  std::vector<float> out(static_cast<size_t>(3) * kGgufImageSize * kGgufImageSize);
  NormalizePlanar(canvas, out.data());
  return out;
}

}  // namespace md
