// `moondream quantize`: rewriting a GGUF model with smaller weight types, choosing the
// type of each tensor with llama.cpp's current rules (../shared/spec/quant.md 6-7, the
// "current" column), so our files match llama-quantize's tensor for tensor.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/tensor_type.h"
#include "formats/gguf.h"

namespace md {

enum class QuantPreset { kQ4_K_M, kQ5_K_M, kQ8_0, kQ4_0, kF16, kBF16 };

// "Q4_K_M", "q4_k_m", ... (case-insensitive); nullopt for anything else.
std::optional<QuantPreset> ParseQuantPreset(std::string_view name);
// "Q4_K_M" etc.
std::string_view QuantPresetName(QuantPreset preset);
// All preset names, comma-separated, for help and error messages.
std::string QuantPresetList();
// The llama_ftype written to general.file_type (Q4_0 2, Q8_0 7, Q4_K_M 15, ...).
uint32_t QuantPresetFileType(QuantPreset preset);

struct TensorQuantPlan {
  size_t index;  // position of the tensor in the input file
  std::string name;
  TensorType from;
  TensorType to;
};

// The output type of every tensor of `in`, in llama-quantize's output order (tensors
// outside blocks first, then block by block, each group sorted by name). Errors for presets a file
// kind does not support (mmproj: F16 and Q8_0 only) and for inputs that are already
// quantized.
StatusOr<std::vector<TensorQuantPlan>> PlanQuantization(const GgufFile& in, QuantPreset preset);

struct QuantizeOptions {
  int threads = 0;  // 0: every hardware thread
  // Called after each tensor: (tensors done, tensor count, bytes done, total bytes).
  std::function<void(size_t, size_t, uint64_t, uint64_t)> progress;
};

// Reads `in_path`, writes `out_path` atomically with every metadata key kept
// (general.file_type and general.quantization_version = 2 set as llama-quantize does).
// Refuses to overwrite the input.
Status QuantizeGguf(const std::string& in_path, const std::string& out_path, QuantPreset preset,
                    const QuantizeOptions& options = {});

// Converts `nrows` rows of `ncols` elements from `from` to `to` on `threads` threads.
// `from` must be F32, F16 or BF16, or equal to `to` (a copy).
void ConvertRows(TensorType from, const uint8_t* src, TensorType to, uint8_t* dst, int64_t nrows,
                 int64_t ncols, int threads);

}  // namespace md
