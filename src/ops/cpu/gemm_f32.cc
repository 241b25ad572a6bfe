#include "ops/cpu/gemm_f32.h"

#include "ops/cpu/dispatch.h"

namespace md {

void GemmF32Scalar(int64_t n, const float* w, int64_t w_stride, int64_t nw, const float* a,
                   int64_t a_stride, int64_t na, float* out, int64_t out_stride) {
  for (int64_t c = 0; c < na; ++c) {
    const float* ac = a + c * a_stride;
    for (int64_t r = 0; r < nw; ++r) {
      const float* wr = w + r * w_stride;
      // Four partial sums, as SIMD code would keep, to shorten the dependency chain.
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t k = 0;
      for (; k + 4 <= n; k += 4) {
        s0 += wr[k] * ac[k];
        s1 += wr[k + 1] * ac[k + 1];
        s2 += wr[k + 2] * ac[k + 2];
        s3 += wr[k + 3] * ac[k + 3];
      }
      for (; k < n; ++k) s0 += wr[k] * ac[k];
      out[c * out_stride + r] = (s0 + s1) + (s2 + s3);
    }
  }
}

GemmF32Fn ActiveGemmF32() {
  return cpu::PickForActiveSet<GemmF32Fn>(GemmF32Scalar, MD_X86_KERNEL(GemmF32Avx2),
                                          MD_X86_KERNEL(GemmF32Avx512), nullptr);
}

}  // namespace md
