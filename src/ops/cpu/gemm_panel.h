// The batched F32 kernel for F32 and F16 weights (vision tower, prefill): weights are
// packed into panels of kPanelRows rows interleaved by k ([K][kPanelRows] floats, F16
// widened exactly), then each step of k loads the panel's row slice once and multiplies
// it with broadcast activations of up to 6 tokens held in 12 (AVX-512) accumulators.
#pragma once

#include <cstdint>

namespace md {

inline constexpr int kPanelRows = 32;

// y[t * y_stride + r] = sum_k panel[k * kPanelRows + r] * x[t * x_stride + k]
// for t < n_tok, r < n_rows (<= kPanelRows).
using PanelKernelFn = void (*)(int64_t k, const float* panel, const float* x, int64_t x_stride,
                               int64_t n_tok, float* y, int64_t y_stride, int n_rows);

void PanelKernelScalar(int64_t k, const float* panel, const float* x, int64_t x_stride,
                       int64_t n_tok, float* y, int64_t y_stride, int n_rows);
void PanelKernelAvx2(int64_t k, const float* panel, const float* x, int64_t x_stride,
                     int64_t n_tok, float* y, int64_t y_stride, int n_rows);
void PanelKernelAvx512(int64_t k, const float* panel, const float* x, int64_t x_stride,
                       int64_t n_tok, float* y, int64_t y_stride, int n_rows);

// The kernel of the active kernel set.
PanelKernelFn ActivePanelKernel();

// out[i] = f32(f16(x[i])) (round to nearest even), out[i] = f16(x[i]) and
// out[i] = f32(h[i]): row helpers for the F16 paths, F16C-accelerated where the kernel
// set has it.
using RoundF16RowFn = void (*)(const float* x, float* out, int64_t n);
using F32ToF16RowFn = void (*)(const float* x, uint16_t* out, int64_t n);
using F16ToF32RowFn = void (*)(const uint16_t* h, float* out, int64_t n);
void RoundF16RowScalar(const float* x, float* out, int64_t n);
void F32ToF16RowScalar(const float* x, uint16_t* out, int64_t n);
void F16ToF32RowScalar(const uint16_t* h, float* out, int64_t n);
void RoundF16RowAvx2(const float* x, float* out, int64_t n);
void F32ToF16RowAvx2(const float* x, uint16_t* out, int64_t n);
void F16ToF32RowAvx2(const uint16_t* h, float* out, int64_t n);
RoundF16RowFn ActiveRoundF16Row();
F32ToF16RowFn ActiveF32ToF16Row();
F16ToF32RowFn ActiveF16ToF32Row();

}  // namespace md
