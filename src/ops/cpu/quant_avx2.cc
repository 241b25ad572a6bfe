// AVX2 + FMA + F16C kernels for the weight formats: activation quantizers and dot
// products. Every integer part is exact, so results differ from the scalar reference
// only by float summation order; activation bytes are identical to the reference.
//
// Dot kernels are templates over NA, the number of activation rows sharing one pass over
// a weight row: NA = 1 is VecDot, NA = 4 serves VecDotRows (prefill), where unpacking
// each weight block once for four activation rows is what saves the time.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/cpu/dispatch.h"
#include "ops/cpu/simd_x86.h"
#include "ops/cpu/quant_simd_common.h"
#include "ops/quant_blocks.h"
#include "ops/quant_reference.h"

namespace md::cpu {
namespace {

using namespace md::quant;

inline int HSumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// One fp16 scale through F16C (exact, and much cheaper than the integer conversion).
inline float H(const uint8_t* p) { return _cvtsh_ss(Load<uint16_t>(p)); }

inline __m256i Load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline __m128i Load128(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// 32 nibbles of 16 bytes: low nibbles in bytes 0..15, high nibbles in 16..31 (the
// element order of Q4_0/Q4_1/Q5_x blocks).
inline __m256i Nibbles32(const uint8_t* p) {
  const __m128i b = Load128(p);
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// Byte i = 0xFF where bit i of x is set.
inline __m256i BitsToBytes(uint32_t x) {
  const __m256i shuf =
      _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL, 0x0303030303030303LL);
  const __m256i r = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(x)), shuf);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(r, bit), bit);
}

// 8 int32 sums of products of signed bytes, by the |w| * sign(a, w) trick (maddubs
// wants one unsigned operand). |products| stay below 2^15 because quantizers never
// emit -128 on the activation side.
inline __m256i DotS8(__m256i w_abs, __m256i w, __m256i a) {
  const __m256i p = _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(a, w));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}
inline __m256i DotU8(__m256i w_u8, __m256i a) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(w_u8, a), _mm256_set1_epi16(1));
}

// ------------------------------------------------------------------ activations

// Q8_0/Q8_1 activations as llama.cpp's SIMD code makes them (see
// ref::QuantizeActivationRow): d = amax / 127, multiplier 127 / amax, half to even.
// Stores fp16(d) at d_out and the bytes at qs; returns d; *sum gets the bytes' sum.
inline float Q8Block32(const float* x, uint8_t* d_out, int8_t* qs, int* sum) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  __m256 amax = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_loadu_ps(x + 8 * k);
    amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_mask, v[k]));
  }
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  const float am = _mm_cvtss_f32(m);
  const float d = am / 127.f;
  const float id = am != 0.0f ? 127.f / am : 0.0f;
  StoreF16(d_out, d);
  const __m256 vid = _mm256_set1_ps(id);
  __m256i q[4];
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], vid));
  if (sum != nullptr)
    *sum = HSumI32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
  // Pack 32 int32 -> 32 int8 in order (packs work per 128-bit lane; fix with a permute).
  const __m256i p01 = _mm256_packs_epi32(q[0], q[1]);
  const __m256i p23 = _mm256_packs_epi32(q[2], q[3]);
  __m256i b = _mm256_packs_epi16(p01, p23);
  b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), b);
  return d;
}

void QuantizeQ8_0(const float* x, void* dst, int64_t n) {
  uint8_t* y = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK, y += sizeof(BlockQ8_0)) {
    Q8Block32(x, y, reinterpret_cast<int8_t*>(y + offsetof(BlockQ8_0, qs)), nullptr);
  }
}

void QuantizeQ8_1(const float* x, void* dst, int64_t n) {
  uint8_t* y = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK, y += sizeof(BlockQ8_1)) {
    int sum;
    const float d = Q8Block32(x, y, reinterpret_cast<int8_t*>(y + offsetof(BlockQ8_1, qs)), &sum);
    StoreF16(y + offsetof(BlockQ8_1, s), d * static_cast<float>(sum));
  }
}

void QuantizeQ8_K(const float* x, void* dst, int64_t n) {
  uint8_t* y = static_cast<uint8_t*>(dst);
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K, y += sizeof(BlockQ8_K)) {
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < kQK_K; k += 8) {
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_mask, _mm256_loadu_ps(x + k)));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float am = _mm_cvtss_f32(m);
    if (am == 0.0f) {
      std::memset(y, 0, sizeof(BlockQ8_K));
      continue;
    }
    // The reference keeps the sign of the first element of largest magnitude.
    float max = 0;
    const __m256 vam = _mm256_set1_ps(am);
    for (int k = 0; k < kQK_K; k += 8) {
      const __m256 a = _mm256_andnot_ps(sign_mask, _mm256_loadu_ps(x + k));
      const int mask = _mm256_movemask_ps(_mm256_cmp_ps(a, vam, _CMP_EQ_OQ));
      if (mask != 0) {
        max = x[k + __builtin_ctz(static_cast<unsigned>(mask))];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 vis = _mm256_set1_ps(iscale);
    int8_t* qs = reinterpret_cast<int8_t*>(y + offsetof(BlockQ8_K, qs));
    int16_t bsums[16];
    for (int k = 0; k < kQK_K; k += 32) {
      __m256i q[4];
#pragma GCC unroll 8
      for (int j = 0; j < 4; ++j) {
        // cvtps rounds half to even, as nearest_int does.
        q[j] =
            _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 8 * j), vis)),
                             _mm256_set1_epi32(127));
      }
      bsums[k / 16] = static_cast<int16_t>(HSumI32(_mm256_add_epi32(q[0], q[1])));
      bsums[k / 16 + 1] = static_cast<int16_t>(HSumI32(_mm256_add_epi32(q[2], q[3])));
      __m256i b =
          _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
      b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + k), b);
    }
    std::memcpy(y + offsetof(BlockQ8_K, bsums), bsums, sizeof bsums);
    Store<float>(y, 1 / iscale);
  }
}

void QuantizeF16(const float* x, void* dst, int64_t n) {
  uint8_t* y = static_cast<uint8_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + 2 * i), h);
  }
  for (; i < n; ++i) StoreF16(y + 2 * i, x[i]);
}

// ------------------------------------------------------------------ float dots

template <int NA>
void DotF32N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  const float* x = reinterpret_cast<const float*>(w);
  __m256 acc[NA][2];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c][0] = acc[c][1] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_loadu_ps(x + i), w1 = _mm256_loadu_ps(x + i + 8);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const float* y = reinterpret_cast<const float*>(a[c]);
      acc[c][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(y + i), acc[c][0]);
      acc[c][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(y + i + 8), acc[c][1]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) {
    float s = HSum256(_mm256_add_ps(acc[c][0], acc[c][1]));
    // Rows may start anywhere (a weight row inside a file): no float dereferences.
    for (int64_t k = i; k < n; ++k) s += Load<float>(w + 4 * k) * Load<float>(a[c] + 4 * k);
    out[c] = s;
  }
}

template <int NA>
void DotF16N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA][2];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c][0] = acc[c][1] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_cvtph_ps(Load128(w + 2 * i));
    const __m256 w1 = _mm256_cvtph_ps(Load128(w + 2 * i + 16));
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      acc[c][0] = _mm256_fmadd_ps(w0, _mm256_cvtph_ps(Load128(a[c] + 2 * i)), acc[c][0]);
      acc[c][1] = _mm256_fmadd_ps(w1, _mm256_cvtph_ps(Load128(a[c] + 2 * i + 16)), acc[c][1]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) {
    float s = HSum256(_mm256_add_ps(acc[c][0], acc[c][1]));
    for (int64_t k = i; k < n; ++k) s += H(w + 2 * k) * H(a[c] + 2 * k);
    out[c] = s;
  }
}

// Batched F16: 2 weight rows x 4 activation rows per pass, 16 accumulating registers'
// worth of work per 8 elements (2 + 4 conversions for 8 FMAs instead of 5 for 4).
void DotF16Block2x4(const uint8_t* w0, const uint8_t* w1, const uint8_t* const* a, int64_t n,
                    float* out /* [2][4] */) {
  __m256 acc[2][4];
#pragma GCC unroll 8
  for (int c = 0; c < 4; ++c) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x0 = _mm256_cvtph_ps(Load128(w0 + 2 * i));
    const __m256 x1 = _mm256_cvtph_ps(Load128(w1 + 2 * i));
#pragma GCC unroll 8
    for (int c = 0; c < 4; ++c) {
      const __m256 y = _mm256_cvtph_ps(Load128(a[c] + 2 * i));
      acc[0][c] = _mm256_fmadd_ps(x0, y, acc[0][c]);
      acc[1][c] = _mm256_fmadd_ps(x1, y, acc[1][c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < 4; ++c) {
    float s0 = HSum256(acc[0][c]), s1 = HSum256(acc[1][c]);
    for (int64_t k = i; k < n; ++k) {
      const float y = LoadF16(a[c] + 2 * k);
      s0 += LoadF16(w0 + 2 * k) * y;
      s1 += LoadF16(w1 + 2 * k) * y;
    }
    out[c] = s0;
    out[4 + c] = s1;
  }
}

void DotRowsF16(int64_t n, const void* w, size_t w_stride, int64_t nw, const void* a,
                size_t a_stride, int64_t na, float* out, size_t out_stride) {
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  int64_t c = 0;
  for (; c + 4 <= na; c += 4) {
    const uint8_t* ap[4] = {ab + c * a_stride, ab + (c + 1) * a_stride, ab + (c + 2) * a_stride,
                            ab + (c + 3) * a_stride};
    int64_t r = 0;
    for (; r + 2 <= nw; r += 2) {
      float o[8];
      DotF16Block2x4(wb + r * w_stride, wb + (r + 1) * w_stride, ap, n, o);
      for (int k = 0; k < 4; ++k) {
        out[(c + k) * out_stride + r] = o[k];
        out[(c + k) * out_stride + r + 1] = o[4 + k];
      }
    }
    for (; r < nw; ++r) {
      float o[4];
      DotF16N<4>(wb + r * w_stride, ap, n, o);
      for (int k = 0; k < 4; ++k) out[(c + k) * out_stride + r] = o[k];
    }
  }
  for (; c < na; ++c) {
    const uint8_t* ap = ab + c * a_stride;
    for (int64_t r = 0; r < nw; ++r)
      DotF16N<1>(wb + r * w_stride, &ap, n, &out[c * out_stride + r]);
  }
}

inline __m256 Bf16x8(const uint8_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(Load128(p)), 16));
}

template <int NA>
void DotBF16N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 w0 = Bf16x8(w + 2 * i);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) acc[c] = _mm256_fmadd_ps(w0, Bf16x8(a[c] + 2 * i), acc[c]);
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) {
    float s = HSum256(acc[c]);
    for (int64_t k = i; k < n; ++k) {
      s += BF16ToF32(Load<uint16_t>(w + 2 * k)) * BF16ToF32(Load<uint16_t>(a[c] + 2 * k));
    }
    out[c] = s;
  }
}

// ------------------------------------------------------------------ legacy blocks

// Adds one block's products to acc for every activation row: signed weights qw (32 int8)
// scaled by dw, against the Q8_0 activation block b of each row.
template <int NA>
inline void AccumulateQ8Block(__m256i qw, float dw, const uint8_t* const* a, int64_t b,
                              __m256* acc) {
  const __m256i aw = _mm256_sign_epi8(qw, qw);
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

// One block of Q4_0 into acc: nibbles re-centred on zero.
template <int NA>
inline void StepQ4_0(const uint8_t* w, const uint8_t* const* a, int64_t b, __m256* acc) {
  const uint8_t* wb = w + b * sizeof(BlockQ4_0);
  AccumulateQ8Block<NA>(_mm256_sub_epi8(Nibbles32(wb + 2), _mm256_set1_epi8(8)), H(wb), a, b,
                        acc);
}

template <int NA>
void DotQ8_0N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotBlocks32N<NA, StepQ8_0<NA>>(w, a, n, out);
}

template <int NA>
void DotQ4_0N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotBlocks32N<NA, StepQ4_0<NA>>(w, a, n, out);
}

template <int NA>
void DotQ5_0N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ5_0);
    // value = nibble - 16 where the 5th bit is clear, nibble where it is set.
    const __m256i hi =
        _mm256_andnot_si256(BitsToBytes(Load<uint32_t>(wb + 2)), _mm256_set1_epi8(0x10));
    const __m256i qw = _mm256_sub_epi8(Nibbles32(wb + 6), hi);
    const __m256i aw = _mm256_sign_epi8(qw, qw);
    const float dw = H(wb);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_0);
      const __m256i s = DotS8(aw, qw, Load256(ab + 2));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw * H(ab)), acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = HSum256(acc[c]);
}

template <int NA>
void DotQ4_1N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA];
  float mins[NA] = {};
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ4_1);
    const __m256i qw = Nibbles32(wb + 4);
    const float dw = H(wb), mw = H(wb + 2);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_1);
      const __m256i s = DotU8(qw, Load256(ab + 4));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw * H(ab)), acc[c]);
      mins[c] += mw * H(ab + 2);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = HSum256(acc[c]) + mins[c];
}

template <int NA>
void DotQ5_1N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA];
  float mins[NA] = {};
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ5_1);
    const __m256i hi =
        _mm256_and_si256(BitsToBytes(Load<uint32_t>(wb + 4)), _mm256_set1_epi8(0x10));
    const __m256i qw = _mm256_or_si256(Nibbles32(wb + 8), hi);
    const float dw = H(wb), mw = H(wb + 2);
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_1);
      const __m256i s = DotU8(qw, Load256(ab + 4));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw * H(ab)), acc[c]);
      mins[c] += mw * H(ab + 2);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = HSum256(acc[c]) + mins[c];
}

// ------------------------------------------------------------------ K-quants

// Σ_j mins[j] * (bsums[2j] + bsums[2j+1]) for a Q8_K block; mins as 8 int16.
inline int MinsDotBsums(__m128i mins16, const uint8_t* q8k) {
  const __m128i b0 = Load128(q8k + offsetof(BlockQ8_K, bsums));
  const __m128i b1 = Load128(q8k + offsetof(BlockQ8_K, bsums) + 16);
  const __m128i pairs = _mm_hadd_epi16(b0, b1);  // |pair| <= 2 * 16 * 127, fits
  __m128i p = _mm_madd_epi16(pairs, mins16);
  p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0x4E));
  p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0xB1));
  return _mm_cvtsi128_si32(p);
}

template <int NA>
void DotQ4_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA];
  float mins_acc[NA] = {};
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ4_K);
    uint8_t sm[16];
    UnpackKScales(wb + offsetof(BlockQ4_K, scales), sm);
    const __m128i mins16 =
        _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm + 8)));
    const float d = H(wb), dmin = H(wb + 2);
    __m256i sumi[NA];
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) sumi[c] = _mm256_setzero_si256();
    const uint8_t* q = wb + offsetof(BlockQ4_K, qs);
#pragma GCC unroll 8
    for (int ch = 0; ch < 4; ++ch) {
      const __m256i bytes = Load256(q + 32 * ch);
      const __m256i lo = _mm256_and_si256(bytes, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), m4);
      const __m256i s_lo = _mm256_set1_epi16(sm[2 * ch]);
      const __m256i s_hi = _mm256_set1_epi16(sm[2 * ch + 1]);
#pragma GCC unroll 8
      for (int c = 0; c < NA; ++c) {
        const uint8_t* q8 = a[c] + b * sizeof(BlockQ8_K) + 4 + 64 * ch;
        const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, Load256(q8)), s_lo);
        const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, Load256(q8 + 32)), s_hi);
        sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(p_lo, p_hi));
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_K);
      const float dy = Load<float>(ab);
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[c]), _mm256_set1_ps(d * dy), acc[c]);
      mins_acc[c] += dmin * dy * static_cast<float>(MinsDotBsums(mins16, ab));
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = HSum256(acc[c]) - mins_acc[c];
}

template <int NA>
void DotQ5_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA];
  float mins_acc[NA] = {};
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i one = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ5_K);
    uint8_t sm[16];
    UnpackKScales(wb + offsetof(BlockQ5_K, scales), sm);
    const __m128i mins16 =
        _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm + 8)));
    const float d = H(wb), dmin = H(wb + 2);
    const __m256i qh = Load256(wb + offsetof(BlockQ5_K, qh));
    __m256i sumi[NA];
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) sumi[c] = _mm256_setzero_si256();
    const uint8_t* q = wb + offsetof(BlockQ5_K, qs);
#pragma GCC unroll 8
    for (int ch = 0; ch < 4; ++ch) {
      const __m256i bytes = Load256(q + 32 * ch);
      const __m256i hb_lo = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * ch), one);
      const __m256i hb_hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * ch + 1), one);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(bytes, m4), _mm256_slli_epi16(hb_lo, 4));
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bytes, 4), m4),
                                         _mm256_slli_epi16(hb_hi, 4));
      const __m256i s_lo = _mm256_set1_epi16(sm[2 * ch]);
      const __m256i s_hi = _mm256_set1_epi16(sm[2 * ch + 1]);
#pragma GCC unroll 8
      for (int c = 0; c < NA; ++c) {
        const uint8_t* q8 = a[c] + b * sizeof(BlockQ8_K) + 4 + 64 * ch;
        const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, Load256(q8)), s_lo);
        const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, Load256(q8 + 32)), s_hi);
        sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(p_lo, p_hi));
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_K);
      const float dy = Load<float>(ab);
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[c]), _mm256_set1_ps(d * dy), acc[c]);
      mins_acc[c] += dmin * dy * static_cast<float>(MinsDotBsums(mins16, ab));
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = HSum256(acc[c]) - mins_acc[c];
}

template <int NA>
void DotQ6_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  __m256 acc[NA];
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) acc[c] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m2 = _mm256_set1_epi8(0x03);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ6_K);
    const int8_t* sc = reinterpret_cast<const int8_t*>(wb + offsetof(BlockQ6_K, scales));
    const float d = H(wb + offsetof(BlockQ6_K, d));
    // (q - 32) * a = q * a - 32 * a: the offset part from the activation's group sums.
    const __m256i sc16 = _mm256_cvtepi8_epi16(Load128(wb + offsetof(BlockQ6_K, scales)));
    __m256i sumi[NA];
    int offset[NA];
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      sumi[c] = _mm256_setzero_si256();
      const __m256i bs = Load256(a[c] + b * sizeof(BlockQ8_K) + offsetof(BlockQ8_K, bsums));
      offset[c] = HSumI32(_mm256_madd_epi16(bs, sc16));
    }
#pragma GCC unroll 8
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = wb + offsetof(BlockQ6_K, ql) + 64 * h;
      const __m256i qh = Load256(wb + offsetof(BlockQ6_K, qh) + 32 * h);
      const __m256i l0 = Load256(ql), l1 = Load256(ql + 32);
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4)),
          _mm256_or_si256(_mm256_and_si256(l1, m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4)),
      };
#pragma GCC unroll 8
      for (int g = 0; g < 4; ++g) {
        // int16 lanes 0..7 hold elements 0..15 (scale 2g), lanes 8..15 elements 16..31.
        const int j = 8 * h + 2 * g;
        const __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[j + 1]), _mm_set1_epi16(sc[j]));
#pragma GCC unroll 8
        for (int c = 0; c < NA; ++c) {
          const uint8_t* q8 = a[c] + b * sizeof(BlockQ8_K) + 4 + 128 * h + 32 * g;
          sumi[c] = _mm256_add_epi32(sumi[c],
                                     _mm256_madd_epi16(_mm256_maddubs_epi16(q[g], Load256(q8)), s));
        }
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < NA; ++c) {
      const float dy = Load<float>(a[c] + b * sizeof(BlockQ8_K));
      const __m256i total =
          _mm256_sub_epi32(sumi[c], _mm256_setr_epi32(32 * offset[c], 0, 0, 0, 0, 0, 0, 0));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_set1_ps(d * dy), acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NA; ++c) out[c] = HSum256(acc[c]);
}

}  // namespace

void AddAvx2Kernels(KernelTable* t) {
  auto act = [t](TensorType type, QuantizeFn fn) {
    t->quantize_act[static_cast<uint32_t>(type)] = fn;
  };
  act(TensorType::kQ8_0, QuantizeQ8_0);
  act(TensorType::kQ8_1, QuantizeQ8_1);
  act(TensorType::kQ8_K, QuantizeQ8_K);
  act(TensorType::kF16, QuantizeF16);
  Register<DotF32N<1>, DotF32N<4>>(t, TensorType::kF32);
  Register<DotF16N<1>, DotF16N<4>>(t, TensorType::kF16);
  t->vec_dot_rows[static_cast<uint32_t>(TensorType::kF16)] = DotRowsF16;
  Register<DotBF16N<1>, DotBF16N<4>>(t, TensorType::kBF16);
  Register<DotQ8_0N<1>, DotQ8_0N<4>>(t, TensorType::kQ8_0);
  Register<DotQ4_0N<1>, DotQ4_0N<4>>(t, TensorType::kQ4_0);
  Register<DotQ5_0N<1>, DotQ5_0N<4>>(t, TensorType::kQ5_0);
  Register<DotQ4_1N<1>, DotQ4_1N<4>>(t, TensorType::kQ4_1);
  Register<DotQ5_1N<1>, DotQ5_1N<4>>(t, TensorType::kQ5_1);
  Register<DotQ4_KN<1>, DotQ4_KN<4>>(t, TensorType::kQ4_K);
  Register<DotQ5_KN<1>, DotQ5_KN<4>>(t, TensorType::kQ5_K);
  Register<DotQ6_KN<1>, DotQ6_KN<4>>(t, TensorType::kQ6_K);
}

}  // namespace md::cpu
