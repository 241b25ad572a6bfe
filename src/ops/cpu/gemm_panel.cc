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

namespace {
bool HaveF16c() {
#if defined(__x86_64__) || defined(_M_X64)
  return cpu::ActiveKernelSet() == cpu::KernelSet::kAvx2 ||
         cpu::ActiveKernelSet() == cpu::KernelSet::kAvx512;
#else
  return false;
#endif
}
}  // namespace

RoundF16RowFn ActiveRoundF16Row() {
#if defined(__x86_64__) || defined(_M_X64)
  if (HaveF16c()) return RoundF16RowAvx2;
#endif
  return RoundF16RowScalar;
}

F32ToF16RowFn ActiveF32ToF16Row() {
#if defined(__x86_64__) || defined(_M_X64)
  if (HaveF16c()) return F32ToF16RowAvx2;
#endif
  return F32ToF16RowScalar;
}

F16ToF32RowFn ActiveF16ToF32Row() {
#if defined(__x86_64__) || defined(_M_X64)
  if (HaveF16c()) return F16ToF32RowAvx2;
#endif
  return F16ToF32RowScalar;
}

PanelKernelFn ActivePanelKernel() {
  switch (cpu::ActiveKernelSet()) {
#if defined(__x86_64__) || defined(_M_X64)
    case cpu::KernelSet::kAvx512:
      return PanelKernelAvx512;
    case cpu::KernelSet::kAvx2:
      return PanelKernelAvx2;
#endif
    default:
      return PanelKernelScalar;
  }
}

}  // namespace md
