#include "model/config.h"

#include <string>

#include "formats/gguf.h"

namespace md {

TextConfig Moondream2TextConfig() { return TextConfig{}; }
VisionConfig Moondream2VisionConfig() { return VisionConfig{}; }

TextConfig TinyTextConfig() {
  TextConfig c;
  c.n_vocab = 1409;
  c.n_embd = 256;
  c.n_ff = 1024;
  c.n_layer = 2;
  c.n_head = 8;
  c.n_head_kv = 8;
  c.n_rot = 16;
  return c;
}

VisionConfig TinyVisionConfig() {
  VisionConfig c;
  c.n_embd = 64;
  c.n_ff = 128;
  c.n_head = 4;
  c.block_count = 3;
  c.projection_dim = 256;
  c.mm_hidden = 256;
  return c;
}

namespace {

// Reads a required u32 key into *out as int.
Status ReadRequiredU32(const GgufFile& f, std::string_view key, int* out) {
  StatusOr<uint32_t> v = f.GetU32(key);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kNotFound) {
      return InvalidArgument(f.path() + ": required key " + std::string(key) + " is missing");
    }
    return v.status().WithContext(f.path());
  }
  if (*v > (1u << 30)) {
    return InvalidArgument(f.path() + ": key " + std::string(key) + " = " + std::to_string(*v) +
                           " is out of range");
  }
  *out = static_cast<int>(*v);
  return Status::Ok();
}

Status ReadOptionalU32(const GgufFile& f, std::string_view key, int* out) {
  StatusOr<uint32_t> v = f.GetU32Or(key, static_cast<uint32_t>(*out));
  if (!v.ok()) return v.status().WithContext(f.path());
  if (*v > (1u << 30)) {
    return InvalidArgument(f.path() + ": key " + std::string(key) + " = " + std::to_string(*v) +
                           " is out of range");
  }
  *out = static_cast<int>(*v);
  return Status::Ok();
}

}  // namespace

StatusOr<TextConfig> TextConfigFromGguf(const GgufFile& f) {
  MD_ASSIGN_OR_RETURN(std::string arch, f.GetString("general.architecture"));
  if (arch != "phi2") {
    return InvalidArgument(f.path() + ": general.architecture is \"" + arch +
                           "\", expected \"phi2\" (the Moondream2 text model)");
  }
  TextConfig c = Moondream2TextConfig();
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "phi2.context_length", &c.context_length));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "phi2.embedding_length", &c.n_embd));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "phi2.block_count", &c.n_layer));
  MD_RETURN_IF_ERROR(ReadOptionalU32(f, "phi2.feed_forward_length", &c.n_ff));
  MD_RETURN_IF_ERROR(ReadOptionalU32(f, "phi2.attention.head_count", &c.n_head));
  c.n_head_kv = c.n_head;
  MD_RETURN_IF_ERROR(ReadOptionalU32(f, "phi2.attention.head_count_kv", &c.n_head_kv));
  // Without the key llama.cpp rotates the whole head.
  c.n_rot = c.n_head > 0 ? c.n_embd / c.n_head : 0;
  MD_RETURN_IF_ERROR(ReadOptionalU32(f, "phi2.rope.dimension_count", &c.n_rot));
  StatusOr<float> eps = f.GetF32("phi2.attention.layer_norm_epsilon");
  if (!eps.ok()) {
    if (eps.status().code() == StatusCode::kNotFound) {
      return InvalidArgument(f.path() +
                             ": required key phi2.attention.layer_norm_epsilon is missing");
    }
    return eps.status().WithContext(f.path());
  }
  c.norm_eps = *eps;
  MD_ASSIGN_OR_RETURN(c.rope_freq_base, f.GetF32Or("phi2.rope.freq_base", 10000.0f));
  if (const GgufKv* kv = f.FindKv("tokenizer.ggml.tokens"); kv != nullptr) {
    c.n_vocab = static_cast<int>(kv->value.count);
  } else if (const GgufTensorInfo* t = f.FindTensor("token_embd.weight"); t != nullptr) {
    c.n_vocab = static_cast<int>(t->ne[1]);
  }
  MD_RETURN_IF_ERROR(ValidateTextConfig(c).WithContext(f.path()));
  return c;
}

StatusOr<VisionConfig> VisionConfigFromGguf(const GgufFile& f) {
  MD_ASSIGN_OR_RETURN(std::string arch, f.GetString("general.architecture"));
  if (arch != "clip") {
    return InvalidArgument(f.path() + ": general.architecture is \"" + arch +
                           "\", expected \"clip\" (a vision projector / mmproj file)");
  }
  MD_ASSIGN_OR_RETURN(bool has_vision, f.GetBoolOr("clip.has_vision_encoder", false));
  if (!has_vision) {
    return InvalidArgument(f.path() + ": clip.has_vision_encoder is not true");
  }
  std::string projector;
  if (StatusOr<std::string> p = f.GetString("clip.projector_type"); p.ok()) {
    projector = *p;
  } else if (StatusOr<std::string> p2 = f.GetString("clip.vision.projector_type"); p2.ok()) {
    projector = *p2;
  } else {
    // Files from before the key existed are llava "mlp" projectors.
    projector = "mlp";
  }
  if (projector != "mlp") {
    return Unsupported(f.path() + ": clip.projector_type \"" + projector +
                       "\" is not supported (Moondream2 uses \"mlp\")");
  }
  VisionConfig c = Moondream2VisionConfig();
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "clip.vision.image_size", &c.image_size));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "clip.vision.patch_size", &c.patch_size));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "clip.vision.embedding_length", &c.n_embd));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "clip.vision.feed_forward_length", &c.n_ff));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "clip.vision.attention.head_count", &c.n_head));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "clip.vision.block_count", &c.block_count));
  MD_RETURN_IF_ERROR(ReadRequiredU32(f, "clip.vision.projection_dim", &c.projection_dim));
  StatusOr<float> eps = f.GetF32("clip.vision.attention.layer_norm_epsilon");
  if (!eps.ok()) {
    return InvalidArgument(f.path() + ": key clip.vision.attention.layer_norm_epsilon: " +
                           eps.status().message());
  }
  c.norm_eps = *eps;
  MD_ASSIGN_OR_RETURN(c.use_gelu, f.GetBoolOr("clip.use_gelu", false));
  if (f.FindKv("clip.vision.image_grid_pinpoints") != nullptr) {
    return Unsupported(f.path() +
                       ": clip.vision.image_grid_pinpoints (LLaVA-1.6 tiling) is not supported");
  }
  for (const char* key : {"clip.vision.image_mean", "clip.vision.image_std"}) {
    StatusOr<std::vector<float>> v = f.GetF32Array(key);
    if (!v.ok()) {
      return InvalidArgument(f.path() + ": key " + key + ": " + v.status().message());
    }
    if (v->size() != 3) {
      return InvalidArgument(f.path() + ": key " + key + " has " + std::to_string(v->size()) +
                             " values, expected 3");
    }
    auto& dst = std::string_view(key) == "clip.vision.image_mean" ? c.image_mean : c.image_std;
    for (int i = 0; i < 3; ++i) dst[i] = (*v)[i];
  }
  if (const GgufTensorInfo* t = f.FindTensor("mm.0.weight"); t != nullptr) {
    c.mm_hidden = static_cast<int>(t->ne[1]);
  }
  MD_RETURN_IF_ERROR(ValidateVisionConfig(c).WithContext(f.path()));
  return c;
}

Status ValidateTextConfig(const TextConfig& c) {
  auto bad = [](const std::string& what) { return InvalidArgument("bad text config: " + what); };
  if (c.n_vocab <= 0 || c.n_embd <= 0 || c.n_ff <= 0 || c.n_layer <= 0 || c.n_head <= 0 ||
      c.n_head_kv <= 0 || c.context_length <= 0) {
    return bad("sizes must be positive");
  }
  if (c.n_embd % c.n_head != 0) return bad("embedding_length not divisible by head_count");
  if (c.n_head % c.n_head_kv != 0) return bad("head_count not divisible by head_count_kv");
  if (c.n_rot < 0 || c.n_rot > c.head_dim() || c.n_rot % 2 != 0) {
    return bad("rope.dimension_count " + std::to_string(c.n_rot) +
               " must be even and at most the head size " + std::to_string(c.head_dim()));
  }
  if (!(c.norm_eps > 0) || !(c.rope_freq_base > 0)) return bad("eps and rope base must be > 0");
  if (c.n_embd > (1 << 16) || c.n_ff > (1 << 18) || c.n_layer > 256 || c.n_vocab > (1 << 22) ||
      c.context_length > (1 << 20)) {
    return bad("sizes are implausibly large");
  }
  return Status::Ok();
}

Status ValidateVisionConfig(const VisionConfig& c) {
  auto bad = [](const std::string& what) {
    return InvalidArgument("bad vision config: " + what);
  };
  if (c.image_size <= 0 || c.patch_size <= 0 || c.n_embd <= 0 || c.n_ff <= 0 || c.n_head <= 0 ||
      c.block_count < 2 || c.projection_dim <= 0 || c.mm_hidden <= 0) {
    return bad("sizes must be positive (and at least 2 blocks)");
  }
  if (c.image_size % c.patch_size != 0) return bad("image_size not divisible by patch_size");
  if (c.n_embd % c.n_head != 0) return bad("embedding_length not divisible by head_count");
  if (!(c.norm_eps > 0)) return bad("layer_norm_epsilon must be > 0");
  if (c.image_size > 4096 || c.n_embd > (1 << 16) || c.n_ff > (1 << 18) || c.block_count > 256 ||
      c.mm_hidden > (1 << 18) || c.projection_dim > (1 << 16)) {
    return bad("sizes are implausibly large");
  }
  for (int i = 0; i < 3; ++i) {
    if (!(c.image_std[i] != 0)) return bad("image_std must be non-zero");
  }
  return Status::Ok();
}

void WriteTextConfig(const TextConfig& c, GgufWriter& w) {
  w.SetString("general.architecture", "phi2");
  w.SetU32("phi2.context_length", c.context_length);
  w.SetU32("phi2.embedding_length", c.n_embd);
  w.SetU32("phi2.feed_forward_length", c.n_ff);
  w.SetU32("phi2.block_count", c.n_layer);
  w.SetU32("phi2.attention.head_count", c.n_head);
  w.SetU32("phi2.attention.head_count_kv", c.n_head_kv);
  w.SetF32("phi2.attention.layer_norm_epsilon", c.norm_eps);
  w.SetU32("phi2.rope.dimension_count", c.n_rot);
  if (c.rope_freq_base != 10000.0f) w.SetF32("phi2.rope.freq_base", c.rope_freq_base);
}

void WriteVisionConfig(const VisionConfig& c, GgufWriter& w) {
  w.SetString("general.architecture", "clip");
  w.SetString("clip.projector_type", "mlp");
  w.SetBool("clip.has_text_encoder", false);
  w.SetBool("clip.has_vision_encoder", true);
  w.SetBool("clip.has_llava_projector", true);
  w.SetBool("clip.use_gelu", c.use_gelu);
  w.SetU32("clip.vision.image_size", c.image_size);
  w.SetU32("clip.vision.patch_size", c.patch_size);
  w.SetU32("clip.vision.embedding_length", c.n_embd);
  w.SetU32("clip.vision.feed_forward_length", c.n_ff);
  w.SetU32("clip.vision.projection_dim", c.projection_dim);
  w.SetU32("clip.vision.block_count", c.block_count);
  w.SetU32("clip.vision.attention.head_count", c.n_head);
  w.SetF32("clip.vision.attention.layer_norm_epsilon", c.norm_eps);
  w.SetF32Array("clip.vision.image_mean", {c.image_mean[0], c.image_mean[1], c.image_mean[2]});
  w.SetF32Array("clip.vision.image_std", {c.image_std[0], c.image_std[1], c.image_std[2]});
}

}  // namespace md
