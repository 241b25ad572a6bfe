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

// Every output pixel of a horizontal pass reads exactly K source pixels: windows near
// the right edge are moved left with zero weights in front, which adds nothing to the
// sums, so results are unchanged while the inner loop gets a fixed trip count.
struct FixedTaps {
  int k = 0;
  std::vector<int> first;
  std::vector<int32_t> weights;  // [out, k]
};

FixedTaps MakeFixed(const Taps& taps, int in_size) {
  FixedTaps f;
  const int out_size = static_cast<int>(taps.first.size());
  for (int c : taps.count) f.k = std::max(f.k, c);
  f.k = std::min(f.k, in_size);
  f.first.resize(out_size);
  f.weights.assign(static_cast<size_t>(out_size) * f.k, 0);
  for (int i = 0; i < out_size; ++i) {
    int first = taps.first[i];
    const int shift = std::max(0, first + f.k - in_size);
    first -= shift;
    for (int x = 0; x < taps.count[i]; ++x) {
      f.weights[static_cast<size_t>(i) * f.k + shift + x] = taps.weights[static_cast<size_t>(i) * taps.ksize + x];
    }
    f.first[i] = first;
  }
  return f;
}

template <int K>
MD_IMAGE_NO_COVERAGE void HorizontalRow(const uint8_t* in, uint8_t* o, int out_width, const FixedTaps& f) {
  const int k_count = K > 0 ? K : f.k;
  for (int xx = 0; xx < out_width; ++xx, o += 3) {
    const int32_t* k = &f.weights[static_cast<size_t>(xx) * k_count];
    const uint8_t* p = in + static_cast<size_t>(f.first[xx]) * 3;
    int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
    for (int x = 0; x < k_count; ++x, p += 3) {
      s0 += p[0] * k[x];
      s1 += p[1] * k[x];
      s2 += p[2] * k[x];
    }
    o[0] = Clip8(s0);
    o[1] = Clip8(s1);
    o[2] = Clip8(s2);
  }
}

// Horizontal pass over source rows [y_first, y_first + n_rows).
RgbImage ResampleHorizontal(const RgbImage& src, int out_width, int y_first, int n_rows,
                            const Taps& taps) {
  const FixedTaps f = MakeFixed(taps, src.width);
  RgbImage out(out_width, n_rows);
  for (int y = 0; y < n_rows; ++y) {
    const uint8_t* in = src.row(y_first + y);
    uint8_t* o = out.row(y);
    switch (f.k) {
      case 1: HorizontalRow<1>(in, o, out_width, f); break;
      case 2: HorizontalRow<2>(in, o, out_width, f); break;
      case 3: HorizontalRow<3>(in, o, out_width, f); break;
      case 4: HorizontalRow<4>(in, o, out_width, f); break;
      case 5: HorizontalRow<5>(in, o, out_width, f); break;
      case 6: HorizontalRow<6>(in, o, out_width, f); break;
      case 7: HorizontalRow<7>(in, o, out_width, f); break;
      case 8: HorizontalRow<8>(in, o, out_width, f); break;
      default: HorizontalRow<0>(in, o, out_width, f); break;
    }
  }
  return out;
}

// Vertical pass; taps.first[] is relative to src row 0 minus `row_shift`.
MD_IMAGE_NO_COVERAGE RgbImage ResampleVertical(const RgbImage& src, int out_height, int row_shift, const Taps& taps) {
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


// Exact area averaging for a downscale: output pixel i covers source [i*s, (i+1)*s) and
// each source pixel weighs by its overlap. Weights are 14-bit fixed point summing to
// exactly 1 << 14, so that 8-bit x 16-bit products vectorise (SSE2 has 16-bit multiplies
// but no 32-bit one).
constexpr int kAreaBits = 14;

struct AreaTaps {
  int k = 0;  // taps per output (fixed; windows moved left at the edge with zero weights)
  std::vector<int> first;
  std::vector<int16_t> weights;  // [out, k]
};

AreaTaps ComputeAreaTaps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  AreaTaps taps;
  taps.k = std::min(in_size, static_cast<int>(std::ceil(scale)) + 1);
  taps.first.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.k, 0);
  std::vector<int32_t> w(taps.k + 1);
  for (int i = 0; i < out_size; ++i) {
    const double start = i * scale;
    const double end = std::min<double>((i + 1) * scale, in_size);
    const int first = static_cast<int>(std::floor(start));
    const int last = std::min(in_size, static_cast<int>(std::ceil(end)));
    MD_CHECK(last - first <= taps.k);
    int32_t total = 0;
    int biggest = 0;
    for (int j = first; j < last; ++j) {
      const double overlap = std::min<double>(end, j + 1) - std::max<double>(start, j);
      w[j - first] = static_cast<int32_t>(std::lround(overlap / (end - start) * (1 << kAreaBits)));
      total += w[j - first];
      if (w[j - first] > w[biggest]) biggest = j - first;
    }
    w[biggest] += (1 << kAreaBits) - total;  // weights sum to exactly 1
    const int shift = std::max(0, first + taps.k - in_size);
    for (int j = 0; j < last - first; ++j) {
      taps.weights[static_cast<size_t>(i) * taps.k + shift + j] = static_cast<int16_t>(w[j]);
    }
    taps.first[i] = first - shift;
  }
  return taps;
}

inline uint8_t AreaRound(int32_t v) { return static_cast<uint8_t>((v + (1 << (kAreaBits - 1))) >> kAreaBits); }

}  // namespace

namespace {

// Horizontal pass of ResizeArea.
MD_IMAGE_NO_COVERAGE RgbImage AreaHorizontal(const RgbImage& mid, int out_width) {
  if (out_width == mid.width) return mid;
  const AreaTaps ht = ComputeAreaTaps(mid.width, out_width);
  RgbImage out(out_width, mid.height);
  for (int y = 0; y < mid.height; ++y) {
    const uint8_t* in = mid.row(y);
    uint8_t* o = out.row(y);
    for (int x = 0; x < out_width; ++x, o += 3) {
      const int16_t* w = &ht.weights[static_cast<size_t>(x) * ht.k];
      const uint8_t* p = in + static_cast<size_t>(ht.first[x]) * 3;
      int32_t s0 = 0, s1 = 0, s2 = 0;
      for (int t = 0; t < ht.k; ++t, p += 3) {
        s0 += p[0] * w[t];
        s1 += p[1] * w[t];
        s2 += p[2] * w[t];
      }
      o[0] = AreaRound(s0);
      o[1] = AreaRound(s1);
      o[2] = AreaRound(s2);
    }
  }
  return out;
}

MD_IMAGE_NO_COVERAGE void AccumulateRow(const uint8_t* p, int16_t w, int n, int32_t* acc) {
  for (int i = 0; i < n; ++i) acc[i] += static_cast<int16_t>(p[i]) * w;
}

MD_IMAGE_NO_COVERAGE void RoundRow(const int32_t* acc, int n, uint8_t* o) {
  for (int i = 0; i < n; ++i) o[i] = AreaRound(acc[i]);
}

}  // namespace

// Output row y reads source rows first[y] .. first[y] + k - 1. Those windows only move
// down, so while rows stream in, the open outputs are a sliding range [y_lo, y_hi);
// at most 2k of them (k, plus windows moved left at the bottom edge).
struct AreaRowScaler::State {
  AreaTaps taps;
  int n = 0;  // values per row
  int in_height = 0;
  int next_row = 0;
  int y_lo = 0;
  std::vector<std::vector<int32_t>> acc;  // ring, indexed y % acc.size()
  RgbImage mid;
};

AreaRowScaler::AreaRowScaler(int width, int in_height, int out_height) : state_(new State) {
  MD_CHECK(width >= 1 && out_height >= 1 && out_height <= in_height);
  state_->taps = ComputeAreaTaps(in_height, out_height);
  state_->n = width * 3;
  state_->in_height = in_height;
  state_->acc.assign(2 * state_->taps.k, std::vector<int32_t>(state_->n, 0));
  state_->mid = RgbImage(width, out_height);
}

AreaRowScaler::~AreaRowScaler() { delete state_; }

void AreaRowScaler::AddRow(const uint8_t* row) {
  State& s = *state_;
  const int r = s.next_row++;
  MD_CHECK(r < s.in_height);
  const int out_height = s.mid.height;
  const int k = s.taps.k;
  const int ring = static_cast<int>(s.acc.size());
  for (int y = s.y_lo; y < out_height && s.taps.first[y] <= r; ++y) {
    MD_CHECK(y - s.y_lo < ring);
    const int t = r - s.taps.first[y];
    if (t >= k) continue;
    const int16_t w = s.taps.weights[static_cast<size_t>(y) * k + t];
    if (w != 0) AccumulateRow(row, w, s.n, s.acc[y % ring].data());
  }
  while (s.y_lo < out_height && s.taps.first[s.y_lo] + k - 1 == r) {
    std::vector<int32_t>& a = s.acc[s.y_lo % ring];
    RoundRow(a.data(), s.n, s.mid.row(s.y_lo));
    std::fill(a.begin(), a.end(), 0);
    ++s.y_lo;
  }
}

RgbImage AreaRowScaler::Finish(int out_width) {
  State& s = *state_;
  MD_CHECK(s.next_row == s.in_height && s.y_lo == s.mid.height);
  return AreaHorizontal(s.mid, out_width);
}

RgbImage ResizeArea(const RgbImage& src, int out_width, int out_height) {
  MD_CHECK(out_width >= 1 && out_height >= 1 && out_width <= src.width && out_height <= src.height);
  if (out_width == src.width && out_height == src.height) return src;
  // Vertical pass first: it runs along whole rows (vectorised) and leaves fewer rows for
  // the horizontal pass, which cannot be vectorised as simply.
  if (out_height == src.height) return AreaHorizontal(src, out_width);
  AreaRowScaler scaler(src.width, src.height, out_height);
  for (int y = 0; y < src.height; ++y) scaler.AddRow(src.row(y));
  return scaler.Finish(out_width);
}

namespace {

// Separable resize with the given tap builder: horizontal pass first over only the rows
// the vertical pass reads, as Pillow does.
template <typename TapsFn>
RgbImage ResizeSeparable(const RgbImage& src, int out_width, int out_height, TapsFn taps_for) {
  MD_CHECK(out_width >= 1 && out_height >= 1 && src.width >= 1 && src.height >= 1);
  const bool need_h = out_width != src.width;
  const bool need_v = out_height != src.height;
  if (!need_h && !need_v) return src;
  if (!need_v) return ResampleHorizontal(src, out_width, 0, src.height, taps_for(src.width, out_width));
  const Taps vtaps = taps_for(src.height, out_height);
  if (!need_h) return ResampleVertical(src, out_height, 0, vtaps);
  const int y_first = vtaps.first[0];
  const int y_last = vtaps.first[out_height - 1] + vtaps.count[out_height - 1];
  RgbImage tmp = ResampleHorizontal(src, out_width, y_first, y_last - y_first, taps_for(src.width, out_width));
  return ResampleVertical(tmp, out_height, y_first, vtaps);
}

}  // namespace

RgbImage ResizeLanczos(const RgbImage& src, int out_width, int out_height) {
  return ResizeSeparable(src, out_width, out_height, ComputeTaps);
}

MD_IMAGE_NO_COVERAGE RgbImage ReduceBox(const RgbImage& src, int fx, int fy) {
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
  if (out_width > src.width || out_height > src.height) return ResizeLanczos(src, out_width, out_height);
  return ResizeArea(src, out_width, out_height);
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
