// The public engine (include/moondream/engine.h) on top of Runtime: pictures encoded
// once with their prompt prefix (BOS + 729 image rows) in a KV cache that sessions copy,
// and conversations in Moondream2's own format (../shared/spec/model-gguf.md 4.1).
#include "moondream/engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>

#include "model/generate.h"
#include "model/runtime.h"

namespace md {

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

constexpr const char* kQuestionStop = "\n\nQuestion:";

class EncodedImageImpl final : public EncodedImage {
 public:
  size_t memory_bytes() const override {
    return embeddings.size() * sizeof(float) + (prefix ? prefix->memory_bytes() : 0);
  }
  int width() const override { return width_; }
  int height() const override { return height_; }
  double encode_ms() const override { return encode_ms_; }

  std::vector<float> embeddings;    // [729, n_embd]
  std::unique_ptr<KvCache> prefix;  // BOS + image rows
  int prefix_len = 0;
  int width_ = 0, height_ = 0;
  double encode_ms_ = 0;
  mutable std::atomic<bool> reported{false};  // encode time reported by one session only
};

class SessionImpl final : public Session {
 public:
  SessionImpl(Runtime& rt, std::shared_ptr<const EncodedImageImpl> image)
      : rt_(rt), image_(std::move(image)) {
    cache_ = rt_.NewCache(rt_.context_length());
    logits_.resize(rt_.text_config().n_vocab);
    if (image_) {
      cache_->CopyPrefix(*image_->prefix, image_->prefix_len);
      n_past_ = image_->prefix_len;
    } else if (rt_.tokenizer().bos_id() >= 0) {
      pending_.push_back(rt_.tokenizer().bos_id());
    }
  }

  StatusOr<Answer> Ask(std::string_view question, const SamplingParams& params,
                       const TokenCallback& on_piece, const CancelFlag* cancel) override {
    if (params.max_tokens <= 0) return InvalidArgument("max_tokens must be positive");
    const bool first = turns_ == 0;
    std::string text;
    text += (first && !image_) ? "Question: " : "\n\nQuestion: ";
    text += question;
    text += "\n\nAnswer:";
    std::vector<int32_t> ids = pending_;
    rt_.tokenizer().EncodeAppend(text, /*parse_special=*/false, &ids);
    const int needed = n_past_ + static_cast<int>(ids.size()) + params.max_tokens;
    if (needed > rt_.context_length()) {
      return OutOfRange("prompt and answer need " + std::to_string(needed) +
                        " positions (" + std::to_string(n_past_) + " used, " +
                        std::to_string(ids.size()) + " for the question, max_tokens " +
                        std::to_string(params.max_tokens) + ") but the context holds " +
                        std::to_string(rt_.context_length()));
    }
    Answer answer;
    if (image_ && !image_->reported.exchange(true)) {
      answer.stats.image_encode_ms = image_->encode_ms();
    }
    const auto t0 = std::chrono::steady_clock::now();
    MD_ASSIGN_OR_RETURN(int n, rt_.Prefill({PromptItem{ids, false}}, nullptr, *cache_, n_past_,
                                           logits_.data()));
    n_past_ += n;
    pending_.clear();
    answer.stats.prompt_tokens = n;
    answer.stats.prefill_ms = MsSince(t0);

    SamplingParams p = params;
    if (std::find(p.stop.begin(), p.stop.end(), kQuestionStop) == p.stop.end()) {
      p.stop.push_back(kQuestionStop);
    }
    GenerateOptions go;
    go.strip_leading_whitespace = true;
    bool first_piece = true;
    TokenCallback cb = [&](std::string_view piece) {
      if (first_piece) {
        answer.stats.time_to_first_token_ms = MsSince(t0);
        first_piece = false;
      }
      return on_piece ? on_piece(piece) : true;
    };
    GenerateOutput out;
    Generate(rt_, *cache_, &n_past_, logits_, p, go, cb, cancel, &out);
    // Keep exactly the answer's tokens in the conversation.
    if (out.keep < out.fed) {
      n_past_ -= out.fed - out.keep;
    } else {
      pending_.assign(out.tokens.begin() + out.fed, out.tokens.begin() + out.keep);
    }
    ++turns_;
    answer.tokens = std::move(out.tokens);
    const size_t last = out.text.find_last_not_of(" \t\r\n");
    answer.text = last == std::string::npos ? "" : out.text.substr(0, last + 1);
    answer.stats.generated_tokens = static_cast<int>(answer.tokens.size());
    answer.stats.decode_ms = out.decode_ms;
    answer.stats.finish_reason = out.finish_reason;
    return answer;
  }

  int positions_used() const override { return n_past_ + static_cast<int>(pending_.size()); }
  int context_length() const override { return rt_.context_length(); }

 private:
  Runtime& rt_;
  std::shared_ptr<const EncodedImageImpl> image_;
  std::unique_ptr<KvCache> cache_;
  std::vector<float> logits_;
  std::vector<int32_t> pending_;  // tokens of the conversation not yet in the cache
  int n_past_ = 0;
  int turns_ = 0;
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(std::unique_ptr<Runtime> rt) : rt_(std::move(rt)) {
    logits_.resize(rt_->text_config().n_vocab);
    StatusOr<std::string> name = rt_->text_model().file->GetString("general.name");
    name_ = name.ok() ? *name
                      : std::filesystem::path(rt_->options().text_model_path).stem().string();
  }

  StatusOr<std::shared_ptr<const EncodedImage>> EncodeImage(
      std::span<const uint8_t> file_bytes, const ImageOptions& options) override {
    if (!rt_->has_vision()) {
      return InvalidArgument("this model has no vision projector (mmproj) loaded");
    }
    const auto t0 = std::chrono::steady_clock::now();
    PictureInfo info;
    MD_ASSIGN_OR_RETURN(std::vector<float> embd, rt_->EncodePicture(file_bytes, options, &info));
    auto img = std::make_shared<EncodedImageImpl>();
    img->embeddings = std::move(embd);
    std::vector<PromptItem> items;
    if (rt_->tokenizer().bos_id() >= 0) items.push_back({{rt_->tokenizer().bos_id()}, false});
    items.push_back({{}, true});
    const int prefix_len = static_cast<int>(items.size() - 1) + rt_->image_rows();
    img->prefix = rt_->NewCache(prefix_len);
    MD_ASSIGN_OR_RETURN(img->prefix_len, rt_->Prefill(items, img->embeddings.data(),
                                                      *img->prefix, 0, logits_.data()));
    img->width_ = info.width;
    img->height_ = info.height;
    img->encode_ms_ = MsSince(t0);
    return std::shared_ptr<const EncodedImage>(std::move(img));
  }

  StatusOr<std::unique_ptr<Session>> NewSession(
      std::shared_ptr<const EncodedImage> image) override {
    std::shared_ptr<const EncodedImageImpl> impl;
    if (image) {
      impl = std::dynamic_pointer_cast<const EncodedImageImpl>(image);
      if (!impl) return InvalidArgument("the picture was not encoded by this engine");
    }
    return std::unique_ptr<Session>(new SessionImpl(*rt_, std::move(impl)));
  }

  std::string model_name() const override { return name_; }
  int context_length() const override { return rt_->context_length(); }
  bool has_vision() const override { return rt_->has_vision(); }

 private:
  std::unique_ptr<Runtime> rt_;
  std::vector<float> logits_;
  std::string name_;
};

}  // namespace

StatusOr<std::unique_ptr<Engine>> Engine::Load(const LoadOptions& options) {
  MD_ASSIGN_OR_RETURN(std::unique_ptr<Runtime> rt, Runtime::Load(options));
  return std::unique_ptr<Engine>(new EngineImpl(std::move(rt)));
}

}  // namespace md
