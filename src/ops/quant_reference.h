// The scalar reference of every weight-format operation (../shared/spec/quant.md 3-5).
// These are the definitions the SIMD kernels are tested against; quant.h dispatches to
// faster versions where they exist. Row lengths must be multiples of the block size.
#pragma once

#include <cstdint>

#include "common/tensor_type.h"

namespace md::ref {

// Whether QuantizeRow supports `type` (everything except Q2_K, Q3_K and integer types).
bool CanQuantize(TensorType type);

void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n);
void QuantizeRow(TensorType type, const float* src, void* dst, int64_t n);

// Converts an activation row to `act_type` (an ActivationType value) as llama.cpp's CPU
// backend does: Q8_0/Q8_1 with the SIMD backends' rounding (multiplier 127/amax, half to
// even), everything else as QuantizeRow.
void QuantizeActivationRow(TensorType act_type, const float* src, void* dst, int64_t n);

// Dot product of a `weight_type` row with an activation row in ActivationType(weight_type).
float VecDot(TensorType weight_type, const void* w, const void* a, int64_t n);

// ggml's nearest_int: round half to even through the 1.5*2^23 trick, including its
// behaviour outside |f| <= 2^22 (so our bytes match for any input).
static inline int NearestInt(float f) {
  float v = f + 12582912.f;
  int i;
  __builtin_memcpy(&i, &v, sizeof i);
  return (i & 0x007FFFFF) - 0x00400000;
}

}  // namespace md::ref
