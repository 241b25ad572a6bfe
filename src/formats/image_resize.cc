#include "formats/image_resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace md {
namespace {

// Pillow keeps 22 fractional bits for 8-bit images (32 - 8 - 2), so a sum of 255 times
// coefficients with negative lobes still fits an int32.
constexpr int kPrecisionBits = 22;

double Sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}

double Lanczos3(double x) {
  if (-3.0 <= x && x < 3.0) return Sinc(x) * Sinc(x / 3.0);
  return 0.0;
}

// Taps of one resampling pass: for output pixel i, source pixels
// [first[i], first[i] + count[i]) weighted by weights[i * ksize ...].
struct Taps {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for box [0, in_size).
Taps ComputeTaps(int in_size, int out_size) {
  // Pillow computes (in1 - in0) in float, then divides in double.
  const double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 3.0 * filterscale;
  Taps taps;
  taps.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.ksize, 0);
  std::vector<double> k(taps.ksize);
  const double ss = 1.0 / filterscale;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = Lanczos3((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* out = &taps.weights[static_cast<size_t>(xx) * taps.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? k[x] / ww : k[x];
      out[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                     : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    taps.first[xx] = xmin;
    taps.count[xx] = xmax;
  }
  return taps;
}

inline uint8_t Clip8(int32_t v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<uint8_t>(v >> kPrecisionBits);
}

// Horizontal pass over source rows [y_first, y_first + n_rows).
RgbImage ResampleHorizontal(const RgbImage& src, int out_width, int y_first, int n_rows,
                            const Taps& taps) {
  RgbImage out(out_width, n_rows);
  for (int y = 0; y < n_rows; ++y) {
    const uint8_t* in = src.row(y_first + y);
    uint8_t* o = out.row(y);
    for (int xx = 0; xx < out_width; ++xx) {
      const int32_t* k = &taps.weights[static_cast<size_t>(xx) * taps.ksize];
      const uint8_t* p = in + static_cast<size_t>(taps.first[xx]) * 3;
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0, n = taps.count[xx]; x < n; ++x, p += 3) {
        s0 += p[0] * k[x];
        s1 += p[1] * k[x];
        s2 += p[2] * k[x];
      }
      o[0] = Clip8(s0);
      o[1] = Clip8(s1);
      o[2] = Clip8(s2);
      o += 3;
    }
  }
  return out;
}

// Vertical pass; taps.first[] is relative to src row 0 minus `row_shift`.
RgbImage ResampleVertical(const RgbImage& src, int out_height, int row_shift, const Taps& taps) {
  const int w = src.width;
  RgbImage out(w, out_height);
  std::vector<int32_t> acc(static_cast<size_t>(w) * 3);
  for (int yy = 0; yy < out_height; ++yy) {
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    const int32_t* k = &taps.weights[static_cast<size_t>(yy) * taps.ksize];
    const int first = taps.first[yy] - row_shift;
    // Row-at-a-time accumulation: the same sums as Pillow's per-pixel loop, in the same
    // order per pixel, but reading memory linearly.
    for (int y = 0, n = taps.count[yy]; y < n; ++y) {
      const uint8_t* p = src.row(first + y);
      const int32_t ky = k[y];
      for (int i = 0; i < w * 3; ++i) acc[i] += p[i] * ky;
    }
    uint8_t* o = out.row(yy);
    for (int i = 0; i < w * 3; ++i) o[i] = Clip8(acc[i]);
  }
  return out;
}

}  // namespace

RgbImage ResizeLanczos(const RgbImage& src, int out_width, int out_height) {
  MD_CHECK(out_width >= 1 && out_height >= 1 && src.width >= 1 && src.height >= 1);
  const bool need_h = out_width != src.width;
  const bool need_v = out_height != src.height;
  if (!need_h && !need_v) return src;
  if (!need_v) {
    return ResampleHorizontal(src, out_width, 0, src.height, ComputeTaps(src.width, out_width));
  }
  const Taps vtaps = ComputeTaps(src.height, out_height);
  if (!need_h) return ResampleVertical(src, out_height, 0, vtaps);
  // Only the source rows the vertical pass reads go through the horizontal pass.
  const int y_first = vtaps.first[0];
  const int y_last = vtaps.first[out_height - 1] + vtaps.count[out_height - 1];
  RgbImage tmp = ResampleHorizontal(src, out_width, y_first, y_last - y_first,
                                    ComputeTaps(src.width, out_width));
  return ResampleVertical(tmp, out_height, y_first, vtaps);
}

RgbImage ReduceBox(const RgbImage& src, int fx, int fy) {
  MD_CHECK(fx >= 1 && fy >= 1);
  const int w = (src.width + fx - 1) / fx;
  const int h = (src.height + fy - 1) / fy;
  RgbImage out(w, h);
  std::vector<uint32_t> acc(static_cast<size_t>(w) * 3);
  for (int oy = 0; oy < h; ++oy) {
    std::fill(acc.begin(), acc.end(), 0);
    const int y0 = oy * fy;
    const int y1 = std::min(src.height, y0 + fy);
    for (int y = y0; y < y1; ++y) {
      const uint8_t* p = src.row(y);
      for (int ox = 0; ox < w; ++ox) {
        const int x0 = ox * fx;
        const int x1 = std::min(src.width, x0 + fx);
        uint32_t s0 = 0, s1 = 0, s2 = 0;
        for (const uint8_t* q = p + x0 * 3; q < p + x1 * 3; q += 3) {
          s0 += q[0];
          s1 += q[1];
          s2 += q[2];
        }
        acc[ox * 3] += s0;
        acc[ox * 3 + 1] += s1;
        acc[ox * 3 + 2] += s2;
      }
    }
    uint8_t* o = out.row(oy);
    for (int ox = 0; ox < w; ++ox) {
      const uint32_t n = static_cast<uint32_t>((std::min(src.width, ox * fx + fx) - ox * fx) * (y1 - y0));
      for (int c = 0; c < 3; ++c) o[ox * 3 + c] = static_cast<uint8_t>((acc[ox * 3 + c] + n / 2) / n);
    }
  }
  return out;
}

RgbImage ResizeDown(const RgbImage& src, int out_width, int out_height) {
  // Box-reduce while at least twice the target remains, like a reducing gap of 2.
  const int fx = std::max(1, src.width / (2 * out_width));
  const int fy = std::max(1, src.height / (2 * out_height));
  if (fx > 1 || fy > 1) return ResizeLanczos(ReduceBox(src, fx, fy), out_width, out_height);
  return ResizeLanczos(src, out_width, out_height);
}

void FitLongestSide(int width, int height, int max_side, int* out_width, int* out_height) {
  *out_width = width;
  *out_height = height;
  if (max_side <= 0 || std::max(width, height) <= max_side) return;
  if (width >= height) {
    *out_width = max_side;
    *out_height = std::max(1, static_cast<int>(std::lround(static_cast<double>(height) * max_side / width)));
  } else {
    *out_height = max_side;
    *out_width = std::max(1, static_cast<int>(std::lround(static_cast<double>(width) * max_side / height)));
  }
}

}  // namespace md
