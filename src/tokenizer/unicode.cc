#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <memory>

namespace md::unicode {
namespace {

using unicode_internal::kCodepointRuns;
using unicode_internal::kNumCodepointRuns;

constexpr uint32_t kBmpSize = 0x10000;

// Flags of every BMP code point, expanded once from the run table: the pre-tokenizers
// look up every input character, and almost all text stays in the BMP.
const uint8_t* BmpFlags() {
  static const std::unique_ptr<uint8_t[]> table = [] {
    auto t = std::make_unique<uint8_t[]>(kBmpSize);
    for (size_t i = 0; i < kNumCodepointRuns; ++i) {
      const uint32_t first = kCodepointRuns[i].first;
      if (first >= kBmpSize) break;
      const uint32_t end = i + 1 < kNumCodepointRuns
                               ? std::min<uint32_t>(kCodepointRuns[i + 1].first, kBmpSize)
                               : kBmpSize;
      std::fill(t.get() + first, t.get() + end, static_cast<uint8_t>(kCodepointRuns[i].cls));
    }
    for (size_t i = 0; i < unicode_internal::kNumWhitespace; ++i) {
      t[unicode_internal::kWhitespace[i]] |= kWhitespaceBit;  // all White_Space is in the BMP
    }
    return t;
  }();
  return table.get();
}

}  // namespace

const char* Version() { return unicode_internal::kUnicodeVersion; }

uint8_t Flags(uint32_t cp) {
  if (cp < kBmpSize) return BmpFlags()[cp];
  if (cp > 0x10FFFF) return static_cast<uint8_t>(CodepointClass::kUndefined);
  // Last run whose first code point is <= cp.
  const auto* end = kCodepointRuns + kNumCodepointRuns;
  const auto* it = std::upper_bound(
      kCodepointRuns, end, cp,
      [](uint32_t v, const unicode_internal::CodepointRun& r) { return v < r.first; });
  return static_cast<uint8_t>((it - 1)->cls);
}

void DecodeUtf8Lenient(std::string_view text, std::vector<uint32_t>* out) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  out->clear();
  out->reserve(n);
  auto cont = [&](size_t i) { return i < n && (s[i] & 0xC0) == 0x80; };
  size_t i = 0;
  while (i < n) {
    const uint8_t b = s[i];
    if (b < 0x80) {
      out->push_back(b);
      i += 1;
    } else if (b < 0xC0) {
      out->push_back(0xFFFD);  // stray continuation byte
      i += 1;
    } else if (b < 0xE0) {
      if (cont(i + 1)) {
        out->push_back(((b & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu));
        i += 2;
      } else {
        out->push_back(0xFFFD);
        i += 1;
      }
    } else if (b < 0xF0) {
      if (cont(i + 1) && cont(i + 2)) {
        out->push_back(((b & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu));
        i += 3;
      } else {
        out->push_back(0xFFFD);
        i += 1;
      }
    } else if (b < 0xF8) {
      if (cont(i + 1) && cont(i + 2) && cont(i + 3)) {
        const uint32_t cp = ((b & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) |
                            ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
        // llama.cpp cannot re-encode values past U+10FFFF (it throws); we keep going with
        // one replacement character for the whole sequence.
        out->push_back(cp <= 0x10FFFF ? cp : 0xFFFD);
        i += 4;
      } else {
        out->push_back(0xFFFD);
        i += 1;
      }
    } else {
      out->push_back(0xFFFD);  // F8..FF never start a sequence
      i += 1;
    }
  }
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t ValidUtf8Prefix(std::string_view bytes) {
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;  // no over-long forms
      if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;  // no over-long forms
      if (b == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return i;
}

}  // namespace md::unicode
