// AVX2 + FMA F32 dot-product blocks: 4 weight rows × 2 activation rows per step, eight
// accumulators, so each loaded vector is used twice or four times.
#include <immintrin.h>

#include "ops/cpu/gemm_f32.h"
#include "ops/cpu/simd_x86.h"

namespace md {

namespace {

inline float Dot1(int64_t n, const float* w, const float* a) {
  __m256 s = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(a + k), s);
  float r = HSum256(s);
  for (; k < n; ++k) r += w[k] * a[k];
  return r;
}

}  // namespace

void GemmF32Avx2(int64_t n, const float* w, int64_t w_stride, int64_t nw, const float* a,
                 int64_t a_stride, int64_t na, float* out, int64_t out_stride) {
  const int64_t n8 = n & ~int64_t{7};
  int64_t c = 0;
  for (; c + 2 <= na; c += 2) {
    const float* a0 = a + c * a_stride;
    const float* a1 = a0 + a_stride;
    int64_t r = 0;
    for (; r + 4 <= nw; r += 4) {
      const float* w0 = w + r * w_stride;
      const float* w1 = w0 + w_stride;
      const float* w2 = w1 + w_stride;
      const float* w3 = w2 + w_stride;
      __m256 s00 = _mm256_setzero_ps(), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00,
             s30 = s00, s31 = s00;
      for (int64_t k = 0; k < n8; k += 8) {
        const __m256 x0 = _mm256_loadu_ps(a0 + k), x1 = _mm256_loadu_ps(a1 + k);
        __m256 v = _mm256_loadu_ps(w0 + k);
        s00 = _mm256_fmadd_ps(v, x0, s00);
        s01 = _mm256_fmadd_ps(v, x1, s01);
        v = _mm256_loadu_ps(w1 + k);
        s10 = _mm256_fmadd_ps(v, x0, s10);
        s11 = _mm256_fmadd_ps(v, x1, s11);
        v = _mm256_loadu_ps(w2 + k);
        s20 = _mm256_fmadd_ps(v, x0, s20);
        s21 = _mm256_fmadd_ps(v, x1, s21);
        v = _mm256_loadu_ps(w3 + k);
        s30 = _mm256_fmadd_ps(v, x0, s30);
        s31 = _mm256_fmadd_ps(v, x1, s31);
      }
      float t[8] = {HSum256(s00), HSum256(s01), HSum256(s10), HSum256(s11),
                    HSum256(s20), HSum256(s21), HSum256(s30), HSum256(s31)};
      for (int64_t k = n8; k < n; ++k) {
        t[0] += w0[k] * a0[k];
        t[1] += w0[k] * a1[k];
        t[2] += w1[k] * a0[k];
        t[3] += w1[k] * a1[k];
        t[4] += w2[k] * a0[k];
        t[5] += w2[k] * a1[k];
        t[6] += w3[k] * a0[k];
        t[7] += w3[k] * a1[k];
      }
      float* o0 = out + c * out_stride + r;
      float* o1 = o0 + out_stride;
      o0[0] = t[0]; o1[0] = t[1];
      o0[1] = t[2]; o1[1] = t[3];
      o0[2] = t[4]; o1[2] = t[5];
      o0[3] = t[6]; o1[3] = t[7];
    }
    for (; r < nw; ++r) {
      out[c * out_stride + r] = Dot1(n, w + r * w_stride, a0);
      out[(c + 1) * out_stride + r] = Dot1(n, w + r * w_stride, a1);
    }
  }
  for (; c < na; ++c) {
    for (int64_t r = 0; r < nw; ++r) {
      out[c * out_stride + r] = Dot1(n, w + r * w_stride, a + c * a_stride);
    }
  }
}

}  // namespace md
