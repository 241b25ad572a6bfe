// Random-weight Moondream2 model pairs (text + mmproj GGUF) for tests and benchmarks,
// laid out from the one tensor table (tensor_table.h). The real weights cannot be
// downloaded everywhere; these files have the real formats, shapes and quirks, and
// weight scales that keep activations in a healthy range.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "model/config.h"

namespace md {

struct TestModelSpec {
  std::string name;          // goes into file names: moondream2-<name>-text-f16.gguf
  TextConfig text;
  VisionConfig vision;       // projection_dim must equal text.n_embd
  bool f16_matrices = false;  // 2-D+ tensors F16 (norms and biases stay F32), else all F32
  // The 2024 converter's mmproj layout: fc1 stored as ffn_down and fc2 as ffn_up, the
  // position embedding 3-D [n_embd, n_patches, 1], and the last vision block a byte copy
  // of the one before (vision.block_count counts it).
  bool legacy_vision_layout = false;
};

// "tiny": the fixtures' layout (testdata/fixtures/README.md), all F32.
// "full": the real 2024 files' layout and sizes (28 vision blocks, the last a copy), F16.
StatusOr<TestModelSpec> TestModelPreset(const std::string& preset);

struct TestModelOptions {
  uint64_t seed = 1;
  int threads = 0;  // 0: all hardware threads
  // GGUF holding the full Moondream2 vocabulary (testdata/fixtures/tokenizer-moondream2.gguf).
  // Its tokenizer keys are copied for a 51200-token model; smaller vocabularies take its
  // first byte tokens and merges, as the tiny fixture does.
  std::string tokenizer_path;
  bool write_pre = true;  // false: drop tokenizer.ggml.pre, as the 2024 files lack it
  // (tensors done, tensor count, bytes done, total bytes) for each file being written.
  std::function<void(const std::string& file, size_t, size_t, uint64_t, uint64_t)> progress;
};

struct TestModelFiles {
  std::string text;
  std::string mmproj;
};

// Writes the pair into `out_dir` (created if needed), atomically, deterministic in
// `seed` whatever the thread count.
StatusOr<TestModelFiles> WriteTestModel(const TestModelSpec& spec, const std::string& out_dir,
                                        const TestModelOptions& options);

}  // namespace md
