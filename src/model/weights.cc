#include "model/weights.h"

#include <set>
#include <string>

#include "ops/fp16.h"
#include "ops/quant.h"

namespace md {

namespace {

bool IsMatrixType(TensorType t) {
  switch (t) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ8_0:
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

// Binds one table row to the file's tensor, checking presence, shape and type.
Status Bind(const GgufFile& f, const TensorSpec& spec, Tensor* field) {
  const GgufTensorInfo* info = f.FindTensor(spec.gguf_name);
  if (info == nullptr) {
    if (!spec.required) return Status::Ok();
    return InvalidArgument(f.path() + ": missing tensor " + spec.gguf_name + " (expected shape " +
                           ShapeString(spec.ne) + ")");
  }
  if (!ShapeMatches(spec.ne, info->ne, info->n_dims)) {
    return InvalidArgument(f.path() + ": tensor " + spec.gguf_name + " has shape " +
                           info->ShapeString() + ", expected " + ShapeString(spec.ne));
  }
  const TensorTypeInfo& ti = TypeInfo(info->type);
  if (spec.is_matrix) {
    if (!IsMatrixType(info->type)) {
      return Unsupported(f.path() + ": tensor " + spec.gguf_name + " has type " +
                         std::string(ti.name) + ", which matrix products do not support");
    }
  } else if (info->type != TensorType::kF32) {
    return Unsupported(f.path() + ": tensor " + spec.gguf_name + " has type " +
                       std::string(ti.name) + "; norms and biases must be f32");
  }
  if (info->ne[0] % ti.block_size != 0) {
    return InvalidArgument(f.path() + ": tensor " + spec.gguf_name + " row length " +
                           std::to_string(info->ne[0]) + " is not a multiple of the " +
                           std::string(ti.name) + " block size");
  }
  field->data = info->data;
  field->type = info->type;
  for (int i = 0; i < 4; ++i) field->ne[i] = static_cast<int64_t>(info->ne[i]);
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<TextModel>> LoadTextModel(const std::string& path) {
  MD_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> f, GgufFile::Open(path));
  return BindTextModel(std::move(f));
}

StatusOr<std::unique_ptr<TextModel>> BindTextModel(std::unique_ptr<GgufFile> file) {
  auto m = std::make_unique<TextModel>();
  MD_ASSIGN_OR_RETURN(m->config, TextConfigFromGguf(*file));
  m->layout.text_split_qkv = file->FindTensor("blk.0.attn_qkv.weight") == nullptr &&
                             file->FindTensor("blk.0.attn_q.weight") != nullptr;
  Status status;
  std::set<std::string> known;
  ForEachTextTensor(m->config, m->layout, &m->weights, [&](const TensorSpec& s, Tensor* t) {
    known.insert(s.gguf_name);
    if (status.ok()) status = Bind(*file, s, t);
  });
  MD_RETURN_IF_ERROR(status);
  // llama.cpp refuses files with tensors it does not know ("wrong number of tensors").
  for (const GgufTensorInfo& t : file->tensors()) {
    if (!known.count(std::string(t.name))) {
      return InvalidArgument(file->path() + ": unexpected tensor " + std::string(t.name) +
                             " for a phi2 model with " + std::to_string(m->config.n_layer) +
                             " blocks");
    }
  }
  m->file = std::move(file);
  return m;
}

StatusOr<std::unique_ptr<VisionModel>> LoadVisionModel(const std::string& path) {
  MD_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> f, GgufFile::Open(path));
  return BindVisionModel(std::move(f));
}

StatusOr<std::unique_ptr<VisionModel>> BindVisionModel(std::unique_ptr<GgufFile> file) {
  auto m = std::make_unique<VisionModel>();
  MD_ASSIGN_OR_RETURN(m->config, VisionConfigFromGguf(*file));
  const VisionConfig& c = m->config;
  if (const GgufTensorInfo* down = file->FindTensor("v.blk.0.ffn_down.weight")) {
    m->layout.vision_mlp_swapped = down->ne[0] == static_cast<uint64_t>(c.n_embd);
  }
  if (const GgufTensorInfo* pos = file->FindTensor("v.position_embd.weight")) {
    m->layout.vision_pos_3d = pos->n_dims == 3;
  }
  if (const GgufTensorInfo* mm0 = file->FindTensor("mm.0.weight");
      mm0 != nullptr && mm0->ne[0] != static_cast<uint64_t>(c.n_embd)) {
    return Unsupported(file->path() + ": tensor mm.0.weight has shape " + mm0->ShapeString() +
                       "; its input width must equal the vision width " +
                       std::to_string(c.n_embd) + " (multi-crop projectors are not supported)");
  }
  if (file->FindTensor("mm.3.weight") != nullptr) {
    return Unsupported(file->path() + ": tensor mm.3.weight means an \"mlp_norm\" projector, "
                       "which is not supported");
  }
  Status status;
  ForEachVisionTensor(c, m->layout, &m->weights, [&](const TensorSpec& s, Tensor* t) {
    if (!status.ok()) return;
    if (s.gguf_name == "v.patch_embd.weight" || s.gguf_name == "v.position_embd.weight") {
      // Small tensors we convert: accept F32 and F16.
      const GgufTensorInfo* info = file->FindTensor(s.gguf_name);
      if (info != nullptr && info->type != TensorType::kF32 && info->type != TensorType::kF16) {
        status = Unsupported(file->path() + ": tensor " + s.gguf_name + " must be f32 or f16");
        return;
      }
      TensorSpec relaxed = s;
      relaxed.is_matrix = true;
      status = Bind(*file, relaxed, t);
      return;
    }
    status = Bind(*file, s, t);
  });
  MD_RETURN_IF_ERROR(status);

  // ggml's conv_2d rounds the kernel to F16 (im2col + F16 matmul): keep it as F16, as a
  // [n_embd rows, 3*p*p] matrix whose inner order (c, ky, kx) matches our patches.
  Tensor& pw = m->weights.patch_w;
  const int64_t k = c.patch_dim();
  if (pw.type == TensorType::kF32) {
    m->patch_w_f16.resize(static_cast<size_t>(k) * c.n_embd);
    const float* src = pw.f32();
    for (size_t i = 0; i < m->patch_w_f16.size(); ++i) m->patch_w_f16[i] = F32ToF16(src[i]);
    pw.data = m->patch_w_f16.data();
    pw.type = TensorType::kF16;
  }
  pw.ne[0] = k;
  pw.ne[1] = c.n_embd;
  pw.ne[2] = pw.ne[3] = 1;

  Tensor& pe = m->weights.pos_embd;
  m->pos_embd_f32.resize(static_cast<size_t>(c.n_patches()) * c.n_embd);
  DequantizeRow(pe.type, pe.data, m->pos_embd_f32.data(),
                static_cast<int64_t>(m->pos_embd_f32.size()));
  pe.data = m->pos_embd_f32.data();
  pe.type = TensorType::kF32;
  pe.ne[1] = c.n_patches();
  pe.ne[2] = pe.ne[3] = 1;
  m->file = std::move(file);
  return m;
}

Status CheckCompatible(const TextModel& text, const VisionModel& vision) {
  const int text_width = text.config.n_embd;
  if (vision.config.projection_dim != text_width ||
      vision.weights.mm2_w.rows() != text_width) {
    return InvalidArgument("mismatch between text model and mmproj: " + vision.file->path() +
                           " projects to width " + std::to_string(vision.weights.mm2_w.rows()) +
                           " (tensor mm.2.weight, clip.vision.projection_dim " +
                           std::to_string(vision.config.projection_dim) + ") but " +
                           text.file->path() + " has embedding_length " +
                           std::to_string(text_width));
  }
  return Status::Ok();
}

}  // namespace md
