// Every tensor of the two Moondream2 GGUF files, described once
// (../shared/spec/model-gguf.md 1.2 and 2.2). One row per tensor: our field, the GGUF
// name, the official 2024/2025 checkpoint name (for converters), the expected shape from
// the config, required or optional. The same visitor drives loading (weights.cc),
// quantizing, make-test-model and the registry test.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/config.h"
#include "ops/tensor.h"

namespace md {

struct TensorSpec {
  std::string gguf_name;      // "blk.3.attn_qkv.weight"
  std::string official_name;  // "model.text.blocks.3.attn.qkv.weight"; "" when none.
                              // "#q"/"#k"/"#v" = a row third of the official fused qkv.
  std::vector<int64_t> ne;    // expected ggml dims, innermost first. Files may add
                              // trailing 1s (the real mmproj has [1152, 729, 1]).
  bool required = true;
  bool is_matrix = false;     // a 2-D weight a quantizer may convert; the rest stay F32
  int layer = -1;             // block index; -1 for whole-model tensors
  bool unused = false;        // loaded and checked but never run (last vision block)
};

// ---- text decoder (phi2) ----
struct TextLayerWeights {
  Tensor attn_norm_w, attn_norm_b;  // [n_embd]
  Tensor qkv_w;                     // [n_embd, n_embd + 2*kv_dim] fused, rows Q|K|V
  Tensor qkv_b;                     // [n_embd + 2*kv_dim]
  Tensor q_w, k_w, v_w;             // split form: [n_embd, n_embd] / [n_embd, kv_dim]
  Tensor q_b, k_b, v_b;
  Tensor out_w, out_b;              // attn_output [n_embd, n_embd] / [n_embd]
  Tensor up_w, up_b;                // ffn_up [n_embd, n_ff] / [n_ff]
  Tensor down_w, down_b;            // ffn_down [n_ff, n_embd] / [n_embd]
  bool fused_qkv() const { return qkv_w.present(); }
};

struct TextWeights {
  Tensor token_embd;                    // [n_embd, n_vocab]
  Tensor output_norm_w, output_norm_b;  // [n_embd]
  Tensor output_w;                      // [n_embd, n_vocab] (not tied)
  Tensor output_b;                      // [n_vocab]
  std::vector<TextLayerWeights> layers;
};

// ---- vision tower + projector (clip, projector "mlp") ----
struct VisionLayerWeights {
  Tensor ln1_w, ln1_b;                        // [n_embd]
  Tensor q_w, q_b, k_w, k_b, v_w, v_b;        // [n_embd, n_embd] / [n_embd]
  Tensor out_w, out_b;                        // attn_out
  Tensor ln2_w, ln2_b;                        // [n_embd]
  Tensor fc1_w, fc1_b;                        // [n_embd, n_ff] / [n_ff]: applied first
  Tensor fc2_w, fc2_b;                        // [n_ff, n_embd] / [n_embd]
};

struct VisionWeights {
  Tensor patch_w;               // [patch, patch, 3, n_embd] conv kernel (kx, ky, c, out)
  Tensor patch_b;               // [n_embd]
  Tensor pos_embd;              // [n_embd, n_patches(, 1)]
  Tensor post_ln_w, post_ln_b;  // [n_embd]
  Tensor mm0_w, mm0_b;          // [n_embd, mm_hidden] / [mm_hidden]
  Tensor mm2_w, mm2_b;          // [mm_hidden, projection_dim] / [projection_dim]
  std::vector<VisionLayerWeights> layers;  // block_count (the last one is not run)
};

// How a particular file spells its tensors.
struct TensorTableOptions {
  // phi2: separate blk.N.attn_q/attn_k/attn_v instead of the fused attn_qkv.
  bool text_split_qkv = false;
  // mmproj: fc1 stored under ffn_down and fc2 under ffn_up (the 2024 Moondream2
  // converter; llama.cpp detects it by ffn_down.weight.ne[0] == n_embd).
  bool vision_mlp_swapped = false;
  // mmproj: position embedding written 3-D [n_embd, n_patches, 1] (real files).
  bool vision_pos_3d = false;
};

// `field` points into the weights struct given to ForEach*, or is null when none was.
using TensorVisitor = std::function<void(const TensorSpec& spec, Tensor* field)>;

// Visits every text tensor in file order (global tensors, then each block). `weights`
// may be null; if not, its layers are resized to n_layer.
void ForEachTextTensor(const TextConfig& c, const TensorTableOptions& o, TextWeights* weights,
                       const TensorVisitor& visit);

// Visits every vision/projector tensor in file order. `weights` may be null.
void ForEachVisionTensor(const VisionConfig& c, const TensorTableOptions& o,
                         VisionWeights* weights, const TensorVisitor& visit);

// The specs alone, for tests and tools.
std::vector<TensorSpec> TextTensorSpecs(const TextConfig& c, const TensorTableOptions& o = {});
std::vector<TensorSpec> VisionTensorSpecs(const VisionConfig& c,
                                          const TensorTableOptions& o = {});

// True when a file's dims (ne, n_dims) equal the expected ones, ignoring trailing 1s.
bool ShapeMatches(const std::vector<int64_t>& expected, const uint64_t* ne, uint32_t n_dims);

// "[2048, 6144]"
std::string ShapeString(const std::vector<int64_t>& ne);

}  // namespace md
