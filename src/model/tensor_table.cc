#include "model/tensor_table.h"

#include <algorithm>
#include <string>

namespace md {

namespace {

std::string Blk(int n, const char* suffix) { return "blk." + std::to_string(n) + "." + suffix; }
std::string VBlk(int n, const char* suffix) {
  return "v.blk." + std::to_string(n) + "." + suffix;
}
std::string TextOfficial(int n, const char* suffix) {
  return "model.text.blocks." + std::to_string(n) + "." + suffix;
}
std::string VisionOfficial(int n, const char* suffix) {
  return "model.vision.blocks." + std::to_string(n) + "." + suffix;
}

// Adds one row, handing the visitor the field (or null when there is no weights struct).
struct Emitter {
  const TensorVisitor& visit;
  void operator()(std::string gguf, std::string official, std::vector<int64_t> ne, Tensor* field,
                  int layer = -1, bool required = true, bool unused = false) const {
    TensorSpec s;
    s.gguf_name = std::move(gguf);
    s.official_name = std::move(official);
    s.is_matrix = ne.size() >= 2;
    s.ne = std::move(ne);
    s.layer = layer;
    s.required = required;
    s.unused = unused;
    visit(s, field);
  }
};

template <typename T>
Tensor* F(T* weights, Tensor T::*member) {
  return weights ? &(weights->*member) : nullptr;
}

}  // namespace

void ForEachTextTensor(const TextConfig& c, const TensorTableOptions& o, TextWeights* w,
                       const TensorVisitor& visit) {
  Emitter emit{visit};
  const int64_t e = c.n_embd, ff = c.n_ff, v = c.n_vocab, kv = c.kv_dim();
  emit("token_embd.weight", "model.text.wte", {e, v}, F(w, &TextWeights::token_embd));
  emit("output_norm.weight", "model.text.post_ln.weight", {e}, F(w, &TextWeights::output_norm_w));
  emit("output_norm.bias", "model.text.post_ln.bias", {e}, F(w, &TextWeights::output_norm_b));
  emit("output.weight", "model.text.lm_head.weight", {e, v}, F(w, &TextWeights::output_w));
  emit("output.bias", "model.text.lm_head.bias", {v}, F(w, &TextWeights::output_b));
  if (w) w->layers.resize(c.n_layer);
  for (int n = 0; n < c.n_layer; ++n) {
    TextLayerWeights* l = w ? &w->layers[n] : nullptr;
    using L = TextLayerWeights;
    emit(Blk(n, "attn_norm.weight"), TextOfficial(n, "ln.weight"), {e}, F(l, &L::attn_norm_w), n);
    emit(Blk(n, "attn_norm.bias"), TextOfficial(n, "ln.bias"), {e}, F(l, &L::attn_norm_b), n);
    if (!o.text_split_qkv) {
      emit(Blk(n, "attn_qkv.weight"), TextOfficial(n, "attn.qkv.weight"), {e, e + 2 * kv},
           F(l, &L::qkv_w), n);
      emit(Blk(n, "attn_qkv.bias"), TextOfficial(n, "attn.qkv.bias"), {e + 2 * kv},
           F(l, &L::qkv_b), n);
    } else {
      emit(Blk(n, "attn_q.weight"), TextOfficial(n, "attn.qkv.weight#q"), {e, e}, F(l, &L::q_w), n);
      emit(Blk(n, "attn_q.bias"), TextOfficial(n, "attn.qkv.bias#q"), {e}, F(l, &L::q_b), n);
      emit(Blk(n, "attn_k.weight"), TextOfficial(n, "attn.qkv.weight#k"), {e, kv}, F(l, &L::k_w), n);
      emit(Blk(n, "attn_k.bias"), TextOfficial(n, "attn.qkv.bias#k"), {kv}, F(l, &L::k_b), n);
      emit(Blk(n, "attn_v.weight"), TextOfficial(n, "attn.qkv.weight#v"), {e, kv}, F(l, &L::v_w), n);
      emit(Blk(n, "attn_v.bias"), TextOfficial(n, "attn.qkv.bias#v"), {kv}, F(l, &L::v_b), n);
    }
    emit(Blk(n, "attn_output.weight"), TextOfficial(n, "attn.proj.weight"), {e, e},
         F(l, &L::out_w), n);
    emit(Blk(n, "attn_output.bias"), TextOfficial(n, "attn.proj.bias"), {e}, F(l, &L::out_b), n);
    emit(Blk(n, "ffn_up.weight"), TextOfficial(n, "mlp.fc1.weight"), {e, ff}, F(l, &L::up_w), n);
    emit(Blk(n, "ffn_up.bias"), TextOfficial(n, "mlp.fc1.bias"), {ff}, F(l, &L::up_b), n);
    emit(Blk(n, "ffn_down.weight"), TextOfficial(n, "mlp.fc2.weight"), {ff, e}, F(l, &L::down_w),
         n);
    emit(Blk(n, "ffn_down.bias"), TextOfficial(n, "mlp.fc2.bias"), {e}, F(l, &L::down_b), n);
  }
}

void ForEachVisionTensor(const VisionConfig& c, const TensorTableOptions& o, VisionWeights* w,
                         const TensorVisitor& visit) {
  Emitter emit{visit};
  const int64_t e = c.n_embd, ff = c.n_ff, p = c.patch_size, np = c.n_patches();
  using W = VisionWeights;
  emit("v.patch_embd.weight", "model.vision.patch_emb.weight", {p, p, 3, e}, F(w, &W::patch_w));
  emit("v.patch_embd.bias", "model.vision.patch_emb.bias", {e}, F(w, &W::patch_b));
  std::vector<int64_t> pos_ne = {e, np};
  if (o.vision_pos_3d) pos_ne.push_back(1);
  emit("v.position_embd.weight", "model.vision.pos_emb", pos_ne, F(w, &W::pos_embd));
  // The official 2025 fc1 is [8192, 2304] (global + pooled local features); GGUF files
  // runnable by llama.cpp hold a 1152-wide one, which is what we require.
  emit("mm.0.weight", "model.vision.proj_mlp.fc1.weight", {e, c.mm_hidden}, F(w, &W::mm0_w));
  emit("mm.0.bias", "model.vision.proj_mlp.fc1.bias", {c.mm_hidden}, F(w, &W::mm0_b));
  emit("mm.2.weight", "model.vision.proj_mlp.fc2.weight", {c.mm_hidden, c.projection_dim},
       F(w, &W::mm2_w));
  emit("mm.2.bias", "model.vision.proj_mlp.fc2.bias", {c.projection_dim}, F(w, &W::mm2_b));
  emit("v.post_ln.weight", "model.vision.post_ln.weight", {e}, F(w, &W::post_ln_w));
  emit("v.post_ln.bias", "model.vision.post_ln.bias", {e}, F(w, &W::post_ln_b));
  if (w) w->layers.resize(c.block_count);
  const char* fc1_name = o.vision_mlp_swapped ? "ffn_down" : "ffn_up";
  const char* fc2_name = o.vision_mlp_swapped ? "ffn_up" : "ffn_down";
  for (int n = 0; n < c.block_count; ++n) {
    VisionLayerWeights* l = w ? &w->layers[n] : nullptr;
    using L = VisionLayerWeights;
    const bool unused = n == c.blocks_to_run();
    auto row = [&](std::string gguf, std::string official, std::vector<int64_t> ne, Tensor* f) {
      emit(std::move(gguf), unused ? std::string() : std::move(official), std::move(ne), f, n,
           true, unused);
    };
    row(VBlk(n, "ln1.weight"), VisionOfficial(n, "ln1.weight"), {e}, F(l, &L::ln1_w));
    row(VBlk(n, "ln1.bias"), VisionOfficial(n, "ln1.bias"), {e}, F(l, &L::ln1_b));
    row(VBlk(n, "attn_q.weight"), VisionOfficial(n, "attn.qkv.weight#q"), {e, e}, F(l, &L::q_w));
    row(VBlk(n, "attn_q.bias"), VisionOfficial(n, "attn.qkv.bias#q"), {e}, F(l, &L::q_b));
    row(VBlk(n, "attn_k.weight"), VisionOfficial(n, "attn.qkv.weight#k"), {e, e}, F(l, &L::k_w));
    row(VBlk(n, "attn_k.bias"), VisionOfficial(n, "attn.qkv.bias#k"), {e}, F(l, &L::k_b));
    row(VBlk(n, "attn_v.weight"), VisionOfficial(n, "attn.qkv.weight#v"), {e, e}, F(l, &L::v_w));
    row(VBlk(n, "attn_v.bias"), VisionOfficial(n, "attn.qkv.bias#v"), {e}, F(l, &L::v_b));
    row(VBlk(n, "attn_out.weight"), VisionOfficial(n, "attn.proj.weight"), {e, e},
        F(l, &L::out_w));
    row(VBlk(n, "attn_out.bias"), VisionOfficial(n, "attn.proj.bias"), {e}, F(l, &L::out_b));
    row(VBlk(n, "ln2.weight"), VisionOfficial(n, "ln2.weight"), {e}, F(l, &L::ln2_w));
    row(VBlk(n, "ln2.bias"), VisionOfficial(n, "ln2.bias"), {e}, F(l, &L::ln2_b));
    row(VBlk(n, (std::string(fc1_name) + ".weight").c_str()), VisionOfficial(n, "mlp.fc1.weight"),
        {e, ff}, F(l, &L::fc1_w));
    row(VBlk(n, (std::string(fc1_name) + ".bias").c_str()), VisionOfficial(n, "mlp.fc1.bias"),
        {ff}, F(l, &L::fc1_b));
    row(VBlk(n, (std::string(fc2_name) + ".weight").c_str()), VisionOfficial(n, "mlp.fc2.weight"),
        {ff, e}, F(l, &L::fc2_w));
    row(VBlk(n, (std::string(fc2_name) + ".bias").c_str()), VisionOfficial(n, "mlp.fc2.bias"),
        {e}, F(l, &L::fc2_b));
  }
}

std::vector<TensorSpec> TextTensorSpecs(const TextConfig& c, const TensorTableOptions& o) {
  std::vector<TensorSpec> out;
  ForEachTextTensor(c, o, nullptr, [&](const TensorSpec& s, Tensor*) { out.push_back(s); });
  return out;
}

std::vector<TensorSpec> VisionTensorSpecs(const VisionConfig& c, const TensorTableOptions& o) {
  std::vector<TensorSpec> out;
  ForEachVisionTensor(c, o, nullptr, [&](const TensorSpec& s, Tensor*) { out.push_back(s); });
  return out;
}

bool ShapeMatches(const std::vector<int64_t>& expected, const uint64_t* ne, uint32_t n_dims) {
  const size_t n = std::max<size_t>(expected.size(), n_dims);
  for (size_t i = 0; i < n && i < 4; ++i) {
    const uint64_t want = i < expected.size() ? static_cast<uint64_t>(expected[i]) : 1;
    const uint64_t have = i < n_dims ? ne[i] : 1;
    if (want != have) return false;
  }
  return n <= 4;
}

std::string ShapeString(const std::vector<int64_t>& ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(ne[i]);
  }
  return s + "]";
}

}  // namespace md
