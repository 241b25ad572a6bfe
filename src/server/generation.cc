#include "server/generation.h"

#include <spdlog/spdlog.h>

#include "server/sha256.h"

namespace md::server {
namespace {

// Code point of the last UTF-8 character of `s` (0 if none or malformed).
uint32_t LastCodePoint(const std::string& s) {
  if (s.empty()) return 0;
  size_t i = s.size() - 1;
  int back = 0;
  while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80 && back < 3) {
    --i;
    ++back;
  }
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[k])); };
  uint32_t c0 = b(i);
  if (c0 < 0x80) return c0;
  if ((c0 & 0xE0) == 0xC0 && back == 1) return ((c0 & 0x1F) << 6) | (b(i + 1) & 0x3F);
  if ((c0 & 0xF0) == 0xE0 && back == 2) {
    return ((c0 & 0x0F) << 12) | ((b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
  }
  if ((c0 & 0xF8) == 0xF0 && back == 3) {
    return ((c0 & 0x07) << 18) | ((b(i + 1) & 0x3F) << 12) | ((b(i + 2) & 0x3F) << 6) |
           (b(i + 3) & 0x3F);
  }
  return 0;
}

bool IsCjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x2F800 && c <= 0x2FA1F);
}

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

std::string TextChunker::Feed(std::string_view piece) {
  if (at_start_) {
    size_t skip = 0;
    while (skip < piece.size() && (piece[skip] == ' ' || piece[skip] == '\n' ||
                                   piece[skip] == '\r' || piece[skip] == '\t')) {
      ++skip;
    }
    piece.remove_prefix(skip);
    if (piece.empty()) return {};
    at_start_ = false;
  }
  pending_.append(piece);
  if (pending_.empty()) return {};
  if (pending_.back() == '\n' || IsCjk(LastCodePoint(pending_))) {
    return std::exchange(pending_, std::string());
  }
  size_t space = pending_.rfind(' ');
  if (space == std::string::npos) return {};
  std::string out = pending_.substr(0, space + 1);
  pending_.erase(0, space + 1);
  return out;
}

std::string TextChunker::Finish() { return std::exchange(pending_, std::string()); }

Job::Job(GenerationInput input, Clock::time_point deadline)
    : input_(std::move(input)), arrival_(Clock::now()), deadline_(deadline) {}

void Job::Push(std::string text) {
  if (text.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    text_ += text;
    started_ = true;
    any_text_ = true;
  }
  cv_.notify_all();
}

void Job::Finish(Status status, Stage stage) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(status);
    stage_ = stage;
    done_ = true;
    started_ = true;
    total_ms_ = MsSince(arrival_);
  }
  cv_.notify_all();
}

void Job::Run(Engine& engine, ImageCache& cache, const ImageOptions& image_options,
              Metrics& metrics) {
  if (cancel_.cancelled) {
    Finish(Cancelled("the client went away before the request started"), Stage::kGeneration);
    metrics.RecordGeneration(0, MsSince(arrival_) / 1e3, 0, 0, "cancelled");
    return;
  }
  if (Clock::now() >= deadline_) {
    timed_out_ = true;
    metrics.RecordTimeout();
    Finish(DeadlineExceeded("the request waited in the queue past the request timeout"),
           Stage::kGeneration);
    metrics.RecordGeneration(0, MsSince(arrival_) / 1e3, 0, 0, "timeout");
    return;
  }

  std::shared_ptr<const EncodedImage> image;
  if (!input_.image.empty()) {
    std::string key = ToHex(Sha256(input_.image));
    image = cache.Get(key);
    cache_hit_ = image != nullptr;
    if (image == nullptr) {
      Clock::time_point t0 = Clock::now();
      auto encoded = engine.EncodeImage(input_.image, image_options);
      if (!encoded.ok()) {
        Finish(encoded.status(), Stage::kImage);
        metrics.RecordGeneration(0, MsSince(arrival_) / 1e3, 0, 0, "");
        return;
      }
      metrics.RecordImageEncode(MsSince(t0) / 1e3);
      image = std::move(encoded).value();
      cache.Put(key, image);
    }
    // The bytes are not needed any more; free them before generating.
    std::vector<uint8_t>().swap(input_.image);
  }

  auto session = engine.NewSession(image);
  if (!session.ok()) {
    Finish(session.status(), Stage::kGeneration);
    metrics.RecordGeneration(0, MsSince(arrival_) / 1e3, 0, 0, "");
    return;
  }

  prefix_positions_ = (*session)->positions_used();
  TextChunker chunker;
  double first_token_ms = 0;
  auto on_piece = [&](std::string_view piece) -> bool {
    if (first_token_ms == 0) first_token_ms = MsSince(arrival_);
    Push(chunker.Feed(piece));
    if (Clock::now() >= deadline_) {
      timed_out_ = true;
      return false;
    }
    return !cancel_.cancelled;
  };
  auto answer = (*session)->Ask(input_.question, input_.params, on_piece, &cancel_);
  if (!answer.ok()) {
    Finish(answer.status(), Stage::kGeneration);
    metrics.RecordGeneration(first_token_ms / 1e3, MsSince(arrival_) / 1e3, 0, 0, "");
    return;
  }
  Push(chunker.Finish());
  {
    std::lock_guard<std::mutex> lock(mu_);
    answer_ = std::move(answer).value();
  }
  const GenerationStats& st = answer_.stats;
  if (timed_out_) metrics.RecordTimeout();
  metrics.RecordGeneration(first_token_ms / 1e3, MsSince(arrival_) / 1e3, st.generated_tokens,
                           st.decode_ms / 1e3, timed_out_ ? "timeout" : st.finish_reason);
  Finish(timed_out_ ? DeadlineExceeded("generation ran past the request timeout") : Status::Ok(),
         Stage::kGeneration);
}

bool Job::WaitStarted(const std::function<bool()>& should_cancel) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!started_) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return started_; })) break;
    lock.unlock();
    bool stop = should_cancel && should_cancel();
    lock.lock();
    if (stop && !started_) {
      cancel_.cancelled = true;
      return false;
    }
  }
  return true;
}

std::string Job::TakeText(std::chrono::milliseconds wait, bool* done) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, wait, [this] { return !text_.empty() || done_; });
  *done = done_ && text_.empty();
  if (done_ && !text_.empty()) *done = false;
  return std::exchange(text_, std::string());
}

bool Job::FailedBeforeOutput() {
  std::lock_guard<std::mutex> lock(mu_);
  return done_ && !status_.ok() && !any_text_;
}

void Job::WaitDone() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return done_; });
}

}  // namespace md::server
