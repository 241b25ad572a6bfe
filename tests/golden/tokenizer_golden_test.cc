// Every line of the tokenizer goldens (testdata/golden/tokenizer/, made by llama.cpp;
// see testdata/golden/README.md): ids in both modes, token pieces, whole-text decoding,
// and the streaming decoder fed at every token boundary.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "support/test_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace md {
namespace {

using nlohmann::json;

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 15]);
  }
  return out;
}

std::vector<json> ReadJsonl(const std::string& relative) {
  std::ifstream in(test::TestData(relative));
  EXPECT_TRUE(in.good()) << relative;
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

std::unique_ptr<Tokenizer> Load(const std::string& fixture, PretokenizerMode mode) {
  auto file = GgufFile::Open(test::TestData(fixture));
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::FromGguf(**file, mode);
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return tok.ok() ? std::move(*tok) : nullptr;
}

std::vector<int32_t> Ids(const json& j) { return j.get<std::vector<int32_t>>(); }

// Checks one golden file with full fields; returns the number of lines checked.
int CheckFullGolden(const Tokenizer& tok, const std::string& golden) {
  const auto lines = ReadJsonl(golden);
  int checked = 0;
  for (const json& g : lines) {
    const std::string bytes = FromHex(g["bytes_hex"]);
    SCOPED_TRACE(golden + " id " + std::to_string(g["id"].get<int>()) + " bytes " +
                 g["bytes_hex"].get<std::string>());
    const auto ids = Ids(g["ids"]);
    const auto ids_special = Ids(g["ids_parse_special"]);
    EXPECT_EQ(tok.Encode(bytes, false), ids);
    EXPECT_EQ(tok.Encode(bytes, true), ids_special);
    // Pieces: each token's bytes.
    const auto& pieces = g["pieces_hex"];
    EXPECT_EQ(pieces.size(), ids.size());
    for (size_t i = 0; i < ids.size() && i < pieces.size(); ++i) {
      EXPECT_EQ(ToHex(tok.Piece(ids[i])), pieces[i].get<std::string>()) << "token " << ids[i];
    }
    EXPECT_EQ(ToHex(tok.Decode(ids)), g["detok_hex"].get<std::string>());
    EXPECT_EQ(ToHex(tok.Decode(ids_special, /*render_special=*/true)),
              g["detok_parse_special_hex"].get<std::string>());
    ++checked;
  }
  return checked;
}

TEST(TokenizerGolden, Moondream2FullVocabulary) {
  auto tok = Load("fixtures/tokenizer-moondream2.gguf", PretokenizerMode::kAuto);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->pre_tokenizer(), PreTokenizer::kGpt2);
  EXPECT_EQ(tok->n_tokens(), 51200);
  EXPECT_EQ(tok->eos_id(), 50256);
  EXPECT_EQ(tok->bos_id(), 50256);
  EXPECT_FALSE(tok->add_bos());
  EXPECT_EQ(tok->newline_id(), 198);
  EXPECT_TRUE(tok->IsEndOfGeneration(50256));
  EXPECT_FALSE(tok->IsEndOfGeneration(198));
  EXPECT_EQ(CheckFullGolden(*tok, "golden/tokenizer/moondream2.jsonl"), 343);
}

TEST(TokenizerGolden, TinyTruncatedVocabulary) {
  auto tok = Load("fixtures/moondream2-tiny-text-f32.gguf", PretokenizerMode::kAuto);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(CheckFullGolden(*tok, "golden/tokenizer/tiny.jsonl"), 343);
}

// The key-less file: GPT-2 rules by default (the goldens of the full file), llama.cpp's
// "default" pre-tokenizer on request.
TEST(TokenizerGolden, NoPreKeyDefaultsToGpt2Rules) {
  auto tok = Load("fixtures/tokenizer-moondream2-nopre.gguf", PretokenizerMode::kAuto);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->pre_tokenizer(), PreTokenizer::kGpt2);
  int checked = 0;
  for (const json& g : ReadJsonl("golden/tokenizer/moondream2.jsonl")) {
    const std::string bytes = FromHex(g["bytes_hex"]);
    SCOPED_TRACE("id " + std::to_string(g["id"].get<int>()));
    EXPECT_EQ(tok->Encode(bytes, false), Ids(g["ids"]));
    EXPECT_EQ(tok->Encode(bytes, true), Ids(g["ids_parse_special"]));
    ++checked;
  }
  EXPECT_EQ(checked, 343);
}

TEST(TokenizerGolden, NoPreKeyLlamaCompat) {
  auto tok = Load("fixtures/tokenizer-moondream2-nopre.gguf", PretokenizerMode::kLlamaCompat);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->pre_tokenizer(), PreTokenizer::kLlamaDefault);
  int checked = 0, differ_from_gpt2 = 0;
  const auto gpt2 = ReadJsonl("golden/tokenizer/moondream2.jsonl");
  const auto lines = ReadJsonl("golden/tokenizer/moondream2-nopre-llamacpp.jsonl");
  ASSERT_EQ(lines.size(), gpt2.size());
  for (size_t k = 0; k < lines.size(); ++k) {
    const json& g = lines[k];
    const std::string bytes = FromHex(g["bytes_hex"]);
    SCOPED_TRACE("id " + std::to_string(g["id"].get<int>()) + " " +
                 g["bytes_hex"].get<std::string>());
    EXPECT_EQ(tok->Encode(bytes, false), Ids(g["ids"]));
    EXPECT_EQ(tok->Encode(bytes, true), Ids(g["ids_parse_special"]));
    differ_from_gpt2 += Ids(g["ids"]) != Ids(gpt2[k]["ids"]);
    ++checked;
  }
  EXPECT_EQ(checked, 343);
  EXPECT_EQ(differ_from_gpt2, 64);  // the README's count: the two modes really differ
}

// A pre-tokenizer name in the file wins over the mode: the full file says "gpt-2".
TEST(TokenizerGolden, PreKeyWinsOverMode) {
  auto tok = Load("fixtures/tokenizer-moondream2.gguf", PretokenizerMode::kLlamaCompat);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->pre_tokenizer(), PreTokenizer::kGpt2);
}

// Streaming: every multi-byte case, split after every token, and fed in every
// two-part split too. Output is always whole, valid UTF-8; for valid input it is the
// concatenation of the pieces.
void CheckStreaming(const Tokenizer& tok, const std::string& golden, int* cases, int* splits) {
  for (const json& g : ReadJsonl(golden)) {
    const std::string bytes = FromHex(g["bytes_hex"]);
    bool multibyte = false;
    for (char c : bytes) multibyte |= static_cast<uint8_t>(c) >= 0x80;
    if (!multibyte) continue;
    SCOPED_TRACE(golden + " id " + std::to_string(g["id"].get<int>()));
    const auto ids = Ids(g["ids"]);
    std::string concat;
    for (int32_t id : ids) concat += tok.Piece(id);
    const bool valid = unicode::IsValidUtf8(concat);
    // Token by token.
    StreamDecoder dec(tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string chunk = dec.Push(id);
      EXPECT_TRUE(unicode::IsValidUtf8(chunk)) << "chunk " << ToHex(chunk);
      streamed += chunk;
    }
    streamed += dec.Flush();
    EXPECT_TRUE(unicode::IsValidUtf8(streamed));
    if (valid) {
      EXPECT_EQ(ToHex(streamed), ToHex(concat));
    }
    // Each boundary: everything up to it must be out except an incomplete tail.
    for (size_t cut = 0; cut <= ids.size(); ++cut) {
      StreamDecoder d(tok);
      std::string head;
      for (size_t i = 0; i < cut; ++i) head += d.Push(ids[i]);
      std::string prefix;
      for (size_t i = 0; i < cut; ++i) prefix += tok.Piece(ids[i]);
      if (valid) {
        // The held-back bytes are exactly the incomplete character at the cut.
        EXPECT_EQ(head.size() + d.pending_bytes(), prefix.size());
        EXPECT_EQ(prefix.compare(0, head.size(), head), 0);
        EXPECT_LE(d.pending_bytes(), 3u);
      }
      std::string tail;
      for (size_t i = cut; i < ids.size(); ++i) tail += d.Push(ids[i]);
      tail += d.Flush();
      EXPECT_EQ(head + tail, streamed);
      ++*splits;
    }
    ++*cases;
  }
}

TEST(TokenizerGolden, StreamingDecoderAtEveryTokenBoundary) {
  auto full = Load("fixtures/tokenizer-moondream2.gguf", PretokenizerMode::kAuto);
  auto tiny = Load("fixtures/moondream2-tiny-text-f32.gguf", PretokenizerMode::kAuto);
  ASSERT_NE(full, nullptr);
  ASSERT_NE(tiny, nullptr);
  int cases = 0, splits = 0;
  CheckStreaming(*full, "golden/tokenizer/moondream2.jsonl", &cases, &splits);
  CheckStreaming(*tiny, "golden/tokenizer/tiny.jsonl", &cases, &splits);
  EXPECT_GT(cases, 100);
  std::printf("streaming: %d multi-byte cases, %d splits\n", cases, splits);
}

}  // namespace
}  // namespace md
