#include "ops/cpu/attn_rows.h"

#include <algorithm>
#include <cmath>

#include "ops/cpu/dispatch.h"
#include "ops/fp16.h"

namespace md {

void SoftmaxRowScalar(float* x, int64_t n, float scale, bool round_f16) {
  if (n <= 0) return;
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  mx *= scale;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(scale * x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= inv;
    if (round_f16) x[i] = F16ToF32(F32ToF16(x[i]));
  }
}

void DecodeAttentionScalar(const DecodeAttentionArgs& a, int h0, int h1, float* scratch) {
  const int hd = a.head_dim;
  for (int h = h0; h < h1; ++h) {
    const float* q = a.q + static_cast<int64_t>(h) * hd;
    const int64_t col = (h / a.group) * a.head_stride;
    float* p = scratch;
    for (int64_t j = 0; j < a.n_kv; ++j) {
      float s = 0;
      for (int d = 0; d < hd; ++d) {
        const float kd = a.f16 ? F16ToF32(static_cast<const uint16_t*>(a.k)[j * a.pos_stride + col + d])
                               : static_cast<const float*>(a.k)[j * a.pos_stride + col + d];
        s += q[d] * kd;
      }
      p[j] = s;
    }
    SoftmaxRowScalar(p, a.n_kv, a.scale, a.f16);
    float* o = a.out + static_cast<int64_t>(h) * hd;
    std::fill_n(o, hd, 0.0f);
    for (int64_t j = 0; j < a.n_kv; ++j) {
      for (int d = 0; d < hd; ++d) {
        const float vd = a.f16 ? F16ToF32(static_cast<const uint16_t*>(a.v)[j * a.pos_stride + col + d])
                               : static_cast<const float*>(a.v)[j * a.pos_stride + col + d];
        o[d] += p[j] * vd;
      }
    }
  }
}

SoftmaxRowFn ActiveSoftmaxRow() {
  return cpu::PickForActiveSet<SoftmaxRowFn>(SoftmaxRowScalar, MD_X86_KERNEL(SoftmaxRowAvx2),
                                             MD_X86_KERNEL(SoftmaxRowAvx512),
                                             MD_ARM_KERNEL(SoftmaxRowNeon));
}

DecodeAttentionFn ActiveDecodeAttention() {
  return cpu::PickForActiveSet<DecodeAttentionFn>(
      DecodeAttentionScalar, MD_X86_KERNEL(DecodeAttentionAvx2),
      MD_X86_KERNEL(DecodeAttentionAvx512), MD_ARM_KERNEL(DecodeAttentionNeon));
}

}  // namespace md
