// One model request as it travels from an HTTP thread to the engine worker and back:
// the worker encodes the picture (or takes it from the cache), opens a session, asks,
// and pushes the answer text in word-sized chunks; the HTTP thread waits for the first
// chunk (so errors before any output get a real HTTP status), then streams or collects.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "moondream/engine.h"
#include "server/image_cache.h"
#include "server/metrics.h"

namespace md::server {

using Clock = std::chrono::steady_clock;

// Splits streamed text into chunks that never end inside a word: flush at a newline,
// after a CJK character, or up to the last space (moondream2-official.md 4.5).
class TextChunker {
 public:
  // Adds a piece (complete UTF-8) and returns what may be emitted now (maybe empty).
  std::string Feed(std::string_view piece);
  // Whatever is left at the end.
  std::string Finish();

 private:
  std::string pending_;
  bool at_start_ = true;  // leading whitespace of the answer is dropped
};

struct GenerationInput {
  std::vector<uint8_t> image;  // the picture file's bytes; empty = text-only
  std::string question;        // the question text as the session takes it
  SamplingParams params;
  std::string kind;            // "caption", "query" or "chat" (logs only)
};

// Where a failure happened: the picture (400/413/415) or the question (400/5xx).
enum class Stage { kImage, kGeneration };

class Job {
 public:
  Job(GenerationInput input, Clock::time_point deadline);

  // Worker side: runs the whole request. Never throws; the result is in status().
  void Run(Engine& engine, ImageCache& cache, const ImageOptions& image_options,
           Metrics& metrics);

  // HTTP side. Waits until the first chunk or the end. Every 50 ms calls
  // `should_cancel` (client gone, shutting down); true there cancels the job and returns.
  // Returns false if the wait ended because of should_cancel.
  bool WaitStarted(const std::function<bool()>& should_cancel);

  // Waits up to `wait` for new text; returns it (maybe empty) and sets *done at the end.
  std::string TakeText(std::chrono::milliseconds wait, bool* done);

  // Blocks until the job finished (after Cancel, the worker stops at the next token).
  void WaitDone();

  // True if the job ended in an error before producing any text (so the HTTP side can
  // still answer with an error status).
  bool FailedBeforeOutput();

  void Cancel() { cancel_.cancelled = true; }
  bool cancelled() const { return cancel_.cancelled; }

  // Valid once done.
  const Status& status() const { return status_; }
  Stage stage() const { return stage_; }
  const Answer& answer() const { return answer_; }
  bool cache_hit() const { return cache_hit_; }
  bool timed_out() const { return timed_out_; }
  double total_ms() const { return total_ms_; }
  // Context positions the session held before the question (BOS + picture), so that
  // input_tokens / prompt_tokens count the picture as the APIs expect.
  int prefix_positions() const { return prefix_positions_; }
  const std::string& kind() const { return input_.kind; }
  Clock::time_point arrival() const { return arrival_; }

 private:
  void Finish(Status status, Stage stage);
  void Push(std::string text);

  GenerationInput input_;
  Clock::time_point arrival_;
  Clock::time_point deadline_;
  CancelFlag cancel_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;  // produced, not yet taken
  bool started_ = false;
  bool any_text_ = false;
  bool done_ = false;
  Status status_;
  Stage stage_ = Stage::kGeneration;
  Answer answer_;
  bool cache_hit_ = false;
  bool timed_out_ = false;
  double total_ms_ = 0;
  int prefix_positions_ = 0;
};

}  // namespace md::server
