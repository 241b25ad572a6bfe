#include <immintrin.h>

#include "ops/cpu/gemm_panel.h"

namespace md {

namespace {

// NT tokens x 16 rows (half a panel): 2*NT accumulators of 8.
template <int NT>
inline void Tile(int64_t k, const float* panel, const float* x, int64_t xs, float* y, int64_t ys,
                 int n_rows) {
  __m256 acc0[NT], acc1[NT];
  for (int t = 0; t < NT; ++t) {
    acc0[t] = _mm256_setzero_ps();
    acc1[t] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < k; ++i) {
    const __m256 w0 = _mm256_loadu_ps(panel + i * kPanelRows);
    const __m256 w1 = _mm256_loadu_ps(panel + i * kPanelRows + 8);
    for (int t = 0; t < NT; ++t) {
      const __m256 a = _mm256_broadcast_ss(x + t * xs + i);
      acc0[t] = _mm256_fmadd_ps(w0, a, acc0[t]);
      acc1[t] = _mm256_fmadd_ps(w1, a, acc1[t]);
    }
  }
  for (int t = 0; t < NT; ++t) {
    alignas(32) float tmp[16];
    _mm256_store_ps(tmp, acc0[t]);
    _mm256_store_ps(tmp + 8, acc1[t]);
    for (int r = 0; r < n_rows; ++r) y[t * ys + r] = tmp[r];
  }
}

template <int NT>
void Half(int64_t k, const float* panel, const float* x, int64_t xs, float* y, int64_t ys,
          int n_rows) {
  // Rows 0..15 then 16..31 of the panel.
  Tile<NT>(k, panel, x, xs, y, ys, n_rows < 16 ? n_rows : 16);
  if (n_rows > 16) {
    // Shift the panel view by 16 rows: the stride stays kPanelRows.
    Tile<NT>(k, panel + 16, x, xs, y + 16, ys, n_rows - 16);
  }
}

}  // namespace

void RoundF16RowAvx2(const float* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) {
    const __m128i h = _mm_cvtps_ph(_mm_set_ss(x[i]), _MM_FROUND_TO_NEAREST_INT);
    out[i] = _mm_cvtss_f32(_mm_cvtph_ps(h));
  }
}

void F32ToF16RowAvx2(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) {
    out[i] = static_cast<uint16_t>(
        _mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(x[i]), _MM_FROUND_TO_NEAREST_INT)));
  }
}

void F16ToF32RowAvx2(const uint16_t* h, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
  }
  for (; i < n; ++i) out[i] = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h[i])));
}

void PanelKernelAvx2(int64_t k, const float* panel, const float* x, int64_t xs, int64_t n_tok,
                     float* y, int64_t ys, int n_rows) {
  int64_t t = 0;
  for (; t + 6 <= n_tok; t += 6) Half<6>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows);
  switch (n_tok - t) {
    case 5: Half<5>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 4: Half<4>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 3: Half<3>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 2: Half<2>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 1: Half<1>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    default: break;
  }
}

}  // namespace md
