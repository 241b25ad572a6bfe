// The token loop: sample, stream the text (whole UTF-8 characters, stop strings held
// back until they can no longer match), feed the token back, until EOS, a stop string,
// max_tokens or cancellation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime.h"

namespace md {

struct GenerateOutput {
  std::vector<int32_t> tokens;  // every sampled id (past EOS with ignore_eos)
  std::string text;             // the streamed text, stop string excluded
  int fed = 0;                  // leading tokens now in the cache (n_past advanced by this)
  int keep = 0;                 // leading tokens that make up `text` (before a stop string)
  std::string finish_reason;    // "stop", "length", "cancelled"
  double decode_ms = 0;
};

struct GenerateOptions {
  bool strip_leading_whitespace = false;  // drop whitespace before the first character
};

// `logits` holds the logits after the prompt (n_vocab values) and is overwritten.
// `*n_past` is the number of positions in `cache`; it advances as tokens are fed. The
// caller checked that n_past + max_tokens fits the cache.
void Generate(Runtime& rt, KvCache& cache, int* n_past, std::vector<float>& logits,
              const SamplingParams& params, const GenerateOptions& options,
              const TokenCallback& on_piece, const CancelFlag* cancel, GenerateOutput* out);

}  // namespace md
