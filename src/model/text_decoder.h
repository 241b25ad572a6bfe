// The phi2 text decoder of Moondream2 (../shared/spec/model-gguf.md 1.3) with its
// key/value cache: a batch of input rows (token embeddings or image embeddings) at
// consecutive positions goes in, the logits of the last row come out.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/weights.h"
#include "ops/attention.h"
#include "ops/matmul.h"

namespace md {

class ThreadPool;

// Keys (after RoPE) and values of every layer for positions 0..capacity-1, F32 or F16.
// Layout per layer: [n_head_kv, capacity, head_dim] (head-major).
class KvCache {
 public:
  KvCache(const TextConfig& c, int capacity, TensorType type);
  TensorType type() const { return type_; }
  int capacity() const { return capacity_; }
  size_t elem_bytes() const { return type_ == TensorType::kF16 ? 2 : 4; }
  uint8_t* k(int layer) { return k_.get() + layer * layer_bytes_; }
  uint8_t* v(int layer) { return v_.get() + layer * layer_bytes_; }
  const uint8_t* k(int layer) const { return k_.get() + layer * layer_bytes_; }
  const uint8_t* v(int layer) const { return v_.get() + layer * layer_bytes_; }
  // Head-major: kv head g of position j at element g * head_stride() + j * head_dim, so
  // decode streams each head's keys and values contiguously.
  int64_t head_stride() const { return static_cast<int64_t>(capacity_) * head_dim_; }
  int head_dim() const { return head_dim_; }
  int n_head_kv() const { return n_head_kv_; }
  // Stores k and v (n_head_kv * head_dim floats each) at `pos` of `layer`.
  void Store(int layer, int pos, const float* k, const float* v);
  // Bytes reserved (pages are only touched, and so resident, as positions are used).
  size_t memory_bytes() const { return 2 * layer_bytes_ * n_layer_; }
  // Copies positions [0, n) of every layer from `other` (same config and type).
  void CopyPrefix(const KvCache& other, int n);

 private:
  TensorType type_;
  int capacity_;
  int n_layer_;
  int n_head_kv_;
  int head_dim_;
  size_t layer_bytes_;
  // Not value-initialised: untouched pages of a long context cost no memory.
  std::unique_ptr<uint8_t[]> k_, v_;
};

// Copies of block-0 and final tensors for golden tests (llama.cpp's callback names).
struct TextTrace {
  std::vector<float> attn_norm_0;  // [n, E]
  std::vector<float> ffn_out_0;    // [n, E]
  std::vector<float> l_out_0;      // [n, E]
  std::vector<float> l_out_last;   // [E] last row after the last block
  std::vector<float> result_norm;  // [E] last row after output_norm
};

class TextDecoder {
 public:
  // Rows processed per pass; longer inputs are split (results do not depend on it).
  static constexpr int kMaxBatch = 512;

  TextDecoder(const TextModel& model, ThreadPool& pool);

  // x[t] = token_embd row of ids[t], for n ids. Ids must be valid (checked by caller).
  void EmbedTokens(const int32_t* ids, int n, float* x) const;

  // Runs n input rows x [n, E] at positions pos0..pos0+n-1, storing their keys and
  // values in `cache` (pos0 + n <= cache.capacity()). If logits is not null, writes the
  // n_vocab logits of the last row. x is used as scratch (overwritten).
  void Forward(float* x, int n, int pos0, KvCache& cache, float* logits,
               TextTrace* trace = nullptr);

  const TextConfig& config() const { return model_.config; }

 private:
  void Layer(int il, float* x, int n, int pos0, KvCache& cache, TextTrace* trace);

  const TextModel& model_;
  ThreadPool& pool_;
  MatmulScratch mm_;
  AttentionScratch attn_scratch_;
  std::vector<float> h_;     // [B, E]
  std::vector<float> qkv_;   // [B, E + 2 kv]
  std::vector<float> attn_;  // [B, E]
  std::vector<float> out_;   // [B, E]
  std::vector<float> ff_;    // [B, F]
  std::vector<float> ffo_;   // [B, E]
  std::vector<int32_t> pos_;  // [B]
  std::vector<float> last_;  // [E]
};

}  // namespace md
