// Unicode code point classes for the pre-tokenizers (../shared/spec/tokenizer.md 3, 8)
// and the UTF-8 decoding rules llama.cpp applies to prompt text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace md {

// The general category of a code point, by major class (L*, N*, P*, S*, M*, Z*,
// Cc/Cf/Co/Cs, and Cn for unassigned code points and values past U+10FFFF).
enum class CodepointClass : uint8_t {
  kUndefined = 0,
  kLetter,
  kNumber,
  kPunctuation,
  kSymbol,
  kMark,
  kSeparator,
  kControl,
};

namespace unicode_internal {
struct CodepointRun {
  uint32_t first;
  CodepointClass cls;
};
// Generated tables (unicode_tables.cc, see gen_unicode_tables.py).
extern const char kUnicodeVersion[];
extern const CodepointRun kCodepointRuns[];
extern const size_t kNumCodepointRuns;
extern const uint32_t kWhitespace[];
extern const size_t kNumWhitespace;
}  // namespace unicode_internal

namespace unicode {

// Version of the Unicode Character Database the class table was built from.
const char* Version();

// Class and White_Space flag of one code point, packed: low 3 bits = CodepointClass,
// bit 3 = White_Space. Any uint32_t is accepted (values past U+10FFFF are undefined).
inline constexpr uint8_t kWhitespaceBit = 0x08;
uint8_t Flags(uint32_t cp);

inline CodepointClass ClassOf(uint32_t cp) { return CodepointClass(Flags(cp) & 7); }
inline bool IsWhitespace(uint32_t cp) { return (Flags(cp) & kWhitespaceBit) != 0; }
inline bool IsLetter(uint32_t cp) { return ClassOf(cp) == CodepointClass::kLetter; }
inline bool IsNumber(uint32_t cp) { return ClassOf(cp) == CodepointClass::kNumber; }

// Decodes text into code points the way llama.cpp does for prompts: a lead byte with
// enough continuation bytes gives its value even when over-long (C0 AF -> '/') or a
// surrogate (ED A0 80 -> U+D800); 4-byte leads F0..F7 are accepted (so values up to
// 0x1FFFFF would appear; those become U+FFFD, where llama.cpp throws); anything else (stray
// continuation byte, F8..FF, a truncated sequence) becomes U+FFFD and decoding resumes at the next
// byte.
void DecodeUtf8Lenient(std::string_view text, std::vector<uint32_t>* out);

// Appends the UTF-8 form of cp (1..4 bytes; surrogates are encoded like any value).
// Values past U+10FFFF are written as U+FFFD.
void AppendUtf8(uint32_t cp, std::string* out);

// Length of the longest prefix of `bytes` that is well-formed UTF-8 (no over-long
// forms, no surrogates, nothing past U+10FFFF) and ends on a character boundary.
size_t ValidUtf8Prefix(std::string_view bytes);
inline bool IsValidUtf8(std::string_view bytes) { return ValidUtf8Prefix(bytes) == bytes.size(); }

}  // namespace unicode
}  // namespace md
