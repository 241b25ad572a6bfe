#include "ops/cpu/gemm_panel.h"

#include "ops/cpu/dispatch.h"
#include "ops/fp16.h"

namespace md {

void PanelKernelScalar(int64_t k, const float* panel, const float* x, int64_t xs, int64_t n_tok,
                       float* y, int64_t ys, int n_rows) {
  for (int64_t t = 0; t < n_tok; ++t) {
    float acc[kPanelRows] = {};
    const float* xt = x + t * xs;
    for (int64_t i = 0; i < k; ++i) {
      const float a = xt[i];
      const float* p = panel + i * kPanelRows;
      for (int r = 0; r < kPanelRows; ++r) acc[r] += p[r] * a;
    }
    for (int r = 0; r < n_rows; ++r) y[t * ys + r] = acc[r];
  }
}

void RoundF16RowScalar(const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = F16ToF32(F32ToF16(x[i]));
}

void F32ToF16RowScalar(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = F32ToF16(x[i]);
}

void F16ToF32RowScalar(const uint16_t* h, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = F16ToF32(h[i]);
}

// The F16C row helpers serve both x86 sets.
RoundF16RowFn ActiveRoundF16Row() {
  return cpu::PickForActiveSet<RoundF16RowFn>(RoundF16RowScalar, MD_X86_KERNEL(RoundF16RowAvx2),
                                              nullptr, nullptr);
}

F32ToF16RowFn ActiveF32ToF16Row() {
  return cpu::PickForActiveSet<F32ToF16RowFn>(F32ToF16RowScalar, MD_X86_KERNEL(F32ToF16RowAvx2),
                                              nullptr, nullptr);
}

F16ToF32RowFn ActiveF16ToF32Row() {
  return cpu::PickForActiveSet<F16ToF32RowFn>(F16ToF32RowScalar, MD_X86_KERNEL(F16ToF32RowAvx2),
                                              nullptr, nullptr);
}

PanelKernelFn ActivePanelKernel() {
  return cpu::PickForActiveSet<PanelKernelFn>(PanelKernelScalar, MD_X86_KERNEL(PanelKernelAvx2),
                                              MD_X86_KERNEL(PanelKernelAvx512), nullptr);
}

}  // namespace md
