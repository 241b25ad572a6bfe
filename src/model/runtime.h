// Everything loaded for running Moondream2: both model files, the tokenizer, the
// thread pool, the vision encoder and the text decoder with their scratch. The engine
// (engine.cc) and the raw `generate` / `bench` commands are built on it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "moondream/engine.h"
#include "model/text_decoder.h"
#include "model/vision_encoder.h"
#include "model/weights.h"
#include "ops/thread_pool.h"
#include "tokenizer/tokenizer.h"

namespace md {

// One prompt element: a run of token ids, or the picture (all its embedding rows).
struct PromptItem {
  std::vector<int32_t> ids;
  bool image = false;
};

struct PictureInfo {
  int width = 0;   // decoded size before any resizing
  int height = 0;
  double decode_ms = 0;
  double encode_ms = 0;  // preprocessing + vision tower + projector
};

class Runtime {
 public:
  static StatusOr<std::unique_ptr<Runtime>> Load(const LoadOptions& options);

  const TextConfig& text_config() const { return text_->config; }
  const TextModel& text_model() const { return *text_; }
  const VisionModel* vision_model() const { return vision_.get(); }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  bool has_vision() const { return vision_ != nullptr; }
  ThreadPool& pool() { return *pool_; }
  const LoadOptions& options() const { return options_; }
  int context_length() const { return context_length_; }
  // Embedding rows per picture (729) and their width (the text n_embd).
  int image_rows() const { return vision_ ? vision_->config.n_patches() : 0; }

  // Decodes, preprocesses (llama.cpp's letterbox) and encodes a picture file into
  // image_rows() x n_embd embeddings.
  StatusOr<std::vector<float>> EncodePicture(std::span<const uint8_t> file_bytes,
                                             const ImageOptions& options, PictureInfo* info);
  // Encodes an already preprocessed [3, S, S] input.
  void EncodePreprocessed(const float* chw, float* out, VisionTrace* trace = nullptr);

  // A KV cache of the configured type for `capacity` positions.
  std::unique_ptr<KvCache> NewCache(int capacity) const;

  // Runs the prompt items at positions pos0.. (the image item takes image_rows() rows
  // from `image`), writing the last position's logits. Returns the positions used.
  StatusOr<int> Prefill(const std::vector<PromptItem>& items, const float* image, KvCache& cache,
                        int pos0, float* logits);
  // Feeds one token at `pos`, writing the logits after it.
  void Step(int32_t token, KvCache& cache, int pos, float* logits);

 private:
  Runtime() = default;
  LoadOptions options_;
  int context_length_ = 0;
  std::unique_ptr<TextModel> text_;
  std::unique_ptr<VisionModel> vision_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<TextDecoder> decoder_;
  std::unique_ptr<VisionEncoder> encoder_;
  std::vector<float> step_x_;   // [n_embd]
  std::vector<float> prompt_x_; // grows to the longest prompt seen
};

}  // namespace md
