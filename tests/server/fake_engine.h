// A fake Engine for the server tests: pictures go through the real decoder (so bad
// files fail as they would in production), answers are scripted pieces with a
// controllable delay per token, and every call is counted.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "formats/image_decode.h"
#include "moondream/engine.h"

namespace md::test {

struct FakeEngineOptions {
  std::vector<std::string> pieces = {"A", " small", " red", " box", " on", " the", " grass", "."};
  int token_delay_ms = 0;   // sleep before each piece
  int encode_delay_ms = 0;  // sleep in EncodeImage
  size_t image_bytes = 1 << 20;  // memory_bytes() of each encoded picture
  int context_length = 2048;
  int prompt_tokens_per_char = 1;  // prompt_tokens = question length * this (+ 730 with a picture)
};

class FakeEncodedImage : public EncodedImage {
 public:
  FakeEncodedImage(int w, int h, size_t bytes) : w_(w), h_(h), bytes_(bytes) {}
  size_t memory_bytes() const override { return bytes_; }
  int width() const override { return w_; }
  int height() const override { return h_; }
  double encode_ms() const override { return 1; }

 private:
  int w_, h_;
  size_t bytes_;
};

class FakeEngine;

class FakeSession : public Session {
 public:
  FakeSession(FakeEngine* engine, bool has_image) : engine_(engine), has_image_(has_image) {}
  StatusOr<Answer> Ask(std::string_view question, const SamplingParams& params,
                       const TokenCallback& on_piece, const CancelFlag* cancel) override;
  int positions_used() const override { return used_; }
  int context_length() const override;

 private:
  FakeEngine* engine_;
  bool has_image_;
  int used_ = 0;
};

class FakeEngine : public Engine {
 public:
  explicit FakeEngine(FakeEngineOptions o = {}) : options(std::move(o)) {}

  StatusOr<std::shared_ptr<const EncodedImage>> EncodeImage(std::span<const uint8_t> bytes,
                                                            const ImageOptions& io) override {
    ++encodes;
    auto decoded = DecodeImage(bytes, DecodeOptionsFrom(io));
    if (!decoded.ok()) return decoded.status();
    if (options.encode_delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options.encode_delay_ms));
    }
    return std::shared_ptr<const EncodedImage>(std::make_shared<FakeEncodedImage>(
        decoded->image.width, decoded->image.height, options.image_bytes));
  }

  StatusOr<std::unique_ptr<Session>> NewSession(std::shared_ptr<const EncodedImage> image) override {
    return std::unique_ptr<Session>(new FakeSession(this, image != nullptr));
  }

  std::string model_name() const override { return "fake-moondream"; }
  int context_length() const override { return options.context_length; }
  bool has_vision() const override { return true; }

  std::string last_question() {
    std::lock_guard<std::mutex> lock(mu);
    return last_question_;
  }
  SamplingParams last_params() {
    std::lock_guard<std::mutex> lock(mu);
    return last_params_;
  }

  FakeEngineOptions options;
  std::atomic<int> encodes{0};
  std::atomic<int> asks{0};
  std::atomic<int> cancelled{0};
  std::atomic<int> completed{0};
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::mutex mu;
  std::string last_question_;
  SamplingParams last_params_;
};

inline int FakeSession::context_length() const { return engine_->options.context_length; }

inline StatusOr<Answer> FakeSession::Ask(std::string_view question, const SamplingParams& params,
                                         const TokenCallback& on_piece, const CancelFlag* cancel) {
  FakeEngine& e = *engine_;
  ++e.asks;
  int now_running = ++e.running;
  int prev = e.max_running.load();
  while (now_running > prev && !e.max_running.compare_exchange_weak(prev, now_running)) {
  }
  {
    std::lock_guard<std::mutex> lock(e.mu);
    e.last_question_ = std::string(question);
    e.last_params_ = params;
  }
  Answer answer;
  answer.stats.prompt_tokens =
      static_cast<int>(question.size()) * e.options.prompt_tokens_per_char + (has_image_ ? 730 : 1);
  if (answer.stats.prompt_tokens + params.max_tokens > e.options.context_length) {
    --e.running;
    return OutOfRange("prompt and answer need " +
                      std::to_string(answer.stats.prompt_tokens + params.max_tokens) +
                      " positions but the context holds " + std::to_string(e.options.context_length));
  }
  answer.stats.finish_reason = "stop";
  for (size_t i = 0; i < e.options.pieces.size(); ++i) {
    if (static_cast<int>(i) >= params.max_tokens) {
      answer.stats.finish_reason = "length";
      break;
    }
    if (e.options.token_delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(e.options.token_delay_ms));
    }
    if (cancel != nullptr && cancel->cancelled) {
      answer.stats.finish_reason = "cancelled";
      break;
    }
    const std::string& piece = e.options.pieces[i];
    answer.text += piece;
    ++answer.stats.generated_tokens;
    if (i == 0) answer.stats.time_to_first_token_ms = 1;
    if (on_piece && !on_piece(piece)) {
      answer.stats.finish_reason = "cancelled";
      break;
    }
  }
  used_ += answer.stats.prompt_tokens + answer.stats.generated_tokens;
  if (answer.stats.finish_reason == "cancelled") {
    ++e.cancelled;
  } else {
    ++e.completed;
  }
  --e.running;
  return answer;
}

}  // namespace md::test
