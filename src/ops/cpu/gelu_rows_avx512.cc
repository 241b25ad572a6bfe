#include <immintrin.h>

#include "ops/cpu/gelu_rows.h"

namespace md {

void GeluTableRowAvx512(const uint16_t* table, float* x, int64_t n) {
  const __m512 lo = _mm512_set1_ps(-10.0f), hi = _mm512_set1_ps(10.0f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512i h =
        _mm512_cvtepu16_epi32(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    // Four bytes at table + 2 h: the entry is the low half.
    const __m512i g = _mm512_i32gather_epi32(h, table, 2);
    const __m512 y = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
    __m512 r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, hi, _CMP_LT_OQ), v, y);
    r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, lo, _CMP_LE_OQ), r, _mm512_setzero_ps());
    _mm512_storeu_ps(x + i, r);
  }
  GeluTableRowScalar(table, x + i, n - i);
}

}  // namespace md
