// What `moondream info` reports about a GGUF file: the container, the architecture's
// hyper-parameters (with llama.cpp's defaults for absent keys, marked as such), the
// tokenizer, the known Moondream2 layout quirks, every tensor and the totals.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "formats/gguf.h"

namespace md {

// Describes a parsed file. Never fails on a valid GGUF: anything that would stop the
// engine from loading it (missing/extra/misshapen tensors, bad hyper-parameters) goes
// into the "problems" array. Keys of the result:
//   file, file_size, gguf_version, alignment, data_offset, kv_count, tensor_count,
//   architecture, kind ("text" | "projector" | "other"), name, description,
//   file_type {id, name}, quantization_version,
//   hyperparameters [{key, value, source: "file" | "default" | "derived", note}],
//   tokenizer {model, pre, tokens, merges, token_types{...}, special{...}, add_bos,
//              add_eos, chat_template} (absent when the file has no vocabulary),
//   quirks [string], problems [string],
//   tensors [{name, type, shape, bytes, offset}] (offset: absolute byte in the file),
//   types [{type, tensors, parameters, bytes}],
//   totals {parameters, bytes, bits_per_weight}.
nlohmann::json DescribeGguf(const GgufFile& file);

// Human-readable rendering of DescribeGguf's result; `with_tensors` adds the table.
std::string FormatModelInfo(const nlohmann::json& info, bool with_tensors = true);

// llama.cpp's name for a general.file_type value: 15 -> "MOSTLY_Q4_K_M".
std::string FileTypeName(uint32_t ftype);

}  // namespace md
