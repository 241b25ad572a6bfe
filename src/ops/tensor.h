// A read-only view of a weight tensor: ggml dims (ne[0] innermost), element type and a
// pointer to its bytes (usually inside an mmap'd model file; never owned). Ops take
// these for weights; activations are plain float arrays.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/tensor_type.h"

namespace md {

struct Tensor {
  const void* data = nullptr;
  TensorType type = TensorType::kF32;
  int64_t ne[4] = {1, 1, 1, 1};

  bool present() const { return data != nullptr; }
  // A matrix [cols = ne[0], rows = ne[1]*ne[2]*ne[3]]: rows are output features.
  int64_t cols() const { return ne[0]; }
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return RowBytes(type, static_cast<uint64_t>(ne[0])); }
  const uint8_t* row(int64_t r) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(r) * row_bytes();
  }
  // Only for F32 tensors (norms, biases).
  const float* f32() const { return static_cast<const float*>(data); }
};

}  // namespace md
