#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "ops/cpu/gemm_panel.h"

namespace md {

namespace {

// NT tokens x 32 rows: 2*NT accumulators.
template <int NT>
inline void Tile(int64_t k, const float* panel, const float* x, int64_t xs, float* y, int64_t ys,
                 int n_rows) {
  __m512 acc0[NT], acc1[NT];
  for (int t = 0; t < NT; ++t) {
    acc0[t] = _mm512_setzero_ps();
    acc1[t] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < k; ++i) {
    const __m512 w0 = _mm512_loadu_ps(panel + i * kPanelRows);
    const __m512 w1 = _mm512_loadu_ps(panel + i * kPanelRows + 16);
    for (int t = 0; t < NT; ++t) {
      const __m512 a = _mm512_set1_ps(x[t * xs + i]);
      acc0[t] = _mm512_fmadd_ps(w0, a, acc0[t]);
      acc1[t] = _mm512_fmadd_ps(w1, a, acc1[t]);
    }
  }
  if (n_rows == kPanelRows) {
    for (int t = 0; t < NT; ++t) {
      _mm512_storeu_ps(y + t * ys, acc0[t]);
      _mm512_storeu_ps(y + t * ys + 16, acc1[t]);
    }
  } else {
    const __mmask16 m0 = n_rows >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n_rows) - 1);
    const __mmask16 m1 =
        n_rows <= 16 ? 0 : static_cast<__mmask16>((1u << (n_rows - 16)) - 1);
    for (int t = 0; t < NT; ++t) {
      _mm512_mask_storeu_ps(y + t * ys, m0, acc0[t]);
      _mm512_mask_storeu_ps(y + t * ys + 16, m1, acc1[t]);
    }
  }
}

}  // namespace

void PanelKernelAvx512(int64_t k, const float* panel, const float* x, int64_t xs, int64_t n_tok,
                       float* y, int64_t ys, int n_rows) {
  int64_t t = 0;
  for (; t + 6 <= n_tok; t += 6) Tile<6>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows);
  switch (n_tok - t) {
    case 5: Tile<5>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 4: Tile<4>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 3: Tile<3>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 2: Tile<2>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    case 1: Tile<1>(k, panel, x + t * xs, xs, y + t * ys, ys, n_rows); break;
    default: break;
  }
}

}  // namespace md
