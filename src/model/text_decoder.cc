#include "model/text_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/cpu/gemm_panel.h"
#include "ops/fp16.h"
#include "ops/ops.h"
#include "ops/quant.h"
#include "ops/thread_pool.h"

namespace md {

KvCache::KvCache(const TextConfig& c, int capacity, TensorType type)
    : type_(type),
      capacity_(capacity),
      n_layer_(c.n_layer),
      n_head_kv_(c.n_head_kv),
      head_dim_(c.head_dim()) {
  MD_CHECK(type == TensorType::kF32 || type == TensorType::kF16);
  layer_bytes_ = static_cast<size_t>(capacity) * n_head_kv_ * head_dim_ * elem_bytes();
  k_.reset(new uint8_t[layer_bytes_ * n_layer_]);
  v_.reset(new uint8_t[layer_bytes_ * n_layer_]);
}

void KvCache::CopyPrefix(const KvCache& other, int n) {
  MD_CHECK(other.type_ == type_ && other.n_head_kv_ == n_head_kv_ &&
           other.head_dim_ == head_dim_ && other.n_layer_ == n_layer_);
  MD_CHECK(n <= capacity_ && n <= other.capacity_);
  const size_t bytes = static_cast<size_t>(n) * head_dim_ * elem_bytes();
  const size_t dst_head = head_stride() * elem_bytes(), src_head = other.head_stride() * elem_bytes();
  for (int l = 0; l < n_layer_; ++l) {
    for (int g = 0; g < n_head_kv_; ++g) {
      std::memcpy(k(l) + g * dst_head, other.k(l) + g * src_head, bytes);
      std::memcpy(v(l) + g * dst_head, other.v(l) + g * src_head, bytes);
    }
  }
}

void KvCache::Store(int layer, int pos, const float* kr, const float* vr) {
  MD_CHECK(pos >= 0 && pos < capacity_);
  const F32ToF16RowFn to_f16 = ActiveF32ToF16Row();
  for (int g = 0; g < n_head_kv_; ++g) {
    const size_t at = static_cast<size_t>(g) * head_stride() + static_cast<size_t>(pos) * head_dim_;
    const float* ks = kr + g * head_dim_;
    const float* vs = vr + g * head_dim_;
    if (type_ == TensorType::kF16) {
      to_f16(ks, reinterpret_cast<uint16_t*>(k(layer)) + at, head_dim_);
      to_f16(vs, reinterpret_cast<uint16_t*>(v(layer)) + at, head_dim_);
    } else {
      std::memcpy(reinterpret_cast<float*>(k(layer)) + at, ks, head_dim_ * sizeof(float));
      std::memcpy(reinterpret_cast<float*>(v(layer)) + at, vs, head_dim_ * sizeof(float));
    }
  }
}

TextDecoder::TextDecoder(const TextModel& model, ThreadPool& pool) : model_(model), pool_(pool) {
  const TextConfig& c = model.config;
  const size_t b = kMaxBatch, e = c.n_embd;
  h_.resize(b * e);
  qkv_.resize(b * (e + 2 * c.kv_dim()));
  attn_.resize(b * e);
  out_.resize(b * e);
  ff_.resize(b * c.n_ff);
  ffo_.resize(b * e);
  pos_.resize(b);
  last_.resize(e);
  const TextWeights& w = model.weights;
  mm_.Reserve(w.output_w.type, w.output_w.cols(), 1);
  for (const TextLayerWeights& l : w.layers) {
    for (const Tensor* t : {&l.qkv_w, &l.q_w, &l.k_w, &l.v_w, &l.out_w, &l.up_w, &l.down_w}) {
      if (t->present()) mm_.Reserve(t->type, t->cols(), kMaxBatch);
    }
  }
  attn_scratch_.Reserve(pool.size(), c.context_length, c.head_dim());
}

void TextDecoder::EmbedTokens(const int32_t* ids, int n, float* x) const {
  const Tensor& t = model_.weights.token_embd;
  const int64_t e = model_.config.n_embd;
  for (int i = 0; i < n; ++i) DequantizeRow(t.type, t.row(ids[i]), x + i * e, e);
}

void TextDecoder::Layer(int il, float* x, int n, int pos0, KvCache& cache, TextTrace* trace) {
  const TextConfig& c = model_.config;
  const TextLayerWeights& w = model_.weights.layers[il];
  const int64_t e = c.n_embd, kv = c.kv_dim(), f = c.n_ff, qs = e + 2 * kv;
  const int hd = c.head_dim();
  const bool trace0 = trace != nullptr && il == 0;
  // h = LN(x)
  LayerNorm(x, n, e, w.attn_norm_w.f32(), w.attn_norm_b.f32(), c.norm_eps, h_.data(), &pool_);
  if (trace0) trace->attn_norm_0.insert(trace->attn_norm_0.end(), h_.begin(), h_.begin() + n * e);
  // q | k | v = W_qkv h + b
  float* qkv = qkv_.data();
  if (w.fused_qkv()) {
    MatMul(w.qkv_w, w.qkv_b.f32(), h_.data(), e, n, qkv, qs, pool_, mm_);
  } else {
    MatMul(w.q_w, w.q_b.f32(), h_.data(), e, n, qkv, qs, pool_, mm_);
    MatMul(w.k_w, w.k_b.f32(), h_.data(), e, n, qkv + e, qs, pool_, mm_);
    MatMul(w.v_w, w.v_b.f32(), h_.data(), e, n, qkv + e + kv, qs, pool_, mm_);
  }
  // RoPE (NEOX, first n_rot dims of each head) on q and k; q *= 1/sqrt(head_dim)
  for (int i = 0; i < n; ++i) pos_[i] = pos0 + i;
  RopeNeox(qkv, n, qs, c.n_head, hd, c.n_rot, pos_.data(), c.rope_freq_base);
  RopeNeox(qkv + e, n, qs, c.n_head_kv, hd, c.n_rot, pos_.data(), c.rope_freq_base);
  const float q_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int i = 0; i < n; ++i) {
    float* q = qkv + i * qs;
    for (int64_t d = 0; d < e; ++d) q[d] *= q_scale;
  }
  // Store k, v at their positions.
  for (int i = 0; i < n; ++i) {
    const float* kr = qkv + i * qs + e;
    cache.Store(il, pos0 + i, kr, kr + kv);
  }
  // Causal attention over positions 0..pos0+n-1.
  AttentionShape shape;
  shape.n_head = c.n_head;
  shape.n_head_kv = c.n_head_kv;
  shape.head_dim = hd;
  shape.scale = 1.0f;
  shape.causal = true;
  KvView view;
  view.k = cache.k(il);
  view.v = cache.v(il);
  view.type = cache.type();
  view.pos_stride = hd;
  view.head_stride = cache.head_stride();
  view.n = pos0 + n;
  Attention(qkv, qs, n, view, pos0, shape, attn_.data(), e, pool_, attn_scratch_);
  // attn_out = W_o attn + b_o
  MatMul(w.out_w, w.out_b.f32(), attn_.data(), e, n, out_.data(), e, pool_, mm_);
  // ffn = W_down GELU(W_up h + b_up) + b_down (same h: parallel block)
  MatMul(w.up_w, w.up_b.f32(), h_.data(), e, n, ff_.data(), f, pool_, mm_);
  GeluInPlace(ff_.data(), n * f, &pool_);
  MatMul(w.down_w, w.down_b.f32(), ff_.data(), f, n, ffo_.data(), e, pool_, mm_);
  if (trace0) trace->ffn_out_0.insert(trace->ffn_out_0.end(), ffo_.begin(), ffo_.begin() + n * e);
  // x = (attn_out + ffn) + x, in ggml's order
  for (int64_t i = 0; i < n * e; ++i) x[i] = (out_[i] + ffo_[i]) + x[i];
  if (trace0) trace->l_out_0.insert(trace->l_out_0.end(), x, x + n * e);
}

void TextDecoder::Forward(float* x, int n, int pos0, KvCache& cache, float* logits,
                          TextTrace* trace) {
  const TextConfig& c = model_.config;
  const int64_t e = c.n_embd;
  MD_CHECK(pos0 >= 0 && pos0 + n <= cache.capacity());
  if (trace) *trace = TextTrace();
  // Split long inputs: each chunk sees the keys of the chunks before it.
  for (int start = 0; start < n; start += kMaxBatch) {
    const int m = std::min(kMaxBatch, n - start);
    float* xc = x + static_cast<int64_t>(start) * e;
    for (int il = 0; il < c.n_layer; ++il) {
      Layer(il, xc, m, pos0 + start, cache, trace);
    }
  }
  if (n <= 0) return;
  const float* xl = x + static_cast<int64_t>(n - 1) * e;
  if (trace) trace->l_out_last.assign(xl, xl + e);
  if (logits == nullptr) return;
  const TextWeights& w = model_.weights;
  LayerNorm(xl, 1, e, w.output_norm_w.f32(), w.output_norm_b.f32(), c.norm_eps, last_.data());
  if (trace) trace->result_norm = last_;
  MatMul(w.output_w, w.output_b.f32(), last_.data(), e, 1, logits, c.n_vocab, pool_, mm_);
}

}  // namespace md
