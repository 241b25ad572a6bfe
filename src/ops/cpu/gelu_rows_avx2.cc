#include <immintrin.h>

#include "ops/cpu/gelu_rows.h"

namespace md {

void GeluTableRowAvx2(const uint16_t* table, float* x, int64_t n) {
  const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
  const __m256i low16 = _mm256_set1_epi32(0xFFFF);
  const int* base = reinterpret_cast<const int*>(table);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256i h =
        _mm256_cvtepu16_epi32(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    // Four bytes at table + 2 h: the entry is the low half.
    const __m256i g = _mm256_and_si256(_mm256_i32gather_epi32(base, h, 2), low16);
    const __m128i packed =
        _mm_packus_epi32(_mm256_castsi256_si128(g), _mm256_extracti128_si256(g, 1));
    const __m256 y = _mm256_cvtph_ps(packed);
    __m256 r = _mm256_blendv_ps(v, y, _mm256_cmp_ps(v, hi, _CMP_LT_OQ));
    r = _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps(v, lo, _CMP_LE_OQ));
    _mm256_storeu_ps(x + i, r);
  }
  GeluTableRowScalar(table, x + i, n - i);
}

}  // namespace md
