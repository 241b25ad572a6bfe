// The SigLIP vision tower and the "mlp" projector of Moondream2's mmproj
// (../shared/spec/model-gguf.md 2.3): 729 patch embeddings of the text width per picture.
#pragma once

#include <vector>

#include "model/weights.h"
#include "ops/attention.h"
#include "ops/matmul.h"

namespace md {

class ThreadPool;

// Copies of intermediate tensors for golden tests (llama.cpp's callback names).
struct VisionTrace {
  std::vector<float> patch_bias;          // [N, E] patch embedding + bias
  std::vector<float> layer_inp_normed_0;  // [N, E] block 0 ln1
  std::vector<float> attn_out_0;          // [N, E] block 0 attention after attn_out
  std::vector<float> ffn_out_0;           // [N, E] block 0 MLP output
  std::vector<std::vector<float>> layer_out;  // [N, E] residual after each block
};

class VisionEncoder {
 public:
  // Allocates all scratch once; `model` and `pool` must outlive the encoder.
  VisionEncoder(const VisionModel& model, ThreadPool& pool);

  // image: [3, S, S] normalized planar pixels (S = image_size). out: [n_patches,
  // projection_dim] row-major. trace may be null.
  void Encode(const float* image, float* out, VisionTrace* trace = nullptr);

  int n_patches() const { return model_.config.n_patches(); }
  int out_dim() const { return model_.config.projection_dim; }

 private:
  void Block(const VisionLayerWeights& w, bool trace_block0, VisionTrace* trace);

  const VisionModel& model_;
  ThreadPool& pool_;
  MatmulScratch mm_;
  AttentionScratch attn_scratch_;
  // Activations, N = n_patches rows.
  std::vector<float> patches_;  // [N, 3*p*p]
  std::vector<float> x_;        // [N, E] residual stream
  std::vector<float> h_;        // [N, E] normed
  std::vector<float> q_, k_, v_;  // [N, E]
  std::vector<float> attn_;     // [N, E]
  std::vector<float> proj_;     // [N, E]
  std::vector<float> ff_;       // [N, max(n_ff, mm_hidden)]
};

}  // namespace md
