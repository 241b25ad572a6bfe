// Element types of tensors, with the ggml type ids that GGUF files store
// (../shared/spec/gguf.md 5.2, quant.md). Shared by formats/ (reading, writing) and
// ops/ (kernels): one table of block geometry for the whole project.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace md {

enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,  // activation-side only
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,  // activation-side only
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct TensorTypeInfo {
  TensorType type;
  std::string_view name;  // as llama.cpp prints it: "f32", "q4_K", ...
  uint32_t block_size;    // elements per block
  uint32_t block_bytes;   // bytes per block
  bool quantized;
};

// Geometry of a type id read from a file; nullopt for ids we do not support (removed
// types, IQ*, TQ*, MXFP4, ...). The caller turns nullopt into a clear error.
std::optional<TensorTypeInfo> LookupTensorType(uint32_t ggml_id);

// Same for a known enum value (always succeeds for the values above).
const TensorTypeInfo& TypeInfo(TensorType type);

// Name of any ggml id, also unsupported ones ("iq2_xxs"), or "type#N".
std::string_view GgmlTypeName(uint32_t ggml_id);

// Bytes needed for `n` elements of `type`; n must be a multiple of the block size.
inline uint64_t RowBytes(TensorType type, uint64_t n) {
  const TensorTypeInfo& t = TypeInfo(type);
  return n / t.block_size * t.block_bytes;
}

}  // namespace md
