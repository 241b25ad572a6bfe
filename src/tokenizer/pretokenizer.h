// Pre-tokenizers: cut a run of code points into the words BPE works on
// (../shared/spec/tokenizer.md 3). Pure functions over code points; no vocabulary.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace md {

// Appends the lengths (in code points, each > 0, summing to cps.size()) of the words
// of `cps` under `pre`. `flags` holds unicode::Flags() of each code point.
void SplitWords(PreTokenizer pre, std::span<const uint32_t> cps, std::span<const uint8_t> flags,
                std::vector<uint32_t>* word_lengths);

}  // namespace md
