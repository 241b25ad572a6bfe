// Scalar reference of the weight formats: dequantization, the quantizers llama-quantize
// uses without an importance matrix (quant.md 4; every float operation is in the order
// the spec gives, since a different order changes bytes), the activation quantizers
// (quant.md 5.1) and the block-wise dot products (quant.md 5, 5.2).
// Byte-exactness with llama-quantize needs every multiply and add rounded separately:
// no fused multiply-adds (GCC contracts C++ by default wherever the target has FMA, e.g.
// on AArch64, which changed Q4_K/Q5_K bytes there). The GCC pragma comes before every
// include so that all functions of this file, header helpers too, share the option
// (GCC does not inline across differing optimize options).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "ops/quant_reference.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "common/check.h"
#include "ops/cpu/dispatch.h"
#include "ops/quant_blocks.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace md::ref {
namespace {

using namespace md::quant;
using cpu::QuantizeFn;
using cpu::VecDotFn;
using cpu::VecDotRowsFn;

constexpr float kGroupMaxEps = 1e-15f;

// ------------------------------------------------------------------ dequantization

void DequantQ4_0(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ4_0), y += kQK) {
    const float d = LoadF16(src);
    const uint8_t* qs = src + offsetof(BlockQ4_0, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
      y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}

void DequantQ4_1(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ4_1), y += kQK) {
    const float d = LoadF16(src);
    const float m = LoadF16(src + offsetof(BlockQ4_1, m));
    const uint8_t* qs = src + offsetof(BlockQ4_1, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
      y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
    }
  }
}

void DequantQ5_0(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ5_0), y += kQK) {
    const float d = LoadF16(src);
    const uint32_t qh = Load<uint32_t>(src + offsetof(BlockQ5_0, qh));
    const uint8_t* qs = src + offsetof(BlockQ5_0, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      const int x0 = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
      const int x1 = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = static_cast<float>(x0 - 16) * d;
      y[j + 16] = static_cast<float>(x1 - 16) * d;
    }
  }
}

void DequantQ5_1(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ5_1), y += kQK) {
    const float d = LoadF16(src);
    const float m = LoadF16(src + offsetof(BlockQ5_1, m));
    const uint32_t qh = Load<uint32_t>(src + offsetof(BlockQ5_1, qh));
    const uint8_t* qs = src + offsetof(BlockQ5_1, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      const int x0 = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
      const int x1 = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = static_cast<float>(x0) * d + m;
      y[j + 16] = static_cast<float>(x1) * d + m;
    }
  }
}

void DequantQ8_0(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ8_0), y += kQK) {
    const float d = LoadF16(src);
    const int8_t* qs = reinterpret_cast<const int8_t*>(src + offsetof(BlockQ8_0, qs));
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(qs[j]) * d;
  }
}

void DequantQ8_1(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ8_1), y += kQK) {
    const float d = LoadF16(src);
    const int8_t* qs = reinterpret_cast<const int8_t*>(src + offsetof(BlockQ8_1, qs));
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(qs[j]) * d;
  }
}

void DequantQ2_K(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ2_K)) {
    const float d = LoadF16(src + offsetof(BlockQ2_K, d));
    const float dmin = LoadF16(src + offsetof(BlockQ2_K, dmin));
    const uint8_t* scales = src + offsetof(BlockQ2_K, scales);
    const uint8_t* q = src + offsetof(BlockQ2_K, qs);
    int is = 0;
    for (int h = 0; h < 2; ++h, q += 32) {
      for (int s = 0; s < 4; ++s) {
        for (int half = 0; half < 2; ++half) {
          const uint8_t sc = scales[is++];
          const float dl = d * static_cast<float>(sc & 0xF);
          const float ml = dmin * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l) {
            *y++ = dl * static_cast<float>((q[16 * half + l] >> (2 * s)) & 3) - ml;
          }
        }
      }
    }
  }
}

void DequantQ3_K(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ3_K)) {
    const float d_all = LoadF16(src + offsetof(BlockQ3_K, d));
    const uint8_t* hmask = src + offsetof(BlockQ3_K, hmask);
    const uint8_t* scales = src + offsetof(BlockQ3_K, scales);
    const uint8_t* q = src + offsetof(BlockQ3_K, qs);
    int is = 0;
    for (int h = 0; h < 2; ++h, q += 32) {
      for (int s = 0; s < 4; ++s) {
        const uint8_t m = static_cast<uint8_t>(1u << (4 * h + s));
        for (int half = 0; half < 2; ++half) {
          const float dl = d_all * static_cast<float>(Q3KScale(is++, scales));
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            const int low = (q[l] >> (2 * s)) & 3;
            *y++ = dl * static_cast<float>(low - ((hmask[l] & m) ? 0 : 4));
          }
        }
      }
    }
  }
}

void DequantQ4_K(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ4_K)) {
    const float d = LoadF16(src);
    const float dmin = LoadF16(src + offsetof(BlockQ4_K, dmin));
    const uint8_t* scales = src + offsetof(BlockQ4_K, scales);
    const uint8_t* q = src + offsetof(BlockQ4_K, qs);
    for (int c = 0; c < 4; ++c, q += 32) {
      uint8_t sc, mn;
      KScaleMin(2 * c, scales, &sc, &mn);
      const float d1 = d * sc, m1 = dmin * mn;
      KScaleMin(2 * c + 1, scales, &sc, &mn);
      const float d2 = d * sc, m2 = dmin * mn;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void DequantQ5_K(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ5_K)) {
    const float d = LoadF16(src);
    const float dmin = LoadF16(src + offsetof(BlockQ5_K, dmin));
    const uint8_t* scales = src + offsetof(BlockQ5_K, scales);
    const uint8_t* qh = src + offsetof(BlockQ5_K, qh);
    const uint8_t* ql = src + offsetof(BlockQ5_K, qs);
    for (int c = 0; c < 4; ++c, ql += 32) {
      uint8_t sc, mn;
      KScaleMin(2 * c, scales, &sc, &mn);
      const float d1 = d * sc, m1 = dmin * mn;
      KScaleMin(2 * c + 1, scales, &sc, &mn);
      const float d2 = d * sc, m2 = dmin * mn;
      const uint8_t u1 = static_cast<uint8_t>(1u << (2 * c));
      const uint8_t u2 = static_cast<uint8_t>(2u << (2 * c));
      for (int l = 0; l < 32; ++l) {
        *y++ = d1 * static_cast<float>((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
      }
    }
  }
}

void DequantQ6_K(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ6_K)) {
    const float d = LoadF16(src + offsetof(BlockQ6_K, d));
    const uint8_t* ql = src + offsetof(BlockQ6_K, ql);
    const uint8_t* qh = src + offsetof(BlockQ6_K, qh);
    const int8_t* sc = reinterpret_cast<const int8_t*>(src + offsetof(BlockQ6_K, scales));
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32, sc += 8, y += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

void DequantQ8_K(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += sizeof(BlockQ8_K), y += kQK_K) {
    const float d = Load<float>(src);
    const int8_t* qs = reinterpret_cast<const int8_t*>(src + offsetof(BlockQ8_K, qs));
    for (int j = 0; j < kQK_K; ++j) y[j] = d * static_cast<float>(qs[j]);
  }
}

// ------------------------------------------------------------------ quantization

void QuantQ4_0(const float* x, uint8_t* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, dst += sizeof(BlockQ4_0)) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreF16(dst, d);
    uint8_t* qs = dst + offsetof(BlockQ4_0, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[j + 16] * id;
      const uint8_t q0 = std::min<uint8_t>(15, static_cast<int8_t>(x0 + 8.5f));
      const uint8_t q1 = std::min<uint8_t>(15, static_cast<int8_t>(x1 + 8.5f));
      qs[j] = q0 | static_cast<uint8_t>(q1 << 4);
    }
  }
}

void QuantQ4_1(const float* x, uint8_t* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, dst += sizeof(BlockQ4_1)) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreF16(dst, d);
    StoreF16(dst + offsetof(BlockQ4_1, m), min);
    uint8_t* qs = dst + offsetof(BlockQ4_1, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[j + 16] - min) * id;
      const uint8_t q0 = std::min<uint8_t>(15, static_cast<int8_t>(x0 + 0.5f));
      const uint8_t q1 = std::min<uint8_t>(15, static_cast<int8_t>(x1 + 0.5f));
      qs[j] = q0 | static_cast<uint8_t>(q1 << 4);
    }
  }
}

void QuantQ5_0(const float* x, uint8_t* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, dst += sizeof(BlockQ5_0)) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreF16(dst, d);
    uint32_t qh = 0;
    uint8_t* qs = dst + offsetof(BlockQ5_0, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[j + 16] * id;
      const uint8_t q0 = std::min<uint8_t>(31, static_cast<int8_t>(x0 + 16.5f));
      const uint8_t q1 = std::min<uint8_t>(31, static_cast<int8_t>(x1 + 16.5f));
      qs[j] = (q0 & 0x0F) | static_cast<uint8_t>((q1 & 0x0F) << 4);
      qh |= static_cast<uint32_t>((q0 & 0x10) >> 4) << j;
      qh |= static_cast<uint32_t>((q1 & 0x10) >> 4) << (j + 16);
    }
    Store<uint32_t>(dst + offsetof(BlockQ5_0, qh), qh);
  }
}

void QuantQ5_1(const float* x, uint8_t* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, dst += sizeof(BlockQ5_1)) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreF16(dst, d);
    StoreF16(dst + offsetof(BlockQ5_1, m), min);
    uint32_t qh = 0;
    uint8_t* qs = dst + offsetof(BlockQ5_1, qs);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[j + 16] - min) * id;
      const uint8_t q0 = static_cast<uint8_t>(x0 + 0.5f);
      const uint8_t q1 = static_cast<uint8_t>(x1 + 0.5f);
      qs[j] = (q0 & 0x0F) | static_cast<uint8_t>((q1 & 0x0F) << 4);
      qh |= static_cast<uint32_t>((q0 & 0x10) >> 4) << j;
      qh |= static_cast<uint32_t>((q1 & 0x10) >> 4) << (j + 16);
    }
    Store<uint32_t>(dst + offsetof(BlockQ5_1, qh), qh);
  }
}

void QuantQ8_0(const float* x, uint8_t* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, dst += sizeof(BlockQ8_0)) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreF16(dst, d);
    int8_t* qs = reinterpret_cast<int8_t*>(dst + offsetof(BlockQ8_0, qs));
    for (int j = 0; j < kQK; ++j) qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

void QuantQ8_1(const float* x, uint8_t* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, dst += sizeof(BlockQ8_1)) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreF16(dst, d);
    int8_t* qs = reinterpret_cast<int8_t*>(dst + offsetof(BlockQ8_1, qs));
    int sum = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      qs[j] = static_cast<int8_t>(std::round(x[j] * id));
      qs[j + 16] = static_cast<int8_t>(std::round(x[j + 16] * id));
      sum += qs[j] + qs[j + 16];
    }
    StoreF16(dst + offsetof(BlockQ8_1, s), static_cast<float>(sum) * d);
  }
}

// Activation-side Q8_0/Q8_1 as llama.cpp's SIMD backends (x86 AVX/AVX2/AVX-512 and ARM
// NEON) make them: d = amax / 127 stored as fp16, multiplier 127 / amax, rounding half
// to even. The portable reference above (1 / d, half away from zero) differs on exact
// ties, and one flipped level is visible in a small model's logits.
void QuantQ8_0Act(const float* x, uint8_t* dst, int64_t nb, size_t block_bytes, bool with_sum) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, dst += block_bytes) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    StoreF16(dst, d);
    int8_t* qs = reinterpret_cast<int8_t*>(dst + block_bytes - kQK);
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
      qs[j] = static_cast<int8_t>(NearestInt(x[j] * id));
      sum += qs[j];
    }
    if (with_sum) StoreF16(dst + offsetof(BlockQ8_1, s), d * static_cast<float>(sum));
  }
}

void QuantizeActQ8_0(const float* src, void* dst, int64_t n) {
  QuantQ8_0Act(src, static_cast<uint8_t*>(dst), n / kQK, sizeof(BlockQ8_0), false);
}
void QuantizeActQ8_1(const float* src, void* dst, int64_t n) {
  QuantQ8_0Act(src, static_cast<uint8_t*>(dst), n / kQK, sizeof(BlockQ8_1), true);
}

void QuantQ8_K(const float* x, uint8_t* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK_K, dst += sizeof(BlockQ8_K)) {
    float max = 0, amax = 0;
    for (int j = 0; j < kQK_K; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    int8_t* qs = reinterpret_cast<int8_t*>(dst + offsetof(BlockQ8_K, qs));
    uint8_t* bsums = dst + offsetof(BlockQ8_K, bsums);
    if (amax == 0.0f) {
      std::memset(dst, 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQK_K; ++j) {
      qs[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * x[j])));
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += qs[16 * g + l];
      Store<int16_t>(bsums + 2 * g, static_cast<int16_t>(sum));
    }
    Store<float>(dst, 1 / iscale);
  }
}

// quant.md 4.3 make_qx_quants with rmse_type 1 and no external weights. L holds levels
// offset by nmax (0..2*nmax-1).
float MakeQxQuants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
        L[i] = static_cast<int8_t>(nmax + l);
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// quant.md 4.4 make_qkx2_quants (use_mad = false). Returns the scale; *the_min gets the
// non-negative offset.
float MakeQkx2Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                     float* the_min, uint8_t* Laux, float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = static_cast<float>(nmax) / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = NearestInt(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    float diff = scale * static_cast<float>(L[i]) + min - x[i];
    diff = diff * diff;
    best_error += weights[i] * diff;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = NearestInt(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      const float fl = static_cast<float>(l);
      sum_l += w * fl;
      sum_l2 += w * fl * fl;
      sum_xl += w * fl * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float err = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * static_cast<float>(Laux[i]) + this_min - x[i];
        diff = diff * diff;
        err += weights[i] * diff;
      }
      if (err < best_error) {
        std::memcpy(L, Laux, static_cast<size_t>(n));
        best_error = err;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// Shared by Q4_K and Q5_K: per sub-block (scale, min) search, 6-bit packing of the
// scales, and re-quantization against the stored (rounded) values. L gets 0..nmax.
void QuantKScales(const float* x, int nmax, float rmin, int nstep, uint8_t* block_d,
                  uint8_t* block_dmin, uint8_t* packed, uint8_t* L) {
  float weights[32], mins[8], scales[8];
  uint8_t Laux[32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = MakeQkx2Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin,
                               0.1f, nstep);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  std::memset(packed, 0, kKScaleBytes);
  for (int j = 0; j < 8; ++j) {
    // Narrowed to a byte before the clamp, as the reference does.
    uint8_t ls = static_cast<uint8_t>(NearestInt(inv_scale * scales[j]));
    uint8_t lm = static_cast<uint8_t>(NearestInt(inv_min * mins[j]));
    ls = std::min<uint8_t>(63, ls);
    lm = std::min<uint8_t>(63, lm);
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  StoreF16(block_d, max_scale / 63.f);
  StoreF16(block_dmin, max_min / 63.f);
  const float d_stored = LoadF16(block_d);
  const float dmin_stored = LoadF16(block_dmin);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    KScaleMin(j, packed, &sc, &m);
    const float d = d_stored * static_cast<float>(sc);
    if (d == 0.0f) continue;
    const float dm = dmin_stored * static_cast<float>(m);
    for (int ii = 0; ii < 32; ++ii) {
      const int l = NearestInt((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    }
  }
}

void QuantQ4_K(const float* x, uint8_t* dst, int64_t nb) {
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K, dst += sizeof(BlockQ4_K)) {
    QuantKScales(x, 15, -1.f, 20, dst, dst + offsetof(BlockQ4_K, dmin),
                 dst + offsetof(BlockQ4_K, scales), L);
    uint8_t* q = dst + offsetof(BlockQ4_K, qs);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        q[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
      }
    }
  }
}

void QuantQ5_K(const float* x, uint8_t* dst, int64_t nb) {
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K, dst += sizeof(BlockQ5_K)) {
    QuantKScales(x, 31, -0.5f, 15, dst, dst + offsetof(BlockQ5_K, dmin),
                 dst + offsetof(BlockQ5_K, scales), L);
    uint8_t* qh = dst + offsetof(BlockQ5_K, qh);
    uint8_t* ql = dst + offsetof(BlockQ5_K, qs);
    std::memset(qh, 0, kQK_K / 8);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[64 * c + l], l2 = L[64 * c + 32 + l];
        if (l1 > 15) {
          l1 -= 16;
          qh[l] |= static_cast<uint8_t>(1u << (2 * c));
        }
        if (l2 > 15) {
          l2 -= 16;
          qh[l] |= static_cast<uint8_t>(1u << (2 * c + 1));
        }
        ql[32 * c + l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
  }
}

void QuantQ6_K(const float* x, uint8_t* dst, int64_t nb) {
  int8_t L[kQK_K];
  float scales[kQK_K / 16];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K, dst += sizeof(BlockQ6_K)) {
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < kQK_K / 16; ++ib) {
      const float scale = MakeQxQuants(16, 32, x + 16 * ib, L + 16 * ib);
      scales[ib] = scale;
      if (std::fabs(scale) > max_abs_scale) {
        max_abs_scale = std::fabs(scale);
        max_scale = scale;
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(dst, 0, sizeof(BlockQ6_K));
      continue;
    }
    const float iscale = -128.f / max_scale;
    StoreF16(dst + offsetof(BlockQ6_K, d), 1 / iscale);
    int8_t* sc = reinterpret_cast<int8_t*>(dst + offsetof(BlockQ6_K, scales));
    for (int ib = 0; ib < kQK_K / 16; ++ib) {
      sc[ib] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[ib])));
    }
    const float d_stored = LoadF16(dst + offsetof(BlockQ6_K, d));
    for (int j = 0; j < kQK_K / 16; ++j) {
      const float d = d_stored * static_cast<float>(sc[j]);
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        const int l = std::max(-32, std::min(31, NearestInt(x[16 * j + ii] / d)));
        L[16 * j + ii] = static_cast<int8_t>(l + 32);
      }
    }
    uint8_t* ql = dst + offsetof(BlockQ6_K, ql);
    uint8_t* qh = dst + offsetof(BlockQ6_K, qh);
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32) {
      const int8_t* Lh = L + 128 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) |
                                     ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
      }
    }
  }
}

// ------------------------------------------------------------------ dot products

float DotF32(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(Load<float>(x + 4 * i) * Load<float>(y + 4 * i));
  return static_cast<float>(sum);
}

float DotF16(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(LoadF16(x + 2 * i) * LoadF16(y + 2 * i));
  return static_cast<float>(sum);
}

float DotBF16(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    sum += static_cast<double>(BF16ToF32(Load<uint16_t>(x + 2 * i)) *
                               BF16ToF32(Load<uint16_t>(y + 2 * i)));
  }
  return static_cast<float>(sum);
}

float DotQ4_0(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i, x += sizeof(BlockQ4_0), y += sizeof(BlockQ8_0)) {
    const uint8_t* qx = x + offsetof(BlockQ4_0, qs);
    const int8_t* qy = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_0, qs));
    int s = 0;
    for (int j = 0; j < 16; ++j) {
      s += ((qx[j] & 0xF) - 8) * qy[j] + ((qx[j] >> 4) - 8) * qy[j + 16];
    }
    sum += LoadF16(x) * LoadF16(y) * static_cast<float>(s);
  }
  return sum;
}

float DotQ4_1(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i, x += sizeof(BlockQ4_1), y += sizeof(BlockQ8_1)) {
    const uint8_t* qx = x + offsetof(BlockQ4_1, qs);
    const int8_t* qy = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_1, qs));
    int s = 0;
    for (int j = 0; j < 16; ++j) s += (qx[j] & 0xF) * qy[j] + (qx[j] >> 4) * qy[j + 16];
    sum += LoadF16(x) * LoadF16(y) * static_cast<float>(s) +
           LoadF16(x + offsetof(BlockQ4_1, m)) * LoadF16(y + offsetof(BlockQ8_1, s));
  }
  return sum;
}

float DotQ5_0(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i, x += sizeof(BlockQ5_0), y += sizeof(BlockQ8_0)) {
    const uint32_t qh = Load<uint32_t>(x + offsetof(BlockQ5_0, qh));
    const uint8_t* qx = x + offsetof(BlockQ5_0, qs);
    const int8_t* qy = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_0, qs));
    int s = 0;
    for (int j = 0; j < 16; ++j) {
      const int x0 = ((qx[j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
      const int x1 = ((qx[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
      s += x0 * qy[j] + x1 * qy[j + 16];
    }
    sum += LoadF16(x) * LoadF16(y) * static_cast<float>(s);
  }
  return sum;
}

float DotQ5_1(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i, x += sizeof(BlockQ5_1), y += sizeof(BlockQ8_1)) {
    const uint32_t qh = Load<uint32_t>(x + offsetof(BlockQ5_1, qh));
    const uint8_t* qx = x + offsetof(BlockQ5_1, qs);
    const int8_t* qy = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_1, qs));
    int s = 0;
    for (int j = 0; j < 16; ++j) {
      const int x0 = (qx[j] & 0xF) | (((qh >> j) & 1) << 4);
      const int x1 = (qx[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      s += x0 * qy[j] + x1 * qy[j + 16];
    }
    sum += LoadF16(x) * LoadF16(y) * static_cast<float>(s) +
           LoadF16(x + offsetof(BlockQ5_1, m)) * LoadF16(y + offsetof(BlockQ8_1, s));
  }
  return sum;
}

float DotQ8_0(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i, x += sizeof(BlockQ8_0), y += sizeof(BlockQ8_0)) {
    const int8_t* qx = reinterpret_cast<const int8_t*>(x + offsetof(BlockQ8_0, qs));
    const int8_t* qy = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_0, qs));
    int s = 0;
    for (int j = 0; j < kQK; ++j) s += qx[j] * qy[j];
    sum += LoadF16(x) * LoadF16(y) * static_cast<float>(s);
  }
  return sum;
}

const int8_t* Q8KQs(const uint8_t* y) {
  return reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_K, qs));
}
int Q8KBsum(const uint8_t* y, int g) {
  return Load<int16_t>(y + offsetof(BlockQ8_K, bsums) + 2 * g);
}

float DotQ2_K(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i, x += sizeof(BlockQ2_K), y += sizeof(BlockQ8_K)) {
    const uint8_t* sc = x + offsetof(BlockQ2_K, scales);
    const uint8_t* q = x + offsetof(BlockQ2_K, qs);
    const int8_t* q8 = Q8KQs(y);
    int summs = 0;
    for (int j = 0; j < 16; ++j) summs += Q8KBsum(y, j) * (sc[j] >> 4);
    int isum = 0, is = 0;
    for (int h = 0; h < 2; ++h, q += 32) {
      for (int s = 0; s < 4; ++s) {
        for (int half = 0; half < 2; ++half) {
          const int d = sc[is++] & 0xF;
          int isuml = 0;
          for (int l = 16 * half; l < 16 * half + 16; ++l) isuml += q8[l] * ((q[l] >> (2 * s)) & 3);
          isum += d * isuml;
        }
        q8 += 32;
      }
    }
    const float dall = Load<float>(y) * LoadF16(x + offsetof(BlockQ2_K, d));
    const float dmin = Load<float>(y) * LoadF16(x + offsetof(BlockQ2_K, dmin));
    sum += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
  }
  return sum;
}

float DotQ3_K(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i, x += sizeof(BlockQ3_K), y += sizeof(BlockQ8_K)) {
    const uint8_t* hmask = x + offsetof(BlockQ3_K, hmask);
    const uint8_t* scales = x + offsetof(BlockQ3_K, scales);
    const uint8_t* q = x + offsetof(BlockQ3_K, qs);
    const int8_t* q8 = Q8KQs(y);
    int isum = 0, is = 0;
    for (int h = 0; h < 2; ++h, q += 32) {
      for (int s = 0; s < 4; ++s) {
        const int m = 1 << (4 * h + s);
        for (int half = 0; half < 2; ++half) {
          int isuml = 0;
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            const int v = ((q[l] >> (2 * s)) & 3) - ((hmask[l] & m) ? 0 : 4);
            isuml += v * q8[l];
          }
          isum += Q3KScale(is++, scales) * isuml;
        }
        q8 += 32;
      }
    }
    sum += LoadF16(x + offsetof(BlockQ3_K, d)) * Load<float>(y) * static_cast<float>(isum);
  }
  return sum;
}

float DotQ4_K(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i, x += sizeof(BlockQ4_K), y += sizeof(BlockQ8_K)) {
    const uint8_t* scales = x + offsetof(BlockQ4_K, scales);
    const uint8_t* q = x + offsetof(BlockQ4_K, qs);
    const int8_t* q8 = Q8KQs(y);
    int sumi = 0, summ = 0;
    for (int c = 0; c < 4; ++c, q += 32, q8 += 64) {
      uint8_t sc1, mn1, sc2, mn2;
      KScaleMin(2 * c, scales, &sc1, &mn1);
      KScaleMin(2 * c + 1, scales, &sc2, &mn2);
      int s1 = 0, s2 = 0;
      for (int l = 0; l < 32; ++l) {
        s1 += (q[l] & 0xF) * q8[l];
        s2 += (q[l] >> 4) * q8[l + 32];
      }
      sumi += sc1 * s1 + sc2 * s2;
      summ += mn1 * (Q8KBsum(y, 4 * c) + Q8KBsum(y, 4 * c + 1)) +
              mn2 * (Q8KBsum(y, 4 * c + 2) + Q8KBsum(y, 4 * c + 3));
    }
    const float dy = Load<float>(y);
    sum += LoadF16(x) * dy * static_cast<float>(sumi) -
           LoadF16(x + offsetof(BlockQ4_K, dmin)) * dy * static_cast<float>(summ);
  }
  return sum;
}

float DotQ5_K(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i, x += sizeof(BlockQ5_K), y += sizeof(BlockQ8_K)) {
    const uint8_t* scales = x + offsetof(BlockQ5_K, scales);
    const uint8_t* qh = x + offsetof(BlockQ5_K, qh);
    const uint8_t* q = x + offsetof(BlockQ5_K, qs);
    const int8_t* q8 = Q8KQs(y);
    int sumi = 0, summ = 0;
    for (int c = 0; c < 4; ++c, q += 32, q8 += 64) {
      uint8_t sc1, mn1, sc2, mn2;
      KScaleMin(2 * c, scales, &sc1, &mn1);
      KScaleMin(2 * c + 1, scales, &sc2, &mn2);
      int s1 = 0, s2 = 0;
      for (int l = 0; l < 32; ++l) {
        s1 += ((q[l] & 0xF) | (((qh[l] >> (2 * c)) & 1) << 4)) * q8[l];
        s2 += ((q[l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4)) * q8[l + 32];
      }
      sumi += sc1 * s1 + sc2 * s2;
      summ += mn1 * (Q8KBsum(y, 4 * c) + Q8KBsum(y, 4 * c + 1)) +
              mn2 * (Q8KBsum(y, 4 * c + 2) + Q8KBsum(y, 4 * c + 3));
    }
    const float dy = Load<float>(y);
    sum += LoadF16(x) * dy * static_cast<float>(sumi) -
           LoadF16(x + offsetof(BlockQ5_K, dmin)) * dy * static_cast<float>(summ);
  }
  return sum;
}

float DotQ6_K(const void* w, const void* a, int64_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(w);
  const uint8_t* y = static_cast<const uint8_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i, x += sizeof(BlockQ6_K), y += sizeof(BlockQ8_K)) {
    const uint8_t* ql = x + offsetof(BlockQ6_K, ql);
    const uint8_t* qh = x + offsetof(BlockQ6_K, qh);
    const int8_t* sc = reinterpret_cast<const int8_t*>(x + offsetof(BlockQ6_K, scales));
    const int8_t* q8 = Q8KQs(y);
    int isum = 0;
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32, sc += 8, q8 += 128) {
      int s[8] = {};
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        s[is + 0] += q1 * q8[l];
        s[is + 2] += q2 * q8[l + 32];
        s[is + 4] += q3 * q8[l + 64];
        s[is + 6] += q4 * q8[l + 96];
      }
      for (int j = 0; j < 8; ++j) isum += sc[j] * s[j];
    }
    sum += LoadF16(x + offsetof(BlockQ6_K, d)) * Load<float>(y) * static_cast<float>(isum);
  }
  return sum;
}

void ConvertF16(const float* src, void* dst, int64_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) StoreF16(d + 2 * i, src[i]);
}
void ConvertBF16(const float* src, void* dst, int64_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) Store<uint16_t>(d + 2 * i, F32ToBF16(src[i]));
}
void ConvertF32(const float* src, void* dst, int64_t n) {
  if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

template <void (*Fn)(const float*, uint8_t*, int64_t), int kBlock>
void QuantizeBlocks(const float* src, void* dst, int64_t n) {
  Fn(src, static_cast<uint8_t*>(dst), n / kBlock);
}

template <VecDotFn Dot>
void DotRowsGeneric(int64_t n, const void* w, size_t w_stride, int64_t nw, const void* a,
                    size_t a_stride, int64_t na, float* out, size_t out_stride) {
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  for (int64_t c = 0; c < na; ++c) {
    for (int64_t r = 0; r < nw; ++r) {
      out[c * out_stride + r] = Dot(wb + r * w_stride, ab + c * a_stride, n);
    }
  }
}

}  // namespace

bool CanQuantize(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ8_0:
    case TensorType::kQ8_1:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
    case TensorType::kQ8_K:
      return true;
    default:
      return false;
  }
}

void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n) {
  const uint8_t* s = static_cast<const uint8_t*>(src);
  const int64_t nb32 = n / kQK, nbk = n / kQK_K;
  switch (type) {
    case TensorType::kF32:
      if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = LoadF16(s + 2 * i);
      return;
    case TensorType::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = BF16ToF32(Load<uint16_t>(s + 2 * i));
      return;
    case TensorType::kQ4_0:
      return DequantQ4_0(s, dst, nb32);
    case TensorType::kQ4_1:
      return DequantQ4_1(s, dst, nb32);
    case TensorType::kQ5_0:
      return DequantQ5_0(s, dst, nb32);
    case TensorType::kQ5_1:
      return DequantQ5_1(s, dst, nb32);
    case TensorType::kQ8_0:
      return DequantQ8_0(s, dst, nb32);
    case TensorType::kQ8_1:
      return DequantQ8_1(s, dst, nb32);
    case TensorType::kQ2_K:
      return DequantQ2_K(s, dst, nbk);
    case TensorType::kQ3_K:
      return DequantQ3_K(s, dst, nbk);
    case TensorType::kQ4_K:
      return DequantQ4_K(s, dst, nbk);
    case TensorType::kQ5_K:
      return DequantQ5_K(s, dst, nbk);
    case TensorType::kQ6_K:
      return DequantQ6_K(s, dst, nbk);
    case TensorType::kQ8_K:
      return DequantQ8_K(s, dst, nbk);
    default:
      MD_CHECK_MSG(false, "DequantizeRow: unsupported type");
  }
}

void QuantizeRow(TensorType type, const float* src, void* dst, int64_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  const int64_t nb32 = n / kQK, nbk = n / kQK_K;
  switch (type) {
    case TensorType::kF32:
      return ConvertF32(src, dst, n);
    case TensorType::kF16:
      return ConvertF16(src, dst, n);
    case TensorType::kBF16:
      return ConvertBF16(src, dst, n);
    case TensorType::kQ4_0:
      return QuantQ4_0(src, d, nb32);
    case TensorType::kQ4_1:
      return QuantQ4_1(src, d, nb32);
    case TensorType::kQ5_0:
      return QuantQ5_0(src, d, nb32);
    case TensorType::kQ5_1:
      return QuantQ5_1(src, d, nb32);
    case TensorType::kQ8_0:
      return QuantQ8_0(src, d, nb32);
    case TensorType::kQ8_1:
      return QuantQ8_1(src, d, nb32);
    case TensorType::kQ4_K:
      return QuantQ4_K(src, d, nbk);
    case TensorType::kQ5_K:
      return QuantQ5_K(src, d, nbk);
    case TensorType::kQ6_K:
      return QuantQ6_K(src, d, nbk);
    case TensorType::kQ8_K:
      return QuantQ8_K(src, d, nbk);
    default:
      MD_CHECK_MSG(false, "QuantizeRow: unsupported type");
  }
}

void QuantizeActivationRow(TensorType act_type, const float* src, void* dst, int64_t n) {
  switch (act_type) {
    case TensorType::kQ8_0:
      return QuantizeActQ8_0(src, dst, n);
    case TensorType::kQ8_1:
      return QuantizeActQ8_1(src, dst, n);
    default:
      return QuantizeRow(act_type, src, dst, n);
  }
}

float VecDot(TensorType weight_type, const void* w, const void* a, int64_t n) {
  static const cpu::KernelTable table = [] {
    cpu::KernelTable k;
    cpu::AddScalarKernels(&k);
    return k;
  }();
  const cpu::VecDotFn fn = table.vec_dot[static_cast<uint32_t>(weight_type)];
  MD_CHECK_MSG(fn != nullptr, "VecDot: unsupported weight type");
  return fn(w, a, n);
}

}  // namespace md::ref

namespace md::cpu {

void AddScalarKernels(KernelTable* t) {
  using namespace md::ref;
  auto set = [t](TensorType type, VecDotFn dot, VecDotRowsFn rows) {
    t->vec_dot[static_cast<uint32_t>(type)] = dot;
    t->vec_dot_rows[static_cast<uint32_t>(type)] = rows;
  };
  set(TensorType::kF32, DotF32, DotRowsGeneric<DotF32>);
  set(TensorType::kF16, DotF16, DotRowsGeneric<DotF16>);
  set(TensorType::kBF16, DotBF16, DotRowsGeneric<DotBF16>);
  set(TensorType::kQ4_0, DotQ4_0, DotRowsGeneric<DotQ4_0>);
  set(TensorType::kQ4_1, DotQ4_1, DotRowsGeneric<DotQ4_1>);
  set(TensorType::kQ5_0, DotQ5_0, DotRowsGeneric<DotQ5_0>);
  set(TensorType::kQ5_1, DotQ5_1, DotRowsGeneric<DotQ5_1>);
  set(TensorType::kQ8_0, DotQ8_0, DotRowsGeneric<DotQ8_0>);
  set(TensorType::kQ2_K, DotQ2_K, DotRowsGeneric<DotQ2_K>);
  set(TensorType::kQ3_K, DotQ3_K, DotRowsGeneric<DotQ3_K>);
  set(TensorType::kQ4_K, DotQ4_K, DotRowsGeneric<DotQ4_K>);
  set(TensorType::kQ5_K, DotQ5_K, DotRowsGeneric<DotQ5_K>);
  set(TensorType::kQ6_K, DotQ6_K, DotRowsGeneric<DotQ6_K>);
  auto act = [t](TensorType type, QuantizeFn fn) {
    t->quantize_act[static_cast<uint32_t>(type)] = fn;
  };
  act(TensorType::kF32, ConvertF32);
  act(TensorType::kF16, ConvertF16);
  act(TensorType::kBF16, ConvertBF16);
  act(TensorType::kQ8_0, QuantizeActQ8_0);
  act(TensorType::kQ8_1, QuantizeActQ8_1);
  act(TensorType::kQ8_K, QuantizeBlocks<QuantQ8_K, kQK_K>);
}

}  // namespace md::cpu
