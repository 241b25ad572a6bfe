// F32 × F32 dot-product blocks: the matrix kernel for F32 weights and for attention
// (scores Q·Kᵀ and P·V). Scalar reference plus AVX2 and AVX-512 versions chosen at run
// time with the same MOONDREAM_ISA override as the quant kernels.
#pragma once

#include <cstddef>
#include <cstdint>

namespace md {

// out[c * out_stride + r] = sum_{k<n} w[r * w_stride + k] * a[c * a_stride + k]
// for r < nw, c < na. Strides in floats.
using GemmF32Fn = void (*)(int64_t n, const float* w, int64_t w_stride, int64_t nw,
                           const float* a, int64_t a_stride, int64_t na, float* out,
                           int64_t out_stride);

void GemmF32Scalar(int64_t n, const float* w, int64_t w_stride, int64_t nw, const float* a,
                   int64_t a_stride, int64_t na, float* out, int64_t out_stride);
void GemmF32Avx2(int64_t n, const float* w, int64_t w_stride, int64_t nw, const float* a,
                 int64_t a_stride, int64_t na, float* out, int64_t out_stride);
void GemmF32Avx512(int64_t n, const float* w, int64_t w_stride, int64_t nw, const float* a,
                   int64_t a_stride, int64_t na, float* out, int64_t out_stride);

// The kernel for the active kernel set (cpu::ActiveKernelSet()).
GemmF32Fn ActiveGemmF32();

}  // namespace md
