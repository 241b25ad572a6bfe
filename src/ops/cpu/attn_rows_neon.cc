// NEON (AArch64) instantiation of attn_rows_simd.h: 4 lanes, one head of 64 per pass (16
// query registers and 16 accumulators of the 32 vector registers).
#include <arm_neon.h>

#include "ops/cpu/attn_rows_simd.h"

namespace md {
namespace {

struct V128 {
  static constexpr int kWidth = 4;
  using T = float32x4_t;
  static T Zero() { return vdupq_n_f32(0.0f); }
  static T Set1(float x) { return vdupq_n_f32(x); }
  static T Load(const float* p) { return vld1q_f32(p); }
  static T Load(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
  static void Store(float* p, T x) { vst1q_f32(p, x); }
  static T Add(T a, T b) { return vaddq_f32(a, b); }
  static T Sub(T a, T b) { return vsubq_f32(a, b); }
  static T Mul(T a, T b) { return vmulq_f32(a, b); }
  static T Fma(T a, T b, T c) { return vfmaq_f32(c, a, b); }
  static T Max(T a, T b) { return vmaxq_f32(a, b); }
  static float ReduceAdd(T x) { return vaddvq_f32(x); }
  static float ReduceMax(T x) { return vmaxvq_f32(x); }
  static T Round(T x) { return vrndnq_f32(x); }
  static T Pow2(T n) {
    const int32x4_t e = vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
  }
  static T RoundF16(T x) { return vcvt_f32_f16(vcvt_f16_f32(x)); }
};

}  // namespace

void SoftmaxRowNeon(float* x, int64_t n, float scale, bool round_f16) {
  SoftmaxRowT<V128>(x, n, scale, round_f16);
}

void DecodeAttentionNeon(const DecodeAttentionArgs& a, int h0, int h1, float* scratch) {
  DecodeAttentionT<V128, 16, 1>(a, h0, h1, scratch);
}

}  // namespace md
