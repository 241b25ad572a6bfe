#include "tokenizer/pretokenizer.h"

#include "tokenizer/unicode.h"

namespace md {
namespace {

constexpr uint8_t kClassMask = 7;

inline bool IsLetterFlags(uint8_t f) {
  return (f & kClassMask) == static_cast<uint8_t>(CodepointClass::kLetter);
}
inline bool IsNumberFlags(uint8_t f) {
  return (f & kClassMask) == static_cast<uint8_t>(CodepointClass::kNumber);
}
inline bool IsSpaceFlags(uint8_t f) { return (f & unicode::kWhitespaceBit) != 0; }

// The GPT-2 pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// as a greedy scan over [begin, end). A position past `end` counts as "no character":
// it is neither letter, number, space nor other, so runs stop there and the
// look-ahead (?!\S) succeeds at the end of the piece.
void SplitGpt2(std::span<const uint32_t> cps, std::span<const uint8_t> flags, size_t begin,
               size_t end, std::vector<uint32_t>* out) {
  auto emit = [&](size_t from, size_t to) {
    if (to > from) out->push_back(static_cast<uint32_t>(to - from));
  };
  size_t pos = begin;
  while (pos < end) {
    const uint32_t c = cps[pos];
    // Contractions, lowercase only.
    if (c == '\'' && pos + 1 < end) {
      const uint32_t c1 = cps[pos + 1];
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        emit(pos, pos + 2);
        pos += 2;
        continue;
      }
      if (pos + 2 < end) {
        const uint32_t c2 = cps[pos + 2];
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          emit(pos, pos + 3);
          pos += 3;
          continue;
        }
      }
    }
    // An optional single U+0020 in front of a letter, number or "other" run.
    const size_t q = (c == ' ') ? pos + 1 : pos;
    if (q < end) {
      const uint8_t f = flags[q];
      size_t k = q;
      if (IsLetterFlags(f)) {
        while (k < end && IsLetterFlags(flags[k])) ++k;
        emit(pos, k);
        pos = k;
        continue;
      }
      if (IsNumberFlags(f)) {
        while (k < end && IsNumberFlags(flags[k])) ++k;
        emit(pos, k);
        pos = k;
        continue;
      }
      auto is_other = [&](uint8_t g) {
        return !IsSpaceFlags(g) && !IsLetterFlags(g) && !IsNumberFlags(g);
      };
      if (is_other(f)) {
        while (k < end && is_other(flags[k])) ++k;
        emit(pos, k);
        pos = k;
        continue;
      }
    }
    // Whitespace: a run followed by a non-space keeps its last character for the next
    // word (\s+(?!\S)); a run that reaches the end is taken whole.
    size_t run = 0;
    while (pos + run < end && IsSpaceFlags(flags[pos + run])) ++run;
    if (run > 1 && pos + run < end) {
      emit(pos, pos + run - 1);
      pos += run - 1;
    } else if (run > 0) {
      emit(pos, pos + run);
      pos += run;
    } else {
      emit(pos, pos + 1);  // unreachable for well-formed flags; guarantees progress
      pos += 1;
    }
  }
}

// Splits each piece into alternating non-matching and matching sub-pieces, where a
// match is a maximal run of code points satisfying `in_run` (regexes of the form
// "[class]+"). Empty pieces are dropped.
template <typename Pred>
void SplitRuns(const std::vector<uint32_t>& pieces, Pred in_run, std::vector<uint32_t>* out) {
  size_t start = 0;
  for (uint32_t len : pieces) {
    const size_t end = start + len;
    size_t run_start = start;
    size_t i = start;
    while (i < end) {
      if (!in_run(i)) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < end && in_run(j)) ++j;
      if (i > run_start) out->push_back(static_cast<uint32_t>(i - run_start));
      out->push_back(static_cast<uint32_t>(j - i));
      run_start = i = j;
    }
    if (end > run_start) out->push_back(static_cast<uint32_t>(end - run_start));
    start = end;
  }
}

// ASCII punctuation and symbols of llama.cpp's first "default" regex
// [\p{P}\$\+<=>\^~\|]+ : all of !"#$%&'()*+,-./:;<=>?@[\]^_{|}~, i.e. every ASCII
// punctuation or symbol character except the backtick.
bool IsDefaultPunctAscii(uint32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x5F) ||
         (c >= 0x7B && c <= 0x7E);
}

void SplitLlamaDefault(std::span<const uint32_t> cps, std::span<const uint8_t> flags,
                       std::vector<uint32_t>* out) {
  // llama.cpp evaluates regexes 1 and 3 on a copy of the text where each code point
  // >= 128 stands for its class (whitespace first), and regex 4 on the code points.
  std::vector<uint32_t> a{static_cast<uint32_t>(cps.size())};
  std::vector<uint32_t> b;
  // 1. [\p{P}\$\+<=>\^~\|]+
  SplitRuns(
      a,
      [&](size_t i) {
        const uint32_t c = cps[i];
        if (c < 128) return IsDefaultPunctAscii(c);
        return !IsSpaceFlags(flags[i]) &&
               (flags[i] & kClassMask) == static_cast<uint8_t>(CodepointClass::kPunctuation);
      },
      &b);
  // 2. the GPT-2 pattern inside each piece
  a.clear();
  size_t start = 0;
  for (uint32_t len : b) {
    SplitGpt2(cps, flags, start, start + len, &a);
    start += len;
  }
  // 3. \p{N}+
  b.clear();
  SplitRuns(
      a,
      [&](size_t i) {
        const uint32_t c = cps[i];
        if (c < 128) return c >= '0' && c <= '9';
        return !IsSpaceFlags(flags[i]) && IsNumberFlags(flags[i]);
      },
      &b);
  // 4. [0-9][0-9][0-9], leftmost non-overlapping matches
  auto digit = [&](size_t i) { return cps[i] >= '0' && cps[i] <= '9'; };
  start = 0;
  for (uint32_t len : b) {
    const size_t end = start + len;
    size_t piece_start = start;
    size_t i = start;
    while (i + 3 <= end) {
      if (digit(i) && digit(i + 1) && digit(i + 2)) {
        if (i > piece_start) out->push_back(static_cast<uint32_t>(i - piece_start));
        out->push_back(3);
        i += 3;
        piece_start = i;
      } else {
        ++i;
      }
    }
    if (end > piece_start) out->push_back(static_cast<uint32_t>(end - piece_start));
    start = end;
  }
}

}  // namespace

void SplitWords(PreTokenizer pre, std::span<const uint32_t> cps, std::span<const uint8_t> flags,
                std::vector<uint32_t>* word_lengths) {
  if (cps.empty()) return;
  if (pre == PreTokenizer::kGpt2) {
    SplitGpt2(cps, flags, 0, cps.size(), word_lengths);
  } else {
    SplitLlamaDefault(cps, flags, word_lengths);
  }
}

}  // namespace md
