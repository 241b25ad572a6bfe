// Weight and activation formats (../shared/spec/quant.md): conversion of whole rows
// to and from F32, and the dot product of a weight row with an activation row, for
// every supported type. Each function dispatches at run time to the best kernel set
// this CPU has (scalar reference, AVX2, AVX-512, NEON; MOONDREAM_ISA=scalar|avx2|avx512|neon
// forces one; ops/cpu/dispatch.h lists and selects the sets for tests and benchmarks).
// The scalar reference of each lives in quant_reference.cc and is what the SIMD versions
// are tested against.
//
// Rows are `n` elements long; n must be a multiple of the type's block size.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/tensor_type.h"

namespace md {

// Converts n elements of `type` at `src` to F32. Works for every TensorType except the
// integer ones.
void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n);

// Encodes n F32 values as `type`, with the reference algorithm llama.cpp uses without an
// importance matrix (so our files are byte-identical to llama-quantize's).
void QuantizeRow(TensorType type, const float* src, void* dst, int64_t n);

// Whether QuantizeRow can produce `type` (every type above except Q2_K, Q3_K and the
// integer types).
bool CanQuantize(TensorType type);

// The type activations are converted to before a dot product with weights of
// `weight_type`, as llama.cpp's CPU backend does (quant.md 5): Q8_0 for Q4_0/Q5_0/Q8_0,
// Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F16 for F16, BF16 for BF16, F32 for F32.
TensorType ActivationType(TensorType weight_type);

// Converts an activation row to ActivationType(weight_type), SIMD-accelerated, as
// llama.cpp's CPU backend does: for Q8_0/Q8_1 that is d = amax/127 (stored fp16) with
// multiplier 127/amax and rounding half to even (its x86 and ARM code), which differs
// from QuantizeRow's portable reference (1/d, half away from zero) on exact ties; every
// other type is byte-identical to QuantizeRow.
void QuantizeActivationRow(TensorType weight_type, const float* src, void* dst, int64_t n);

// sum_i w[i] * a[i] where w is a row of `weight_type` and a is a row already converted
// with QuantizeActivationRow(weight_type, ...).
float VecDot(TensorType weight_type, const void* w, const void* a, int64_t n);

// Many dot products at once, for matrix products (prefill): for r < nw and c < na,
//   out[c * out_stride + r] = VecDot(weight_type, w + r * w_stride, a + c * a_stride, n)
// with strides in bytes for w and a, in floats for out. Kernels compute tiles of
// several weight rows x several activation rows per pass so each loaded weight block
// is reused across activation rows; callers pick nw and na (e.g. 16..64 weight rows
// per thread, all tokens or a tile of them) and do the threading.
void VecDotRows(TensorType weight_type, int64_t n, const void* w, size_t w_stride, int64_t nw,
                const void* a, size_t a_stride, int64_t na, float* out, size_t out_stride);

}  // namespace md
