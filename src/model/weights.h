// Loading the two GGUF files into weight views: every tensor of the tensor table is
// found, its shape and type checked, and bound zero-copy to the mmap'd bytes. Errors
// name the file and the tensor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "formats/gguf.h"
#include "model/config.h"
#include "model/tensor_table.h"

namespace md {

struct TextModel {
  std::unique_ptr<GgufFile> file;
  TextConfig config;
  TensorTableOptions layout;
  TextWeights weights;  // views into `file`
};

struct VisionModel {
  std::unique_ptr<GgufFile> file;
  VisionConfig config;
  TensorTableOptions layout;
  VisionWeights weights;  // views into `file`, except the two below
  // Small tensors held in another type than stored: the patch kernel as F16 (ggml's
  // conv rounds it to F16 whatever its file type) and the position embedding as F32.
  std::vector<uint16_t> patch_w_f16;
  std::vector<float> pos_embd_f32;
};

// Opens, validates and binds a phi2 text model file.
StatusOr<std::unique_ptr<TextModel>> LoadTextModel(const std::string& path);
// Same for a text model already opened (tests, fuzzing).
StatusOr<std::unique_ptr<TextModel>> BindTextModel(std::unique_ptr<GgufFile> file);

// Opens, validates and binds a clip/mlp mmproj file.
StatusOr<std::unique_ptr<VisionModel>> LoadVisionModel(const std::string& path);
StatusOr<std::unique_ptr<VisionModel>> BindVisionModel(std::unique_ptr<GgufFile> file);

// The projector must produce vectors of the text model's width.
Status CheckCompatible(const TextModel& text, const VisionModel& vision);

}  // namespace md
