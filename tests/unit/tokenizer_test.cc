// Tokenizer behaviour beyond the golden files: the spec's GPT-2 test vectors, the
// Unicode tables, invalid UTF-8, work bounds on pathological inputs (counted, not
// timed), load errors, decoding clean-up, the streaming decoder and thread safety.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "formats/gguf.h"
#include "support/test_support.h"
#include "tokenizer/bpe.h"
#include "tokenizer/unicode.h"

namespace md {
namespace {

using Ids = std::vector<int32_t>;

const Tokenizer& Full() {
  static const std::unique_ptr<Tokenizer> tok = [] {
    auto file = GgufFile::Open(test::TestData("fixtures/tokenizer-moondream2.gguf"));
    MD_CHECK(file.ok());
    auto t = Tokenizer::FromGguf(**file);
    MD_CHECK(t.ok());
    return std::move(*t);
  }();
  return *tok;
}

const Tokenizer& NoPreLlama() {
  static const std::unique_ptr<Tokenizer> tok = [] {
    auto file = GgufFile::Open(test::TestData("fixtures/tokenizer-moondream2-nopre.gguf"));
    MD_CHECK(file.ok());
    auto t = Tokenizer::FromGguf(**file, PretokenizerMode::kLlamaCompat);
    MD_CHECK(t.ok());
    return std::move(*t);
  }();
  return *tok;
}

std::string Concat(const Tokenizer& tok, const Ids& ids) {
  std::string s;
  for (int32_t id : ids) s += tok.Piece(id);
  return s;
}

// ../shared/spec/tokenizer.md section 9: llama.cpp's official GPT-2 vectors (no runs of
// two or more spaces, which the Moondream vocabulary has its own tokens for).
TEST(Tokenizer, OfficialGpt2Vectors) {
  const Tokenizer& t = Full();
  EXPECT_EQ(t.Encode("", false), Ids{});
  EXPECT_EQ(t.Encode(" ", false), Ids{220});
  EXPECT_EQ(t.Encode("\t", false), Ids{197});
  EXPECT_EQ(t.Encode("\n", false), Ids{198});
  EXPECT_EQ(t.Encode("\n\n", false), Ids{628});
  EXPECT_EQ(t.Encode("\n\n\n", false), (Ids{628, 198}));
  EXPECT_EQ(t.Encode("\t\n", false), (Ids{197, 198}));
  EXPECT_EQ(t.Encode("\n =", false), (Ids{198, 796}));
  EXPECT_EQ(t.Encode("' era", false), (Ids{6, 6980}));
  EXPECT_EQ(t.Encode("!!!!!!", false), (Ids{13896, 3228}));
  EXPECT_EQ(t.Encode("333", false), Ids{20370});
  EXPECT_EQ(t.Encode("3333", false), Ids{24840});
  EXPECT_EQ(t.Encode("33333", false), (Ids{2091, 20370}));
  EXPECT_EQ(t.Encode("ied 4 \u00bd months", false), (Ids{798, 604, 25208, 1933}));
  EXPECT_EQ(t.Encode("\u00c4pfel", false), (Ids{127, 226, 79, 69, 417}));
  EXPECT_EQ(t.Encode("Hello, y'all! How are you \U0001F601 "
                     "?\u6211\u60f3\u5728apple\u5de5\u4f5c1314151\u5929\uff5e",
                     false),
            (Ids{15496, 11,    331,   6,    439,   0,     1374,  389, 345,   30325,
                 223,   5633,  22755, 239,  46349, 111,   28839, 101, 18040, 32432,
                 98,    43291, 1485,  1415, 24309, 25465, 171,   121, 252}));
  // The standard Moondream prompt pieces.
  EXPECT_EQ(t.Encode("\n\nQuestion:", false), (Ids{198, 198, 24361, 25}));
  EXPECT_EQ(t.Encode("\n\nAnswer:", false), (Ids{198, 198, 33706, 25}));
}

TEST(Tokenizer, ContractionsAndSpacesDifferBetweenModes) {
  EXPECT_EQ(Full().Encode("it's", false), (Ids{270, 338}));
  EXPECT_EQ(NoPreLlama().Encode("it's", false), (Ids{270, 6, 82}));
  EXPECT_EQ(Full().Encode("1234567", false), (Ids{10163, 2231, 3134}));
  EXPECT_EQ(NoPreLlama().Encode("1234567", false), (Ids{10163, 29228, 22}));
  EXPECT_EQ(NoPreLlama().Encode("In 2024, $100 = 3.14 * x", false),
            (Ids{818, 220, 19004, 19, 11, 220, 3, 3064, 220, 28, 220, 18, 13, 1415, 220, 9, 2124}));
}

TEST(Tokenizer, UserDefinedTokensMatchedInBothModes) {
  const Tokenizer& t = Full();
  for (bool special : {false, true}) {
    EXPECT_EQ(t.Encode("x    y", special), (Ids{87, 50284, 88}));
    EXPECT_EQ(t.Encode("\t\t\t", special), Ids{50293});
    EXPECT_EQ(t.Encode(std::string(33, ' '), special), (Ids{50257, 50286}));
    // The fixture's placeholders are UNUSED (type 5), not user-defined: plain text.
    EXPECT_EQ(t.Encode("[PAD50300]", special), (Ids{58, 47, 2885, 1120, 6200, 60}));
  }
  EXPECT_EQ(t.Type(50300), TokenType::kUnused);
  EXPECT_EQ(t.Piece(50300), "");
  EXPECT_EQ(t.Encode("<|endoftext|>", true), Ids{50256});
  EXPECT_EQ(t.Encode("<|endoftext|>", false).size(), 7u);
  EXPECT_EQ(t.Piece(50256), "");
  EXPECT_EQ(t.Piece(50256, /*render_special=*/true), "<|endoftext|>");
  EXPECT_EQ(t.Piece(50284), "    ");
  EXPECT_EQ(t.Piece(-1), "");
  EXPECT_EQ(t.Piece(51200), "");
  EXPECT_EQ(t.Type(50256), TokenType::kControl);
  EXPECT_EQ(t.Type(50284), TokenType::kUserDefined);
  EXPECT_EQ(t.FindToken("\xC4\x8A"), 198);  // "Ċ" = "\n"
  EXPECT_EQ(t.FindToken("no such token"), -1);
}

// In the 2024 Moondream2 GGUF the placeholders are USER_DEFINED (tokenizer.md 4): then
// "[PAD50300]" typed by a user becomes that token, as in llama.cpp.
TEST(Tokenizer, UserDefinedPlaceholdersAreMatched) {
  auto file = GgufFile::Open(test::TestData("fixtures/tokenizer-moondream2.gguf"));
  ASSERT_TRUE(file.ok());
  auto vocab = ReadVocabFromGguf(**file);
  ASSERT_TRUE(vocab.ok());
  for (size_t i = 50295; i < vocab->types.size(); ++i) vocab->types[i] = 4;
  auto tok = Tokenizer::FromVocab(std::move(*vocab));
  ASSERT_TRUE(tok.ok());
  const Tokenizer& t = **tok;
  EXPECT_EQ(t.Encode("[PAD50300]", false), Ids{50300});
  EXPECT_EQ(t.Encode("a[PAD50300]b [PAD51199]", false), (Ids{64, 50300, 65, 220, 51199}));
  EXPECT_EQ(t.Encode("[PAD5030]", false), (Ids{58, 47, 2885, 1120, 1270, 60}));
  EXPECT_EQ(t.Piece(50300), "[PAD50300]");
  EXPECT_EQ(t.Encode("x    y", false), (Ids{87, 50284, 88}));
}

TEST(Unicode, ClassesMatchLlamaCppTables) {
  using unicode::ClassOf;
  EXPECT_EQ(ClassOf('a'), CodepointClass::kLetter);
  EXPECT_EQ(ClassOf('7'), CodepointClass::kNumber);
  EXPECT_EQ(ClassOf(0xBD), CodepointClass::kNumber);    // ½
  EXPECT_EQ(ClassOf(0x2160), CodepointClass::kNumber);  // Ⅰ (Nl)
  EXPECT_EQ(ClassOf(0x0301), CodepointClass::kMark);
  EXPECT_EQ(ClassOf(0x2014), CodepointClass::kPunctuation);  // em dash
  EXPECT_EQ(ClassOf(0x20AC), CodepointClass::kSymbol);       // €
  EXPECT_EQ(ClassOf(0xFFFD), CodepointClass::kSymbol);
  EXPECT_EQ(ClassOf(0x4E2D), CodepointClass::kLetter);     // 中
  EXPECT_EQ(ClassOf(0x1F600), CodepointClass::kSymbol);    // 😀
  EXPECT_EQ(ClassOf(0x31350), CodepointClass::kLetter);    // CJK Ext. H (Unicode 15.0)
  EXPECT_EQ(ClassOf(0x2EBF0), CodepointClass::kLetter);    // CJK Ext. I (Unicode 15.1)
  EXPECT_EQ(ClassOf(0x0378), CodepointClass::kUndefined);  // unassigned
  EXPECT_EQ(ClassOf(0xD800), CodepointClass::kControl);    // surrogate (Cs)
  EXPECT_EQ(ClassOf(0x110000), CodepointClass::kUndefined);
  EXPECT_EQ(ClassOf(0x10FFFF), CodepointClass::kUndefined);  // noncharacter, Cn
  // White_Space: 25 code points; not U+001C..U+001F (which str.isspace() accepts).
  int spaces = 0;
  for (uint32_t cp = 0; cp < 0x110000; ++cp) spaces += unicode::IsWhitespace(cp);
  EXPECT_EQ(spaces, 25);
  EXPECT_TRUE(unicode::IsWhitespace(0x3000));
  EXPECT_TRUE(unicode::IsWhitespace(0x85));
  EXPECT_FALSE(unicode::IsWhitespace(0x1C));
  EXPECT_FALSE(unicode::IsWhitespace(0x200B));
}

TEST(Unicode, LenientDecodingAsLlamaCpp) {
  std::vector<uint32_t> cps;
  unicode::DecodeUtf8Lenient("\xC0\xAF", &cps);  // over-long '/'
  EXPECT_EQ(cps, (std::vector<uint32_t>{'/'}));
  unicode::DecodeUtf8Lenient("\xED\xA0\x80", &cps);  // surrogate kept
  EXPECT_EQ(cps, (std::vector<uint32_t>{0xD800}));
  unicode::DecodeUtf8Lenient("a\xE2\x82 x", &cps);  // truncated: each bad byte -> U+FFFD
  EXPECT_EQ(cps, (std::vector<uint32_t>{'a', 0xFFFD, 0xFFFD, ' ', 'x'}));
  unicode::DecodeUtf8Lenient("\xF8\x88\x80\x80\x80", &cps);
  EXPECT_EQ(cps, (std::vector<uint32_t>(5, 0xFFFD)));
  unicode::DecodeUtf8Lenient("\xF4\x90\x80\x80", &cps);  // past U+10FFFF: one U+FFFD
  EXPECT_EQ(cps, (std::vector<uint32_t>{0xFFFD}));
  EXPECT_TRUE(unicode::IsValidUtf8("h\xC3\xA9\xF0\x9F\x98\x80"));
  EXPECT_FALSE(unicode::IsValidUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(unicode::IsValidUtf8("\xC0\xAF"));
  EXPECT_EQ(unicode::ValidUtf8Prefix("ab\xF0\x9F\x98"), 2u);
}

TEST(Tokenizer, InvalidUtf8) {
  const Tokenizer& t = Full();
  EXPECT_EQ(t.Encode("a\xFF"
                     "b",
                     false),
            (Ids{64, 4210, 65}));
  EXPECT_EQ(t.Encode("\xC0\xAF", false), t.Encode("/", false));
  // Past U+10FFFF llama.cpp throws; we tokenize one replacement character.
  EXPECT_EQ(t.Encode("\xF4\x90\x80\x80", false), t.Encode("\xEF\xBF\xBD", false));
}

// The number of pairs BPE queues is at most 3 per byte of a word (n-1 initial pairs,
// at most 2 per merge): no quadratic work however long the word. (Time on 1 MB words is
// measured in bench/tokenizer_bench.cc.)
TEST(Bpe, QueuedWorkIsLinearInWordLength) {
  auto file = GgufFile::Open(test::TestData("fixtures/tokenizer-moondream2.gguf"));
  ASSERT_TRUE(file.ok());
  auto vocab = ReadVocabFromGguf(**file);
  ASSERT_TRUE(vocab.ok());
  BpeModel bpe;
  bpe.Build(vocab->tokens, vocab->merges);
  for (const std::string& word :
       {std::string(1 << 16, 'a'), std::string(1 << 15, '7'), std::string(1 << 14, '!')}) {
    BpeModel::Scratch scratch;
    Ids ids;
    bpe.EncodeWord(word, &scratch, &ids);
    EXPECT_LE(scratch.pairs_queued, 3 * word.size());
    EXPECT_EQ(Concat(Full(), ids), word);
  }
}

TEST(Tokenizer, PathologicalInputs) {
  const Tokenizer& t = Full();
  // 100k spaces between two letters: 31-space tokens, then the remainder's token.
  const std::string spaces = "x" + std::string(100000, ' ') + "y";
  const Ids ids = t.Encode(spaces, false);
  ASSERT_EQ(ids.size(), 1u + 3225 + 1 + 1);
  EXPECT_EQ(ids[1], 50257);               // 31 spaces
  EXPECT_EQ(ids[3226], 50257 + 31 - 25);  // the 25 left over
  EXPECT_EQ(Concat(t, ids), spaces);
  // A long run of one letter and of digits, through the whole pipeline.
  const std::string letters(1 << 16, 'a');
  EXPECT_EQ(Concat(t, t.Encode(letters, false)), letters);
  std::string digits;
  for (int i = 0; i < 30000; ++i) digits.push_back(static_cast<char>('0' + i % 10));
  EXPECT_EQ(Concat(t, t.Encode(digits, false)), digits);
  EXPECT_EQ(Concat(NoPreLlama(), NoPreLlama().Encode(digits, false)), digits);
}

TEST(Tokenizer, DecodeCleanUpAsLlamaDetokenize) {
  const Tokenizer& t = Full();
  auto roundtrip = [&](const std::string& s) { return t.Decode(t.Encode(s, false)); };
  EXPECT_EQ(roundtrip("Hello , world ! Yes ? No ."), "Hello, world! Yes? No.");
  EXPECT_EQ(roundtrip("rock ' n"), "rock'n");
  EXPECT_EQ(roundtrip("he 's I 'm we 're they 've"), "he's I'm we're they've");
  EXPECT_EQ(roundtrip("don 't I 'd we 'll"), "don 't I 'd we 'll");
  EXPECT_EQ(roundtrip("a ' ' b"), "a'' b");
  EXPECT_EQ(t.Decode(t.Encode("a ?", false), true, /*clean_up_spaces=*/false), "a ?");
  EXPECT_EQ(t.Decode(Ids{}), "");
  EXPECT_EQ(t.Decode(Ids{-5, 99999, 64}), "a");
}

std::string Stream(const Tokenizer& t, const std::vector<std::string>& chunks) {
  StreamDecoder d(t);
  std::string out;
  for (const auto& c : chunks) {
    const std::string piece = d.PushBytes(c);
    EXPECT_TRUE(unicode::IsValidUtf8(piece));
    out += piece;
  }
  return out + d.Flush();
}

TEST(StreamDecoder, HoldsBackIncompleteCharacters) {
  const Tokenizer& t = Full();
  StreamDecoder d(t);
  EXPECT_EQ(d.PushBytes("a\xF0\x9F"), "a");
  EXPECT_EQ(d.pending_bytes(), 2u);
  EXPECT_EQ(d.PushBytes("\x98"), "");
  EXPECT_EQ(d.PushBytes("\x80!"), "\xF0\x9F\x98\x80!");
  EXPECT_EQ(d.pending_bytes(), 0u);
  // The emoji of a real token sequence (bytes spread over three tokens).
  const Ids ids = t.Encode("\U0001F999.cpp", false);
  ASSERT_GE(ids.size(), 3u);
  StreamDecoder s(t);
  std::string out;
  std::vector<std::string> chunks;
  for (int32_t id : ids) chunks.push_back(s.Push(id));
  EXPECT_EQ(chunks[0], "");  // first byte(s) of the emoji alone: nothing yet
  for (const auto& c : chunks) out += c;
  EXPECT_EQ(out + s.Flush(), "\U0001F999.cpp");
}

TEST(StreamDecoder, InvalidBytesBecomeReplacementCharacters) {
  const Tokenizer& t = Full();
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Stream(t, {"\xFF"}), r);
  EXPECT_EQ(Stream(t, {"\x80\x80"}), r + r);
  EXPECT_EQ(Stream(t, {"\xE2\x82", " x"}), r + " x");  // one maximal subpart
  EXPECT_EQ(Stream(t, {"\xED\xA0\x80"}), r + r + r);   // surrogate: E D is ill-formed
  EXPECT_EQ(Stream(t, {"\xC0\xAF"}), r + r);
  EXPECT_EQ(Stream(t, {"ok\xF0\x9F\x98"}), "ok" + r);  // truncated at the end
  EXPECT_EQ(Stream(t, {"\xF4\x90\x80\x80"}), r + r + r + r);
}

TEST(Tokenizer, LoadErrors) {
  VocabData v;
  EXPECT_FALSE(Tokenizer::FromVocab(v).ok());  // no tokens
  v.tokens = {"a", "b", "a"};
  auto dup = Tokenizer::FromVocab(v);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("same text"), std::string::npos);
  v.tokens = {"a", "b", "c"};
  v.types = {1, 1};
  EXPECT_FALSE(Tokenizer::FromVocab(v).ok());  // too few types
  v.types = {};
  v.has_pre = true;
  v.pre = "llama3";
  auto pre = Tokenizer::FromVocab(v);
  ASSERT_FALSE(pre.ok());
  EXPECT_EQ(pre.status().code(), StatusCode::kUnsupported);
  // A GGUF file without a tokenizer.
  auto mmproj = GgufFile::Open(test::TestData("fixtures/moondream2-tiny-mmproj-f32.gguf"));
  ASSERT_TRUE(mmproj.ok());
  auto none = Tokenizer::FromGguf(**mmproj);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("tokenizer.ggml.model"), std::string::npos);
}

// A hand-made vocabulary: merges apply lowest rank first, leftmost among equals; a
// merged symbol that is not a token falls back to its single bytes; out-of-range
// special ids are dropped; empty texts get a placeholder.
TEST(Tokenizer, SmallVocabularyRules) {
  VocabData v;
  v.tokens = {"a", "b", "c", "ab", "bc", "abc", "", "<s>", "zz"};
  v.types = {1, 1, 1, 1, 1, 1, 1, 3, 4};
  v.merges = {"b c", "a b", "a bc", "ab c", "c c"};  // "cc" is not a token
  v.eos_id = 7;
  v.bos_id = 99;
  auto tok = Tokenizer::FromVocab(v);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const Tokenizer& t = **tok;
  EXPECT_EQ(t.Encode("abc", false), Ids{5});  // b c (rank 0), then a bc (rank 2)
  EXPECT_EQ(t.Encode("ab", false), Ids{3});
  EXPECT_EQ(t.Encode("abab", false), (Ids{3, 3}));
  EXPECT_EQ(t.Encode("cc", false), (Ids{2, 2}));  // merged "cc" is no token: its bytes
  EXPECT_EQ(t.Encode("<s>", true), Ids{7});
  EXPECT_EQ(t.Encode("<s>", false), Ids{});            // no tokens for '<' 's' '>': nothing
  EXPECT_EQ(t.Encode("azzb", false), (Ids{0, 8, 1}));  // user-defined: both modes
  EXPECT_EQ(t.Encode("azzb", true), (Ids{0, 8, 1}));
  EXPECT_EQ(t.Text(6), "[EMPTY_6]");
  EXPECT_EQ(t.bos_id(), -1);
  EXPECT_EQ(t.eos_id(), 7);
  EXPECT_TRUE(t.IsEndOfGeneration(7));
}

TEST(Tokenizer, ConcurrentEncodeAgrees) {
  const Tokenizer& t = Full();
  std::string text;
  for (int i = 0; i < 200; ++i) text += "The quick brown fox " + std::to_string(i) + " jumps.  ";
  const Ids expected = t.Encode(text, false);
  std::vector<Ids> results(4);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 5; ++rep) results[k] = t.Encode(text, false);
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, expected);
  EXPECT_EQ(Concat(t, expected), text);
}

}  // namespace
}  // namespace md
