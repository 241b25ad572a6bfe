// Hyper-parameters of the two Moondream2 GGUF files: the `phi2` text decoder and the
// `clip` vision tower + "mlp" projector (../shared/spec/model-gguf.md parts 1 and 2).
//
// Configs are plain values made by functions (Moondream2TextConfig(), ...) and then
// overridden by the metadata of a file (TextConfigFromGguf, VisionConfigFromGguf), with
// llama.cpp's rules for which keys are required and what absent keys default to.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace md {

class GgufFile;
class GgufWriter;

struct TextConfig {
  int n_vocab = 51200;         // rows of token_embd / output
  int n_embd = 2048;           // phi2.embedding_length
  int n_ff = 8192;             // phi2.feed_forward_length
  int n_layer = 24;            // phi2.block_count
  int n_head = 32;             // phi2.attention.head_count
  int n_head_kv = 32;          // phi2.attention.head_count_kv (defaults to n_head)
  int n_rot = 32;              // phi2.rope.dimension_count: rotated dims per head (NEOX)
  int context_length = 2048;   // phi2.context_length
  float norm_eps = 1e-5f;      // phi2.attention.layer_norm_epsilon
  float rope_freq_base = 10000.0f;  // phi2.rope.freq_base
  int head_dim() const { return n_embd / n_head; }
  int kv_dim() const { return head_dim() * n_head_kv; }
};

struct VisionConfig {
  int image_size = 378;        // clip.vision.image_size (square input)
  int patch_size = 14;         // clip.vision.patch_size
  int n_embd = 1152;           // clip.vision.embedding_length
  int n_ff = 4304;             // clip.vision.feed_forward_length
  int n_head = 16;             // clip.vision.attention.head_count
  int block_count = 28;        // clip.vision.block_count (blocks stored in the file)
  float norm_eps = 1e-6f;      // clip.vision.attention.layer_norm_epsilon
  int projection_dim = 2048;   // clip.vision.projection_dim = projector output width
  int mm_hidden = 8192;        // projector hidden width (mm.0 output; from the tensor)
  bool use_gelu = true;        // clip.use_gelu: tanh GELU (false = quick GELU)
  std::array<float, 3> image_mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std = {0.5f, 0.5f, 0.5f};

  int patches_per_side() const { return image_size / patch_size; }
  int n_patches() const { return patches_per_side() * patches_per_side(); }
  int head_dim() const { return n_embd / n_head; }
  // llama.cpp's llava rule: without clip.vision.feature_layer, projector "mlp" runs
  // all blocks but the last (the Moondream2 converter stored a duplicate last block).
  int blocks_to_run() const { return block_count - 1; }
  int patch_dim() const { return 3 * patch_size * patch_size; }
};

// The real Moondream2 (2024 and 2025-04-14 GGUFs) sizes.
TextConfig Moondream2TextConfig();
VisionConfig Moondream2VisionConfig();

// The tiny fixture sizes (testdata/fixtures/README.md): text 256 wide, 2 blocks, 8 heads,
// MLP 1024, n_rot 16, vocab 1409; vision 64 wide, 3 blocks, 4 heads, MLP 128, proj 256.
TextConfig TinyTextConfig();
VisionConfig TinyVisionConfig();

// Reads a `phi2` file's hyper-parameters. Required as in llama.cpp: context_length,
// embedding_length, block_count, attention.layer_norm_epsilon. n_vocab comes from
// tokenizer.ggml.tokens when present, else from token_embd.weight.
StatusOr<TextConfig> TextConfigFromGguf(const GgufFile& file);

// Reads a `clip` mmproj's hyper-parameters (projector type must be "mlp", vision
// encoder present). mm_hidden is taken from mm.0.weight when present.
StatusOr<VisionConfig> VisionConfigFromGguf(const GgufFile& file);

// Writes the metadata keys a reader above needs (for make-test-model): architecture,
// sizes, eps; not the tokenizer keys.
void WriteTextConfig(const TextConfig& c, GgufWriter& w);
void WriteVisionConfig(const VisionConfig& c, GgufWriter& w);

// Checks the values are usable (positive, divisible, n_rot even and <= head_dim...).
Status ValidateTextConfig(const TextConfig& c);
Status ValidateVisionConfig(const VisionConfig& c);

}  // namespace md
