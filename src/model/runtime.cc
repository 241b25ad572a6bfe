#include "model/runtime.h"

#include <chrono>

#include "formats/image_decode.h"
#include "model/image_preprocess.h"

namespace md {

namespace {
double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

StatusOr<std::unique_ptr<Runtime>> Runtime::Load(const LoadOptions& options) {
  std::unique_ptr<Runtime> r(new Runtime());
  r->options_ = options;
  if (options.text_model_path.empty()) return InvalidArgument("no text model file given");
  MD_ASSIGN_OR_RETURN(r->text_, LoadTextModel(options.text_model_path));
  MD_ASSIGN_OR_RETURN(r->tokenizer_, Tokenizer::FromGguf(*r->text_->file, options.pretokenizer));
  if (r->tokenizer_->n_tokens() != r->text_->config.n_vocab) {
    return InvalidArgument(options.text_model_path + ": the vocabulary has " +
                           std::to_string(r->tokenizer_->n_tokens()) +
                           " tokens but token_embd.weight has " +
                           std::to_string(r->text_->config.n_vocab) + " rows");
  }
  if (!options.mmproj_path.empty()) {
    MD_ASSIGN_OR_RETURN(r->vision_, LoadVisionModel(options.mmproj_path));
    MD_RETURN_IF_ERROR(CheckCompatible(*r->text_, *r->vision_));
  }
  r->context_length_ = options.context_length > 0 ? options.context_length
                                                  : r->text_->config.context_length;
  if (r->context_length_ > r->text_->config.context_length) {
    return InvalidArgument("context length " + std::to_string(r->context_length_) +
                           " exceeds the model's " +
                           std::to_string(r->text_->config.context_length));
  }
  r->pool_ = std::make_unique<ThreadPool>(options.threads);
  r->decoder_ = std::make_unique<TextDecoder>(*r->text_, *r->pool_);
  if (r->vision_) r->encoder_ = std::make_unique<VisionEncoder>(*r->vision_, *r->pool_);
  r->step_x_.resize(r->text_->config.n_embd);
  return r;
}

StatusOr<std::vector<float>> Runtime::EncodePicture(std::span<const uint8_t> bytes,
                                                    const ImageOptions& options,
                                                    PictureInfo* info) {
  if (!encoder_) return InvalidArgument("this engine has no vision projector (mmproj) loaded");
  auto t0 = std::chrono::steady_clock::now();
  MD_ASSIGN_OR_RETURN(DecodedImage decoded, DecodeImage(bytes, DecodeOptionsFrom(options)));
  const double decode_ms = MsSince(t0);
  auto t1 = std::chrono::steady_clock::now();
  const std::vector<float> input = PreprocessForGguf(decoded.image);
  std::vector<float> out(static_cast<size_t>(image_rows()) * text_->config.n_embd);
  encoder_->Encode(input.data(), out.data());
  if (info != nullptr) {
    info->width = decoded.oriented_width;
    info->height = decoded.oriented_height;
    info->decode_ms = decode_ms;
    info->encode_ms = MsSince(t1);
  }
  return out;
}

void Runtime::EncodePreprocessed(const float* chw, float* out, VisionTrace* trace) {
  MD_CHECK(encoder_ != nullptr);
  encoder_->Encode(chw, out, trace);
}

std::unique_ptr<KvCache> Runtime::NewCache(int capacity) const {
  return std::make_unique<KvCache>(
      text_->config, capacity,
      options_.cache_type == KvCacheType::kF16 ? TensorType::kF16 : TensorType::kF32);
}

StatusOr<int> Runtime::Prefill(const std::vector<PromptItem>& items, const float* image,
                               KvCache& cache, int pos0, float* logits) {
  const int e = text_->config.n_embd;
  int n = 0;
  for (const PromptItem& it : items) {
    if (it.image) {
      if (image == nullptr || !has_vision()) {
        return InvalidArgument("the prompt has a picture but none was given");
      }
      n += image_rows();
    } else {
      for (int32_t id : it.ids) {
        if (!tokenizer_->IsValidId(id)) {
          return InvalidArgument("token id " + std::to_string(id) + " is out of range");
        }
      }
      n += static_cast<int>(it.ids.size());
    }
  }
  if (pos0 + n > cache.capacity()) {
    return OutOfRange("the prompt needs " + std::to_string(pos0 + n) +
                      " positions but the context holds " + std::to_string(cache.capacity()));
  }
  if (n == 0) return 0;
  if (prompt_x_.size() < static_cast<size_t>(n) * e) prompt_x_.resize(static_cast<size_t>(n) * e);
  float* x = prompt_x_.data();
  int row = 0;
  for (const PromptItem& it : items) {
    if (it.image) {
      std::copy_n(image, static_cast<size_t>(image_rows()) * e, x + static_cast<size_t>(row) * e);
      row += image_rows();
    } else if (!it.ids.empty()) {
      decoder_->EmbedTokens(it.ids.data(), static_cast<int>(it.ids.size()),
                            x + static_cast<size_t>(row) * e);
      row += static_cast<int>(it.ids.size());
    }
  }
  decoder_->Forward(x, n, pos0, cache, logits);
  return n;
}

void Runtime::Step(int32_t token, KvCache& cache, int pos, float* logits) {
  decoder_->EmbedTokens(&token, 1, step_x_.data());
  decoder_->Forward(step_x_.data(), 1, pos, cache, logits);
}

}  // namespace md
