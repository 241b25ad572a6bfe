// AArch64 NEON kernels (baseline Armv8.0: no SDOT, so int8 products go through
// vmull/vmlal into int16 pairs, then pairwise-widening adds). Activation quantizers give
// the reference's bytes; dot products differ from it only by float summation order.
// Compiled on ARM only (see CMakeLists.txt), tested by tests/unit/quant_simd_test.cc there.
#include <arm_neon.h>

#include <cstring>

#include "ops/cpu/dispatch.h"
#include "ops/cpu/quant_simd_common.h"
#include "ops/quant_blocks.h"

namespace md::cpu {
namespace {

using namespace md::quant;

// Σ x[i] * y[i] over 16 signed bytes, as 4 int32 lanes. |products| <= 127 * 128, and
// pairs of them fit int16 because activations never hold -128.
inline int32x4_t Dot16(int8x16_t x, int8x16_t y) {
  int16x8_t p = vmull_s8(vget_low_s8(x), vget_low_s8(y));
  p = vmlal_high_s8(p, x, y);
  return vpaddlq_s16(p);
}

// ------------------------------------------------------------------ activations

inline float Q8Block32(const float* x, uint8_t* d_out, int8_t* qs, int* sum) {
  float32x4_t v[8];
  float32x4_t amax = vdupq_n_f32(0.0f);
  for (int k = 0; k < 8; ++k) {
    v[k] = vld1q_f32(x + 4 * k);
    amax = vmaxq_f32(amax, vabsq_f32(v[k]));
  }
  const float am = vmaxvq_f32(amax);
  const float d = am / 127.f;
  const float id = am != 0.0f ? 127.f / am : 0.0f;
  StoreF16(d_out, d);
  int32x4_t acc = vdupq_n_s32(0);
  for (int k = 0; k < 8; k += 2) {
    // vcvtnq rounds half to even, as llama.cpp's SIMD activation code does.
    const int32x4_t q0 = vcvtnq_s32_f32(vmulq_n_f32(v[k], id));
    const int32x4_t q1 = vcvtnq_s32_f32(vmulq_n_f32(v[k + 1], id));
    acc = vaddq_s32(acc, vaddq_s32(q0, q1));
    const int16x8_t h = vcombine_s16(vmovn_s32(q0), vmovn_s32(q1));
    vst1_s8(qs + 4 * k, vmovn_s16(h));
  }
  if (sum != nullptr) *sum = vaddvq_s32(acc);
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
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K, y += sizeof(BlockQ8_K)) {
    float32x4_t amax = vdupq_n_f32(0.0f);
    for (int k = 0; k < kQK_K; k += 4) amax = vmaxq_f32(amax, vabsq_f32(vld1q_f32(x + k)));
    const float am = vmaxvq_f32(amax);
    if (am == 0.0f) {
      std::memset(y, 0, sizeof(BlockQ8_K));
      continue;
    }
    float max = 0;  // signed value of the first element of largest magnitude
    for (int k = 0; k < kQK_K; ++k) {
      if ((x[k] < 0 ? -x[k] : x[k]) == am) {
        max = x[k];
        break;
      }
    }
    const float iscale = -127.f / max;
    int8_t* qs = reinterpret_cast<int8_t*>(y + offsetof(BlockQ8_K, qs));
    int16_t bsums[16];
    for (int g = 0; g < 16; ++g) {
      int32x4_t acc = vdupq_n_s32(0);
      for (int k = 0; k < 16; k += 8) {
        const int32x4_t q0 = vminq_s32(
            vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 16 * g + k), iscale)), vdupq_n_s32(127));
        const int32x4_t q1 = vminq_s32(
            vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 16 * g + k + 4), iscale)), vdupq_n_s32(127));
        acc = vaddq_s32(acc, vaddq_s32(q0, q1));
        vst1_s8(qs + 16 * g + k, vmovn_s16(vcombine_s16(vmovn_s32(q0), vmovn_s32(q1))));
      }
      bsums[g] = static_cast<int16_t>(vaddvq_s32(acc));
    }
    std::memcpy(y + offsetof(BlockQ8_K, bsums), bsums, sizeof bsums);
    Store<float>(y, 1 / iscale);
  }
}

void QuantizeF16(const float* x, void* dst, int64_t n) {
  uint8_t* y = static_cast<uint8_t*>(dst);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // FPCR's default rounding is to nearest even, as F32ToF16.
    vst1_u16(reinterpret_cast<uint16_t*>(y + 2 * i),
             vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
  }
  for (; i < n; ++i) StoreF16(y + 2 * i, x[i]);
}

// ------------------------------------------------------------------ float dots

inline float32x4_t LoadF32x4(const uint8_t* p) { return vreinterpretq_f32_u8(vld1q_u8(p)); }
inline float32x4_t LoadF16x4(const uint8_t* p) {
  return vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(p)));
}

template <int NA>
void DotF32N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  float32x4_t acc[NA][2];
  for (int c = 0; c < NA; ++c) acc[c][0] = acc[c][1] = vdupq_n_f32(0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t w0 = LoadF32x4(w + 4 * i), w1 = LoadF32x4(w + 4 * i + 16);
    for (int c = 0; c < NA; ++c) {
      acc[c][0] = vfmaq_f32(acc[c][0], w0, LoadF32x4(a[c] + 4 * i));
      acc[c][1] = vfmaq_f32(acc[c][1], w1, LoadF32x4(a[c] + 4 * i + 16));
    }
  }
  for (int c = 0; c < NA; ++c) {
    float s = vaddvq_f32(vaddq_f32(acc[c][0], acc[c][1]));
    for (int64_t k = i; k < n; ++k) s += Load<float>(w + 4 * k) * Load<float>(a[c] + 4 * k);
    out[c] = s;
  }
}

template <int NA>
void DotF16N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  float32x4_t acc[NA][2];
  for (int c = 0; c < NA; ++c) acc[c][0] = acc[c][1] = vdupq_n_f32(0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t w0 = LoadF16x4(w + 2 * i), w1 = LoadF16x4(w + 2 * i + 8);
    for (int c = 0; c < NA; ++c) {
      acc[c][0] = vfmaq_f32(acc[c][0], w0, LoadF16x4(a[c] + 2 * i));
      acc[c][1] = vfmaq_f32(acc[c][1], w1, LoadF16x4(a[c] + 2 * i + 8));
    }
  }
  for (int c = 0; c < NA; ++c) {
    float s = vaddvq_f32(vaddq_f32(acc[c][0], acc[c][1]));
    for (int64_t k = i; k < n; ++k) s += LoadF16(w + 2 * k) * LoadF16(a[c] + 2 * k);
    out[c] = s;
  }
}

// ------------------------------------------------------------------ legacy blocks

template <int NA>
void DotQ8_0N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  float32x4_t acc[NA];
  for (int c = 0; c < NA; ++c) acc[c] = vdupq_n_f32(0.0f);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ8_0);
    const int8x16_t x0 = vld1q_s8(reinterpret_cast<const int8_t*>(wb + 2));
    const int8x16_t x1 = vld1q_s8(reinterpret_cast<const int8_t*>(wb + 18));
    const float dw = LoadF16(wb);
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_0);
      const int32x4_t s = vaddq_s32(Dot16(x0, vld1q_s8(reinterpret_cast<const int8_t*>(ab + 2))),
                                    Dot16(x1, vld1q_s8(reinterpret_cast<const int8_t*>(ab + 18))));
      acc[c] = vmlaq_n_f32(acc[c], vcvtq_f32_s32(s), dw * LoadF16(ab));
    }
  }
  for (int c = 0; c < NA; ++c) out[c] = vaddvq_f32(acc[c]);
}

template <int NA>
void DotQ4_0N(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  float32x4_t acc[NA];
  for (int c = 0; c < NA; ++c) acc[c] = vdupq_n_f32(0.0f);
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  const int8x16_t eight = vdupq_n_s8(8);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ4_0);
    const uint8x16_t q = vld1q_u8(wb + 2);
    const int8x16_t x0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, m4)), eight);   // elements 0..15
    const int8x16_t x1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);  // 16..31
    const float dw = LoadF16(wb);
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_0);
      const int32x4_t s = vaddq_s32(Dot16(x0, vld1q_s8(reinterpret_cast<const int8_t*>(ab + 2))),
                                    Dot16(x1, vld1q_s8(reinterpret_cast<const int8_t*>(ab + 18))));
      acc[c] = vmlaq_n_f32(acc[c], vcvtq_f32_s32(s), dw * LoadF16(ab));
    }
  }
  for (int c = 0; c < NA; ++c) out[c] = vaddvq_f32(acc[c]);
}

// ------------------------------------------------------------------ K-quants

inline int MinsDotBsums(const uint8_t* mins, const uint8_t* q8k) {
  int16_t bs[16];
  std::memcpy(bs, q8k + offsetof(BlockQ8_K, bsums), sizeof bs);
  int s = 0;
  for (int j = 0; j < 8; ++j) s += mins[j] * (bs[2 * j] + bs[2 * j + 1]);
  return s;
}

template <int NA, bool kFive>
void DotQ45_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  constexpr size_t kBlock = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  constexpr size_t kQs = kFive ? offsetof(BlockQ5_K, qs) : offsetof(BlockQ4_K, qs);
  float sum[NA] = {};
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  const uint8x16_t one = vdupq_n_u8(1);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * kBlock;
    uint8_t sm[16];
    UnpackKScales(wb + 4, sm);
    const float d = LoadF16(wb), dmin = LoadF16(wb + 2);
    int sumi[NA] = {};
    for (int ch = 0; ch < 4; ++ch) {
      for (int half = 0; half < 2; ++half) {  // 16 of the 32 bytes at a time
        const uint8x16_t bytes = vld1q_u8(wb + kQs + 32 * ch + 16 * half);
        uint8x16_t lo = vandq_u8(bytes, m4), hi = vshrq_n_u8(bytes, 4);
        if constexpr (kFive) {
          const uint8x16_t qh = vld1q_u8(wb + offsetof(BlockQ5_K, qh) + 16 * half);
          // vshlq with a negative count shifts right: bit 2ch (lo) and 2ch+1 (hi).
          const uint8x16_t hl =
              vandq_u8(vshlq_u8(qh, vdupq_n_s8(static_cast<int8_t>(-2 * ch))), one);
          const uint8x16_t hh =
              vandq_u8(vshlq_u8(qh, vdupq_n_s8(static_cast<int8_t>(-2 * ch - 1))), one);
          lo = vorrq_u8(lo, vshlq_n_u8(hl, 4));
          hi = vorrq_u8(hi, vshlq_n_u8(hh, 4));
        }
        for (int c = 0; c < NA; ++c) {
          const int8_t* q8 = reinterpret_cast<const int8_t*>(a[c] + b * sizeof(BlockQ8_K) + 4) +
                             64 * ch + 16 * half;
          const int s_lo = vaddvq_s32(Dot16(vreinterpretq_s8_u8(lo), vld1q_s8(q8)));
          const int s_hi = vaddvq_s32(Dot16(vreinterpretq_s8_u8(hi), vld1q_s8(q8 + 32)));
          sumi[c] += sm[2 * ch] * s_lo + sm[2 * ch + 1] * s_hi;
        }
      }
    }
    for (int c = 0; c < NA; ++c) {
      const uint8_t* ab = a[c] + b * sizeof(BlockQ8_K);
      const float dy = Load<float>(ab);
      sum[c] += d * dy * static_cast<float>(sumi[c]) -
                dmin * dy * static_cast<float>(MinsDotBsums(sm + 8, ab));
    }
  }
  for (int c = 0; c < NA; ++c) out[c] = sum[c];
}

template <int NA>
void DotQ4_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotQ45_KN<NA, false>(w, a, n, out);
}
template <int NA>
void DotQ5_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  DotQ45_KN<NA, true>(w, a, n, out);
}

template <int NA>
void DotQ6_KN(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out) {
  float sum[NA] = {};
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  const uint8x16_t m2 = vdupq_n_u8(0x03);
  const int8x16_t m32 = vdupq_n_s8(32);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ6_K);
    const int8_t* sc = reinterpret_cast<const int8_t*>(wb + offsetof(BlockQ6_K, scales));
    const float d = LoadF16(wb + offsetof(BlockQ6_K, d));
    int sumi[NA] = {};
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = wb + offsetof(BlockQ6_K, ql) + 64 * h;
      const uint8_t* qh = wb + offsetof(BlockQ6_K, qh) + 32 * h;
      for (int l = 0; l < 32; l += 16) {  // each 16 is one scale of each of the 4 groups
        const uint8x16_t l0 = vld1q_u8(ql + l), l1 = vld1q_u8(ql + 32 + l);
        const uint8x16_t hb = vld1q_u8(qh + l);
        const int8x16_t q[4] = {
            vsubq_s8(
                vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(hb, m2), 4))),
                m32),
            vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l1, m4),
                                                  vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), m2), 4))),
                     m32),
            vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l0, 4),
                                                  vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), m2), 4))),
                     m32),
            vsubq_s8(
                vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4))),
                m32),
        };
        for (int c = 0; c < NA; ++c) {
          const int8_t* q8 =
              reinterpret_cast<const int8_t*>(a[c] + b * sizeof(BlockQ8_K) + 4) + 128 * h + l;
          for (int g = 0; g < 4; ++g) {
            sumi[c] += sc[8 * h + 2 * g + l / 16] * vaddvq_s32(Dot16(q[g], vld1q_s8(q8 + 32 * g)));
          }
        }
      }
    }
    for (int c = 0; c < NA; ++c) {
      sum[c] += d * Load<float>(a[c] + b * sizeof(BlockQ8_K)) * static_cast<float>(sumi[c]);
    }
  }
  for (int c = 0; c < NA; ++c) out[c] = sum[c];
}

}  // namespace

void AddNeonKernels(KernelTable* t) {
  auto act = [t](TensorType type, QuantizeFn fn) {
    t->quantize_act[static_cast<uint32_t>(type)] = fn;
  };
  act(TensorType::kQ8_0, QuantizeQ8_0);
  act(TensorType::kQ8_1, QuantizeQ8_1);
  act(TensorType::kQ8_K, QuantizeQ8_K);
  act(TensorType::kF16, QuantizeF16);
  Register<DotF32N<1>, DotF32N<4>>(t, TensorType::kF32);
  Register<DotF16N<1>, DotF16N<4>>(t, TensorType::kF16);
  Register<DotQ8_0N<1>, DotQ8_0N<4>>(t, TensorType::kQ8_0);
  Register<DotQ4_0N<1>, DotQ4_0N<4>>(t, TensorType::kQ4_0);
  Register<DotQ4_KN<1>, DotQ4_KN<4>>(t, TensorType::kQ4_K);
  Register<DotQ5_KN<1>, DotQ5_KN<4>>(t, TensorType::kQ5_K);
  Register<DotQ6_KN<1>, DotQ6_KN<4>>(t, TensorType::kQ6_K);
}

}  // namespace md::cpu
