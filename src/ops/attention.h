// Multi-head scaled dot-product attention over a key/value cache, blocked: each task
// takes one head and a block of queries, computes the score block Q·Kᵀ, softmax, then
// P·V with the F32 panel kernel (keys and values packed once per head), entirely in
// per-thread scratch. Used for the 729-patch vision pass (no mask) and the text prefill
// (causal). A single query (decode) takes the streaming row kernels of
// ops/cpu/attn_rows.h instead.
#pragma once

#include <cstdint>
#include <vector>

#include "common/tensor_type.h"

namespace md {

class ThreadPool;

struct AttentionScratch {
  std::vector<float> buf;    // per-thread slices
  std::vector<float> query;  // F16-rounded decode query
  int64_t per_thread = 0;
  // Sizes the scratch for `threads` threads, up to n_kv keys of head_dim.
  void Reserve(int threads, int64_t max_kv, int head_dim);
};

struct AttentionShape {
  int n_head = 0;
  int n_head_kv = 0;  // heads of K/V; query head h uses kv head h / (n_head / n_head_kv)
  int head_dim = 0;
  float scale = 1.0f;  // applied to the scores before softmax
  bool causal = false;
};

// Keys and values: n positions of F32 or F16 elements; the head_dim values of kv head g
// at position j start at element j * pos_stride + g * head_stride (the same for k and
// v). Position-major rows (a qkv buffer) have head_stride = head_dim; the text KV cache
// is head-major (pos_stride = head_dim), so a head's keys are one contiguous stream.
struct KvView {
  const void* k = nullptr;
  const void* v = nullptr;
  TensorType type = TensorType::kF32;
  int64_t pos_stride = 0;
  int64_t head_stride = 0;
  int64_t n = 0;
};

// q: n_q rows of q_stride floats (head h at h * head_dim). Query i sits at position
// q_pos0 + i; with `causal` it sees keys 0..q_pos0 + i, otherwise all kv.n keys.
// out: n_q rows of out_stride floats. With F16 K/V the queries and probabilities are
// rounded to F16 before their products, as llama.cpp's non-flash CPU path does.
void Attention(const float* q, int64_t q_stride, int64_t n_q, const KvView& kv, int64_t q_pos0,
               const AttentionShape& shape, float* out, int64_t out_stride, ThreadPool& pool,
               AttentionScratch& scratch);

}  // namespace md
