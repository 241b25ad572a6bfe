#include "model/vision_encoder.h"

#include <algorithm>
#include <cmath>

#include "ops/ops.h"
#include "ops/thread_pool.h"

namespace md {

namespace {

// x * sigmoid(1.702 x): the activation llama.cpp uses when clip.use_gelu is false.
void QuickGeluInPlace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-1.702f * x[i]));
}

}  // namespace

VisionEncoder::VisionEncoder(const VisionModel& model, ThreadPool& pool)
    : model_(model), pool_(pool) {
  const VisionConfig& c = model.config;
  const size_t n = c.n_patches();
  const size_t e = c.n_embd;
  patches_.resize(n * c.patch_dim());
  x_.resize(n * e);
  h_.resize(n * e);
  q_.resize(n * e);
  k_.resize(n * e);
  v_.resize(n * e);
  attn_.resize(n * e);
  proj_.resize(n * e);
  ff_.resize(n * std::max(c.n_ff, c.mm_hidden));
  const VisionWeights& w = model.weights;
  for (const Tensor* t : {&w.patch_w, &w.mm0_w, &w.mm2_w}) mm_.Reserve(t->type, t->cols(), n);
  for (const VisionLayerWeights& l : w.layers) {
    for (const Tensor* t : {&l.q_w, &l.out_w, &l.fc1_w, &l.fc2_w}) {
      mm_.Reserve(t->type, t->cols(), n);
    }
  }
  attn_scratch_.Reserve(pool.size(), n, c.head_dim());
}

void VisionEncoder::Block(const VisionLayerWeights& w, bool trace0, VisionTrace* trace) {
  const VisionConfig& c = model_.config;
  const int64_t n = c.n_patches(), e = c.n_embd, f = c.n_ff;
  // h = ln1(x)
  LayerNorm(x_.data(), n, e, w.ln1_w.f32(), w.ln1_b.f32(), c.norm_eps, h_.data(), &pool_);
  if (trace0) trace->layer_inp_normed_0 = h_;
  // q, k, v = Wq h + bq, ...
  MatMul(w.q_w, w.q_b.f32(), h_.data(), e, n, q_.data(), e, pool_, mm_);
  MatMul(w.k_w, w.k_b.f32(), h_.data(), e, n, k_.data(), e, pool_, mm_);
  MatMul(w.v_w, w.v_b.f32(), h_.data(), e, n, v_.data(), e, pool_, mm_);
  // attn = softmax(q kᵀ / sqrt(head_dim)) v over all patches (no mask)
  AttentionShape shape;
  shape.n_head = shape.n_head_kv = c.n_head;
  shape.head_dim = c.head_dim();
  shape.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim()));
  shape.causal = false;
  KvView kv;
  kv.k = k_.data();
  kv.v = v_.data();
  kv.type = TensorType::kF32;
  kv.pos_stride = e;
  kv.head_stride = c.head_dim();
  kv.n = n;
  Attention(q_.data(), e, n, kv, 0, shape, attn_.data(), e, pool_, attn_scratch_);
  // x = x + attn_out(attn)
  MatMul(w.out_w, w.out_b.f32(), attn_.data(), e, n, proj_.data(), e, pool_, mm_);
  if (trace0) trace->attn_out_0 = proj_;
  AddInPlace(x_.data(), proj_.data(), n * e);
  // x = x + fc2(gelu(fc1(ln2(x))))
  LayerNorm(x_.data(), n, e, w.ln2_w.f32(), w.ln2_b.f32(), c.norm_eps, h_.data(), &pool_);
  MatMul(w.fc1_w, w.fc1_b.f32(), h_.data(), e, n, ff_.data(), f, pool_, mm_);
  if (c.use_gelu) {
    GeluInPlace(ff_.data(), n * f, &pool_);
  } else {
    QuickGeluInPlace(ff_.data(), n * f);
  }
  MatMul(w.fc2_w, w.fc2_b.f32(), ff_.data(), f, n, proj_.data(), e, pool_, mm_);
  if (trace0) trace->ffn_out_0 = proj_;
  AddInPlace(x_.data(), proj_.data(), n * e);
  if (trace) trace->layer_out.push_back(x_);
}

void VisionEncoder::Encode(const float* image, float* out, VisionTrace* trace) {
  const VisionConfig& c = model_.config;
  const VisionWeights& w = model_.weights;
  const int64_t n = c.n_patches(), e = c.n_embd, s = c.image_size, p = c.patch_size;
  const int64_t side = c.patches_per_side(), k = c.patch_dim();
  // Patches in row-major patch order, each laid out (channel, ky, kx) like the kernel.
  for (int64_t py = 0; py < side; ++py) {
    for (int64_t px = 0; px < side; ++px) {
      float* dst = patches_.data() + (py * side + px) * k;
      for (int64_t ch = 0; ch < 3; ++ch) {
        for (int64_t ky = 0; ky < p; ++ky) {
          const float* src = image + ch * s * s + (py * p + ky) * s + px * p;
          std::copy(src, src + p, dst + ch * p * p + ky * p);
        }
      }
    }
  }
  // e_p = W_patch f_p + b (F16 kernel, F16-rounded patches: ggml's im2col conv)
  MatMul(w.patch_w, w.patch_b.f32(), patches_.data(), k, n, x_.data(), e, pool_, mm_);
  if (trace) trace->patch_bias = x_;
  // x_p = e_p + pos[p]
  AddInPlace(x_.data(), w.pos_embd.f32(), n * e);
  for (int b = 0; b < c.blocks_to_run(); ++b) Block(w.layers[b], trace && b == 0, trace);
  // post LayerNorm, then the projector: mm.2(GELU(mm.0 x))
  LayerNorm(x_.data(), n, e, w.post_ln_w.f32(), w.post_ln_b.f32(), c.norm_eps, h_.data(), &pool_);
  const int64_t hid = c.mm_hidden;
  MatMul(w.mm0_w, w.mm0_b.f32(), h_.data(), e, n, ff_.data(), hid, pool_, mm_);
  GeluInPlace(ff_.data(), n * hid, &pool_);
  MatMul(w.mm2_w, w.mm2_b.f32(), ff_.data(), hid, n, out, c.projection_dim, pool_, mm_);
}

}  // namespace md
