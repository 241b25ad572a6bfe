// AVX-512 instantiation of attn_rows_simd.h: 16 lanes, four heads of 64 per pass (16
// query registers, 16 accumulators for the values).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "ops/cpu/attn_rows_simd.h"

namespace md {
namespace {

struct V512 {
  static constexpr int kWidth = 16;
  using T = __m512;
  static T Zero() { return _mm512_setzero_ps(); }
  static T Set1(float x) { return _mm512_set1_ps(x); }
  static T Load(const float* p) { return _mm512_loadu_ps(p); }
  static T Load(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static void Store(float* p, T x) { _mm512_storeu_ps(p, x); }
  static T Add(T a, T b) { return _mm512_add_ps(a, b); }
  static T Sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T Mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T Fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T Max(T a, T b) { return _mm512_max_ps(a, b); }
  static float ReduceAdd(T x) { return _mm512_reduce_add_ps(x); }
  static float ReduceMax(T x) { return _mm512_reduce_max_ps(x); }
  static T Round(T x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static T Pow2(T n) {
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static T RoundF16(T x) { return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }
};

}  // namespace

void SoftmaxRowAvx512(float* x, int64_t n, float scale, bool round_f16) {
  SoftmaxRowT<V512>(x, n, scale, round_f16);
}

void DecodeAttentionAvx512(const DecodeAttentionArgs& a, int h0, int h1, float* scratch) {
  DecodeAttentionT<V512, 4, 4>(a, h0, h1, scratch);
}

}  // namespace md
