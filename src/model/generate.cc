#include "model/generate.h"

#include <algorithm>
#include <chrono>

#include "model/sampler.h"

namespace md {

namespace {

// Length of the longest suffix of `s` that is a proper prefix of some stop string.
size_t PartialStopSuffix(const std::string& s, const std::vector<std::string>& stops) {
  size_t best = 0;
  for (const std::string& stop : stops) {
    const size_t max_len = std::min(s.size(), stop.size() - 1);
    for (size_t len = max_len; len > best; --len) {
      if (s.compare(s.size() - len, len, stop, 0, len) == 0) {
        best = len;
        break;
      }
    }
  }
  return best;
}

}  // namespace

void Generate(Runtime& rt, KvCache& cache, int* n_past, std::vector<float>& logits,
              const SamplingParams& params, const GenerateOptions& options,
              const TokenCallback& on_piece, const CancelFlag* cancel, GenerateOutput* out) {
  const auto t0 = std::chrono::steady_clock::now();
  const Tokenizer& tok = rt.tokenizer();
  Sampler sampler(params, static_cast<int>(logits.size()));
  StreamDecoder stream(tok);
  std::vector<std::string> stops;
  for (const std::string& s : params.stop) {
    if (!s.empty()) stops.push_back(s);
  }
  std::string raw;           // bytes of all kept pieces
  size_t released = 0;       // bytes of raw handed to the stream decoder
  std::vector<size_t> ends;  // raw.size() after each token
  bool started = !options.strip_leading_whitespace;
  bool stopped_by_callback = false;
  auto release = [&](size_t upto) {
    if (upto <= released) return;
    std::string piece = stream.PushBytes(std::string_view(raw).substr(released, upto - released));
    released = upto;
    if (!started) {
      const size_t first = piece.find_first_not_of(" \t\r\n");
      if (first == std::string::npos) return;
      piece.erase(0, first);
      started = true;
    }
    if (piece.empty()) return;
    out->text += piece;
    if (on_piece && !on_piece(piece)) stopped_by_callback = true;
  };

  out->finish_reason = "length";
  size_t answer_end = std::string::npos;
  for (int i = 0; i < params.max_tokens; ++i) {
    if (cancel != nullptr && cancel->cancelled.load(std::memory_order_relaxed)) {
      out->finish_reason = "cancelled";
      break;
    }
    const int32_t id = sampler.Sample(logits);
    out->tokens.push_back(id);
    if (!params.ignore_eos && tok.IsEndOfGeneration(id)) {
      out->finish_reason = "stop";
      ends.push_back(raw.size());
      break;
    }
    raw += tok.Piece(id);
    ends.push_back(raw.size());
    bool stop_found = false;
    if (!stops.empty()) {
      size_t where = std::string::npos;
      for (const std::string& s : stops) {
        const size_t from = raw.size() >= s.size() + 64 ? raw.size() - s.size() - 64 : 0;
        const size_t at = raw.find(s, from);
        if (at != std::string::npos && at < where) where = at;
      }
      if (where != std::string::npos) {
        answer_end = where;
        release(where);
        stop_found = true;
      } else {
        release(raw.size() - PartialStopSuffix(raw, stops));
      }
    } else {
      release(raw.size());
    }
    if (stop_found) {
      out->finish_reason = "stop";
      break;
    }
    if (stopped_by_callback) {
      out->finish_reason = "cancelled";
      break;
    }
    if (i + 1 < params.max_tokens) {
      rt.Step(id, cache, *n_past, logits.data());
      ++*n_past;
      ++out->fed;
    }
  }
  if (answer_end == std::string::npos) {
    // Not stopped by a stop string: whatever was held back belongs to the answer.
    release(raw.size());
    answer_end = raw.size();
  }
  std::string tail = stream.Flush();
  if (!tail.empty() && started) {
    out->text += tail;
    if (on_piece) on_piece(tail);
  }
  // Tokens wholly inside the answer text.
  out->keep = 0;
  for (size_t i = 0; i < ends.size() && ends[i] <= answer_end; ++i) {
    if (i < out->tokens.size() && !params.ignore_eos && tok.IsEndOfGeneration(out->tokens[i])) break;
    out->keep = static_cast<int>(i + 1);
  }
  out->decode_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace md
