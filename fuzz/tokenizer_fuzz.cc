// libFuzzer target: the tokenizer on arbitrary bytes, both pre-tokenizers, both modes.
// Never a crash; ids are always in range; the pieces of the ids give back the input
// exactly when it is valid UTF-8 (otherwise its lenient re-encoding, as llama.cpp
// tokenizes it); the streaming decoder only ever emits valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace {

std::unique_ptr<md::Tokenizer> Load(const char* fixture, md::PretokenizerMode mode) {
  const std::string path = std::string(MD_SOURCE_DIR) + "/testdata/fixtures/" + fixture;
  auto file = md::GgufFile::Open(path);
  if (!file.ok()) {
    std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
    std::abort();
  }
  auto tok = md::Tokenizer::FromGguf(**file, mode);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
    std::abort();
  }
  return std::move(*tok);
}

void Check(const md::Tokenizer& tok, std::string_view text, const std::string& expected,
           bool parse_special) {
  const std::vector<int32_t> ids = tok.Encode(text, parse_special);
  std::string concat;
  for (int32_t id : ids) {
    if (!tok.IsValidId(id)) __builtin_trap();
    concat += tok.Piece(id, /*render_special=*/parse_special);
  }
  if (concat != expected) __builtin_trap();
  md::StreamDecoder stream(tok, parse_special);
  std::string streamed;
  for (int32_t id : ids) {
    const std::string chunk = stream.Push(id);
    if (!md::unicode::IsValidUtf8(chunk)) __builtin_trap();
    streamed += chunk;
  }
  streamed += stream.Flush();
  if (!md::unicode::IsValidUtf8(streamed)) __builtin_trap();
  if (md::unicode::IsValidUtf8(concat) && streamed != concat) __builtin_trap();
  volatile size_t sink = tok.Decode(ids).size();
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto gpt2 = Load("tokenizer-moondream2.gguf", md::PretokenizerMode::kAuto);
  static const auto llama =
      Load("tokenizer-moondream2-nopre.gguf", md::PretokenizerMode::kLlamaCompat);
  static const auto tiny = Load("moondream2-tiny-text-f32.gguf", md::PretokenizerMode::kAuto);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // What the pieces must spell: the input itself when it is valid UTF-8.
  std::string expected;
  if (md::unicode::IsValidUtf8(text)) {
    expected = text;
  } else {
    std::vector<uint32_t> cps;
    md::unicode::DecodeUtf8Lenient(text, &cps);
    for (uint32_t cp : cps) md::unicode::AppendUtf8(cp, &expected);
  }
  for (bool parse_special : {false, true}) {
    Check(*gpt2, text, expected, parse_special);
    Check(*llama, text, expected, parse_special);
  }
  // The truncated vocabulary lacks tokens for some bytes, so only "no crash" holds.
  for (int32_t id : tiny->Encode(text, false)) {
    if (!tiny->IsValidId(id)) __builtin_trap();
  }
  return 0;
}
