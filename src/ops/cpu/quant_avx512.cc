// AVX-512 (F, BW, VL, DQ, VNNI) dot products for the weight types the engine streams
// most: F16, F32, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K. The rest (and the activation
// quantizers) come from the AVX2 set. VNNI's vpdpbusd / vpdpwssd fuse the multiply and
// the widening add of the AVX2 code; K-quant super-blocks are handled 64 elements per
// register. As in quant_avx2.cc, integer parts are exact, so only float summation order
// differs from the scalar reference.
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and trip its own
// (maybe-)uninitialized warnings at every use; the values are fully defined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>

#include "ops/cpu/dispatch.h"
#include "ops/cpu/simd_x86.h"
#include "ops/cpu/quant_simd_common.h"
#include "ops/quant_blocks.h"

namespace md::cpu {
namespace {

using namespace md::quant;

inline float H(const uint8_t* p) { return _cvtsh_ss(Load<uint16_t>(p)); }
inline __m128i Load128(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline __m256i Load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline __m512i Load512(const uint8_t* p) { return _mm512_loadu_si512(p); }

// ------------------------------------------------------------------ float dots

template <int NA>
void DotF32N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  const float* x = reinterpret_cast<const float*>(w);
  __m512 acc[NA][2];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c][0] = acc[c][1] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 w0 = _mm512_loadu_ps(x + i), w1 = _mm512_loadu_ps(x + i + 16);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const float* y = reinterpret_cast<const float*>(a[c]);
      acc[c][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(y + i), acc[c][0]);
      acc[c][1] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(y + i + 16), acc[c][1]);
    }
  }
  // Tail of up to 31 elements with masked loads (zeros contribute nothing).
  for (; i < n; i += 16) {
    const __mmask16 m = static_cast<__mmask16>(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    const __m512 w0 = _mm512_maskz_loadu_ps(m, x + i);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const float* y = reinterpret_cast<const float*>(a[c]);
      acc[c][0] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m, y + i), acc[c][0]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = _mm512_reduce_add_ps(_mm512_add_ps(acc[c][0], acc[c][1]));
}

template <int NA>
void DotF16N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m512 acc[NA][2];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c][0] = acc[c][1] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 w0 = _mm512_cvtph_ps(Load256(w + 2 * i));
    const __m512 w1 = _mm512_cvtph_ps(Load256(w + 2 * i + 32));
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      acc[c][0] = _mm512_fmadd_ps(w0, _mm512_cvtph_ps(Load256(a[c] + 2 * i)), acc[c][0]);
      acc[c][1] = _mm512_fmadd_ps(w1, _mm512_cvtph_ps(Load256(a[c] + 2 * i + 32)), acc[c][1]);
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 m = static_cast<__mmask16>(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    const __m512 w0 = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + 2 * i));
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      acc[c][0] = _mm512_fmadd_ps(w0, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, a[c] + 2 * i)),
                                  acc[c][0]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = _mm512_reduce_add_ps(_mm512_add_ps(acc[c][0], acc[c][1]));
}

// ------------------------------------------------------------------ legacy blocks

// Signed bytes w . a in 8 int32 lanes via VNNI: |w| (unsigned) times a with w's sign.
inline __m256i DotS8(__m256i w_abs, __m256i w, __m256i a) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), w_abs, _mm256_sign_epi8(a, w));
}

// Adds one block's products to acc for every activation row: signed weights qw (32 int8)
// scaled by dw, against the Q8_0 activation block b of each row.
template <int NA>
inline void AccumulateQ8Block(__m256i qw, float dw, const uint8_t* const* a, int64_t b,
                              __m256* acc) {
  const __m256i aw = _mm256_abs_epi8(qw);
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) {
    const uint8_t* ab = a[c] + b * sizeof(BlockQ8_0);
    const __m256i s = DotS8(aw, qw, Load256(ab + 2));
    acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw * H(ab)), acc[c]);
  }
}

// One block of Q8_0 into acc.
template <int NA>
inline void StepQ8_0(const uint8_t* w, const uint8_t* const* a, int64_t b, __m256* acc) {
  const uint8_t* wb = w + b * sizeof(BlockQ8_0);
  AccumulateQ8Block<NA>(Load256(wb + 2), H(wb), a, b, acc);
}

// One block of Q4_0 into acc: nibbles widened to int8 and re-centred on zero.
template <int NA>
inline void StepQ4_0(const uint8_t* w, const uint8_t* const* a, int64_t b, __m256* acc) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const uint8_t* wb = w + b * sizeof(BlockQ4_0);
  const __m128i bytes = Load128(wb + 2);
  const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(bytes, 4), bytes), m4);
  AccumulateQ8Block<NA>(_mm256_sub_epi8(nib, _mm256_set1_epi8(8)), H(wb), a, b, acc);
}

template <int NA>
void DotQ8_0N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotBlocks32N<NA, StepQ8_0<NA>>(w, a, n, out);
}

template <int NA>
void DotQ4_0N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotBlocks32N<NA, StepQ4_0<NA>>(w, a, n, out);
}

// ------------------------------------------------------------------ K-quants

// pshufb pattern selecting int16 scale `lo` in 128-bit lanes 0-1 and `hi` in lanes 2-3
// of a register holding the eight scales in every 128-bit lane.
inline __m512i ScalePairMask(int lo, int hi) {
  const char l0 = static_cast<char>(2 * lo), l1 = static_cast<char>(2 * lo + 1);
  const char h0 = static_cast<char>(2 * hi), h1 = static_cast<char>(2 * hi + 1);
  return _mm512_set_epi8(h1, h0, h1, h0, h1, h0, h1, h0, h1, h0, h1, h0, h1, h0, h1, h0,  //
                         h1, h0, h1, h0, h1, h0, h1, h0, h1, h0, h1, h0, h1, h0, h1, h0,  //
                         l1, l0, l1, l0, l1, l0, l1, l0, l1, l0, l1, l0, l1, l0, l1, l0,  //
                         l1, l0, l1, l0, l1, l0, l1, l0, l1, l0, l1, l0, l1, l0, l1, l0);
}

// The eight 6-bit scales of a Q4_K/Q5_K block as int16 in every 128-bit lane, and the
// eight mins as 16 int16 (each twice: one per 16-element activation sum).
struct KScaleVectors {
  __m512i scales16;
  __m256i mins16;
};
inline KScaleVectors UnpackKScaleVectors(const uint8_t* packed) {
  const KScaleWords kw = UnpackKScaleWords(packed);
  const __m128i sc8 = _mm_cvtsi64_si128(static_cast<int64_t>(kw.w[0] | uint64_t{kw.w[1]} << 32));
  const __m128i mn8 = _mm_cvtsi64_si128(static_cast<int64_t>(kw.w[2] | uint64_t{kw.w[3]} << 32));
  return {_mm512_broadcast_i32x4(_mm_cvtepu8_epi16(sc8)),
          _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn8, mn8))};
}

// Q4_K/Q5_K against NA activation rows (prefill tiles). Per 64 elements the 32 weight
// bytes are broadcast to both halves of a register; a per-half variable shift puts the
// low nibbles (sub-block 2 ch) below and the high ones (2 ch + 1) above, which is the
// order of the activations, and Q5_K's fifth bits arrive the same way.
template <int NA, bool kFive>
void DotQ45_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  constexpr size_t kBlock = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  constexpr size_t kQs = kFive ? offsetof(BlockQ5_K, qs) : offsetof(BlockQ4_K, qs);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i one = _mm512_set1_epi8(0x01);
  const __m512i nibble_shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
  const __m512i mask[4] = {ScalePairMask(0, 1), ScalePairMask(2, 3), ScalePairMask(4, 5),
                           ScalePairMask(6, 7)};
  __m512 acc[NA];
  __m256 mins_acc[NA];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) {
    acc[c] = _mm512_setzero_ps();
    mins_acc[c] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * kBlock;
    const KScaleVectors sv = UnpackKScaleVectors(wb + 4);
    __m512i sumi[NA];
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) sumi[c] = _mm512_setzero_si512();
    __m512i qh;
    if constexpr (kFive) qh = _mm512_broadcast_i64x4(Load256(wb + offsetof(BlockQ5_K, qh)));
#pragma GCC unroll 4
    for (int ch = 0; ch < 4; ++ch) {
      const __m512i bytes = _mm512_broadcast_i64x4(Load256(wb + kQs + 32 * ch));
      __m512i q = _mm512_and_si512(_mm512_srlv_epi16(bytes, nibble_shift), m4);
      if constexpr (kFive) {
        // Fifth bit: qh bit 2 ch for the low nibbles, bit 2 ch + 1 for the high ones.
        const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(2 * ch)),
                                                 _mm256_set1_epi16(static_cast<int16_t>(2 * ch + 1)), 1);
        const __m512i hb = _mm512_and_si512(_mm512_srlv_epi16(qh, shift), one);
        q = _mm512_or_si512(q, _mm512_slli_epi16(hb, 4));
      }
      const __m512i s = _mm512_shuffle_epi8(sv.scales16, mask[ch]);
#pragma GCC unroll 8
      for (int c = 0; c < NA; ++c) {
        const __m512i av = Load512(a[c] + b * sizeof(BlockQ8_K) + 4 + 64 * ch);
        sumi[c] = _mm512_dpwssd_epi32(sumi[c], _mm512_maddubs_epi16(q, av), s);
      }
    }
    const float d = H(wb), dmin = H(wb + 2);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_K);
      const float dy = Load<float>(ab);
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi[c]), _mm512_set1_ps(d * dy), acc[c]);
      // Σ_j min_j (bsum_2j + bsum_2j+1)
      const __m256i m = _mm256_madd_epi16(Load256(ab + offsetof(BlockQ8_K, bsums)), sv.mins16);
      mins_acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), _mm256_set1_ps(dmin * dy), mins_acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = _mm512_reduce_add_ps(acc[c]) - HSum256(mins_acc[c]);
}

// Activations a[lo .. lo + 31] and a[lo + 64 .. lo + 95] in one register: the order of
// the nibbles of 64 Q4_K bytes (low nibbles: sub-blocks 4h and 4h + 2).
inline __m512i LoadSplitAct(const uint8_t* q8) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(Load256(q8)), Load256(q8 + 64), 1);
}

// Q4_K against one activation row: the shape of decode, which must keep up with memory.
// Each 64-byte load of weights yields two registers (low and high nibbles) of 64
// elements; scales come from one broadcast and in-lane shuffles rather than
// cross-lane permutes; mins use the activation's 16-element sums.
void DotQ4_K1(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  constexpr int kPrefetchAhead = 2048;
  const uint8_t* ab = a[0];
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i mask0 = ScalePairMask(0, 2), mask1 = ScalePairMask(1, 3);
  const __m512i mask4 = ScalePairMask(4, 6), mask5 = ScalePairMask(5, 7);
  __m512 acc = _mm512_setzero_ps();
  __m256 mins_acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ4_K);
    const uint8_t* qa = ab + b * sizeof(BlockQ8_K);
    // Rows of a decode run are consecutive: fetch ~2 KB ahead (into the next rows) so
    // that memory keeps streaming while this block computes (+5-15% from DRAM on 2
    // threads, bench/engine_matmul_bench).
    for (int l = 0; l < 3; ++l) {
      _mm_prefetch(reinterpret_cast<const char*>(wb) + kPrefetchAhead + 64 * l, _MM_HINT_T0);
    }
    const KScaleVectors sv = UnpackKScaleVectors(wb + offsetof(BlockQ4_K, scales));
    const __m512i sc16 = sv.scales16;
    const __m512i q0 = Load512(wb + offsetof(BlockQ4_K, qs));
    const __m512i q1 = Load512(wb + offsetof(BlockQ4_K, qs) + 64);
    const uint8_t* q8 = qa + offsetof(BlockQ8_K, qs);
    __m512i s0 = _mm512_dpwssd_epi32(
        _mm512_setzero_si512(), _mm512_maddubs_epi16(_mm512_and_si512(q0, m4), LoadSplitAct(q8)),
        _mm512_shuffle_epi8(sc16, mask0));
    __m512i s1 =
        _mm512_dpwssd_epi32(_mm512_setzero_si512(),
                            _mm512_maddubs_epi16(_mm512_and_si512(q1, m4), LoadSplitAct(q8 + 128)),
                            _mm512_shuffle_epi8(sc16, mask4));
    s0 = _mm512_dpwssd_epi32(
        s0,
        _mm512_maddubs_epi16(_mm512_and_si512(_mm512_srli_epi16(q0, 4), m4), LoadSplitAct(q8 + 32)),
        _mm512_shuffle_epi8(sc16, mask1));
    s1 = _mm512_dpwssd_epi32(s1,
                             _mm512_maddubs_epi16(_mm512_and_si512(_mm512_srli_epi16(q1, 4), m4),
                                                  LoadSplitAct(q8 + 160)),
                             _mm512_shuffle_epi8(sc16, mask5));
    const float dy = Load<float>(qa);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), _mm512_set1_ps(H(wb) * dy),
                          acc);
    // Σ_j min_j (bsum_2j + bsum_2j+1): each min meets both of its 16-element sums.
    const __m256i bs = Load256(qa + offsetof(BlockQ8_K, bsums));
    mins_acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(bs, sv.mins16)),
                               _mm256_set1_ps(H(wb + 2) * dy), mins_acc);
  }
  *out = _mm512_reduce_add_ps(acc) - HSum256(mins_acc);
}

template <int NA>
void DotQ4_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotQ45_KN<NA, false>(w, a, n, out);
}
template <int NA>
void DotQ5_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotQ45_KN<NA, true>(w, a, n, out);
}

// int16 lane k of a register takes Q6_K scale first + k / 8 (16 elements per scale).
inline __m512i Q6ScaleIndex(int first) {
  return _mm512_add_epi16(
      _mm512_srli_epi16(_mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
                                         16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                        3),
      _mm512_set1_epi16(static_cast<int16_t>(first)));
}

// Q6_K against one activation row (decode). Per 128 elements: one 64-byte load of low
// bits gives both nibble registers; the 32 bytes of high bits are broadcast to both
// halves and moved into place with per-half variable shifts, and vpternlog merges
// them, so no cross-lane inserts are needed.
void DotQ6_K1(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  const uint8_t* ab = a[0];
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i m30 = _mm512_set1_epi8(0x30);
  // Elements 0..31 of a group take high bits 0-1 (<< 4), 32..63 bits 2-3 (<< 2);
  // elements 64..95 bits 4-5 (>> 0), 96..127 bits 6-7 (>> 2).
  const __m512i shl_lo = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
  const __m512i shr_hi = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  const __m512i idx[4] = {Q6ScaleIndex(0), Q6ScaleIndex(4), Q6ScaleIndex(8), Q6ScaleIndex(12)};
  constexpr int kOrAnd = 0xEA;  // vpternlog: (a & b) | c
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ6_K);
    const uint8_t* qa = ab + b * sizeof(BlockQ8_K);
    const __m256i sc16_256 = _mm256_cvtepi8_epi16(Load128(wb + offsetof(BlockQ6_K, scales)));
    const __m512i sc16 = _mm512_castsi256_si512(sc16_256);
    // (q - 32) a = q a - 32 a: start at -32 Σ_j scale_j bsum_j.
    const __m256i off = _mm256_madd_epi16(Load256(qa + offsetof(BlockQ8_K, bsums)), sc16_256);
    __m512i s0 = _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(off, 5)));
    __m512i s1 = _mm512_setzero_si512();
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = Load512(wb + offsetof(BlockQ6_K, ql) + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(Load256(wb + offsetof(BlockQ6_K, qh) + 32 * h));
      const __m512i q01 = _mm512_ternarylogic_epi32(
          ql, m4, _mm512_and_si512(_mm512_sllv_epi16(qh, shl_lo), m30), kOrAnd);
      const __m512i q23 = _mm512_ternarylogic_epi32(
          _mm512_srli_epi16(ql, 4), m4, _mm512_and_si512(_mm512_srlv_epi16(qh, shr_hi), m30), kOrAnd);
      const uint8_t* q8 = qa + offsetof(BlockQ8_K, qs) + 128 * h;
      s0 = _mm512_dpwssd_epi32(s0, _mm512_maddubs_epi16(q01, Load512(q8)),
                               _mm512_permutexvar_epi16(idx[2 * h], sc16));
      s1 = _mm512_dpwssd_epi32(s1, _mm512_maddubs_epi16(q23, Load512(q8 + 64)),
                               _mm512_permutexvar_epi16(idx[2 * h + 1], sc16));
    }
    const float dd = H(wb + offsetof(BlockQ6_K, d)) * Load<float>(qa);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), _mm512_set1_ps(dd), acc);
  }
  *out = _mm512_reduce_add_ps(acc);
}

template <int NA>
void DotQ6_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m512 acc[NA];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm512_setzero_ps();
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i m2 = _mm512_set1_epi8(0x03);
  // int16 lane k of register p (0..3) takes scale 4 p + k / 8 (16 elements per scale).
  const __m512i lane_group =
      _mm512_srli_epi16(_mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
                                         16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                        3);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ6_K);
    const __m256i sc16_256 = _mm256_cvtepi8_epi16(Load128(wb + offsetof(BlockQ6_K, scales)));
    const __m512i sc16 = _mm512_zextsi256_si512(sc16_256);
    const float d = H(wb + offsetof(BlockQ6_K, d));
    // (q - 32) a = q a - 32 a: start each sum at -32 Σ_j scale_j bsum_j.
    __m512i sumi[NA];
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const __m256i bs = Load256(a[c] + b * sizeof(BlockQ8_K) + offsetof(BlockQ8_K, bsums));
      const __m256i off = _mm256_madd_epi16(bs, sc16_256);
      sumi[c] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                 _mm512_zextsi256_si512(_mm256_slli_epi32(off, 5)));
    }
#pragma GCC unroll 8
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = Load512(wb + offsetof(BlockQ6_K, ql) + 64 * h);
      const __m256i qh = Load256(wb + offsetof(BlockQ6_K, qh) + 32 * h);
      // Lower half of the register: groups 0 and 2 bits (shift 0/4); upper: 1 and 3 (2/6).
      const __m512i qh2 =
          _mm512_inserti64x4(_mm512_zextsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
      const __m512i q01 = _mm512_or_si512(_mm512_and_si512(ql, m4),
                                          _mm512_slli_epi16(_mm512_and_si512(qh2, m2), 4));
      const __m512i q23 =
          _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(qh2, 4), m2), 4));
      const __m512i s01 = _mm512_permutexvar_epi16(
          _mm512_add_epi16(lane_group, _mm512_set1_epi16(static_cast<int16_t>(8 * h))), sc16);
      const __m512i s23 = _mm512_permutexvar_epi16(
          _mm512_add_epi16(lane_group, _mm512_set1_epi16(static_cast<int16_t>(8 * h + 4))), sc16);
#pragma GCC unroll 8
      for (int c = 0; c < NA; ++c) {
        const uint8_t* q8 = a[c] + b * sizeof(BlockQ8_K) + 4 + 128 * h;
        sumi[c] = _mm512_dpwssd_epi32(sumi[c], _mm512_maddubs_epi16(q01, Load512(q8)), s01);
        sumi[c] = _mm512_dpwssd_epi32(sumi[c], _mm512_maddubs_epi16(q23, Load512(q8 + 64)), s23);
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const float dy = Load<float>(a[c] + b * sizeof(BlockQ8_K));
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi[c]), _mm512_set1_ps(d * dy), acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = _mm512_reduce_add_ps(acc[c]);
}

}  // namespace

void AddAvx512Kernels(KernelTable* t) {
  // F32 and F16 keep the AVX2 batched kernels (for F16 a 2 x 4 register block of
  // 256-bit lanes): on the AVX-512 machine measured (AMD Zen 4, 512-bit ops split in two)
  // the 512-bit versions were slower there; single-row dots are 512-bit.
  for (TensorType type : {TensorType::kF32, TensorType::kF16}) {
    const VecDotRowsFn avx2_rows = t->vec_dot_rows[static_cast<uint32_t>(type)];
    if (type == TensorType::kF32) {
      Register<DotF32N<1>, DotF32N<4>>(t, type);
    } else {
      Register<DotF16N<1>, DotF16N<4>>(t, type);
    }
    t->vec_dot_rows[static_cast<uint32_t>(type)] = avx2_rows;
  }
  Register<DotQ8_0N<1>, DotQ8_0N<4>>(t, TensorType::kQ8_0);
  Register<DotQ4_0N<1>, DotQ4_0N<4>>(t, TensorType::kQ4_0);
  Register<DotQ4_K1, DotQ4_KN<4>>(t, TensorType::kQ4_K);
  Register<DotQ5_KN<1>, DotQ5_KN<4>>(t, TensorType::kQ5_K);
  Register<DotQ6_K1, DotQ6_KN<4>>(t, TensorType::kQ6_K);
}

}  // namespace md::cpu
