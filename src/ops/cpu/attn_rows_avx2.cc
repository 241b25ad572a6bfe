// AVX2 instantiation of attn_rows_simd.h: 8 lanes, two heads of 64 per pass (16 query
// registers, 16 accumulators for the values).
#include <immintrin.h>

#include "ops/cpu/attn_rows_simd.h"
#include "ops/cpu/simd_x86.h"

namespace md {
namespace {

struct V256 {
  static constexpr int kWidth = 8;
  using T = __m256;
  static T Zero() { return _mm256_setzero_ps(); }
  static T Set1(float x) { return _mm256_set1_ps(x); }
  static T Load(const float* p) { return _mm256_loadu_ps(p); }
  static T Load(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static void Store(float* p, T x) { _mm256_storeu_ps(p, x); }
  static T Add(T a, T b) { return _mm256_add_ps(a, b); }
  static T Sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T Mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T Fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T Max(T a, T b) { return _mm256_max_ps(a, b); }
  static float ReduceAdd(T x) { return HSum256(x); }
  static float ReduceMax(T x) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static T Round(T x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static T Pow2(T n) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static T RoundF16(T x) { return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }
};

}  // namespace

void SoftmaxRowAvx2(float* x, int64_t n, float scale, bool round_f16) {
  SoftmaxRowT<V256>(x, n, scale, round_f16);
}

void DecodeAttentionAvx2(const DecodeAttentionArgs& a, int h0, int h1, float* scratch) {
  DecodeAttentionT<V256, 8, 2>(a, h0, h1, scratch);
}

}  // namespace md
