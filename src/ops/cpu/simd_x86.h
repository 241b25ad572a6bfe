// Pieces shared by the files compiled with AVX2 or AVX-512 flags (quant_*,
// gemm_f32_avx2, attn_rows_avx2): a horizontal sum, and the two-accumulator driver of
// the 32-element block dots. Internal linkage, as quant_simd_common.h explains: each
// including file has its own instruction-set flags.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/quant_blocks.h"

namespace md {
namespace {  // NOLINT(build/namespaces): see the comment at the top.

inline float HSum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Dot products of one 32-block weight row with NA activation rows; Step adds block b to
// eight-lane accumulators. Two accumulator sets alternate between consecutive blocks, so
// a block does not wait on the previous FMA.
template <int NA, void (*Step)(const uint8_t*, const uint8_t* const*, int64_t, __m256*)>
void DotBlocks32N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[2][NA];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
  const int64_t nb = n / quant::kQK;
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    Step(w, a, b, acc[0]);
    Step(w, a, b + 1, acc[1]);
  }
  if (b < nb) Step(w, a, b, acc[0]);
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = HSum256(_mm256_add_ps(acc[0][c], acc[1][c]));
}

}  // namespace
}  // namespace md
