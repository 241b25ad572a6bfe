// Moondream2's byte-level BPE tokenizer (GPT-2 / CodeGen vocabulary), id for id as
// llama.cpp runs it (../shared/spec/tokenizer.md; docs/tokenizer.md).
//
//   auto tok = Tokenizer::FromGguf(file, PretokenizerMode::kAuto);
//   std::vector<int32_t> ids = (*tok)->Encode("\n\nQuestion: Hi?", /*parse_special=*/false);
//   StreamDecoder out(**tok);
//   for (int32_t id : generated) send(out.Push(id));   // complete UTF-8 only
//   send(out.Flush());
//
// A Tokenizer is immutable after loading; Encode/Decode/Piece may be called from any
// number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "moondream/engine.h"  // PretokenizerMode

namespace md {

class GgufFile;

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// How raw text is cut into words before BPE (tokenizer.md 3).
enum class PreTokenizer {
  kGpt2,          // the GPT-2 split regex (tokenizer.md 3.1)
  kLlamaDefault,  // llama.cpp's "default": 4 regexes in sequence (tokenizer.md 3.2)
};

// The tokenizer part of a GGUF file as plain values (tokenizer.ggml.*).
struct VocabData {
  std::vector<std::string> tokens;  // id = index; normal tokens in the byte-level alphabet
  std::vector<int32_t> types;       // TokenType per id; empty = all normal
  std::vector<std::string> merges;  // "left right", rank = index (0 merges first)
  int32_t bos_id = -1;              // -1 = none
  int32_t eos_id = -1;
  int32_t unk_id = -1;
  int32_t pad_id = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool has_pre = false;  // tokenizer.ggml.pre present
  std::string pre;       // its value
};

// Reads tokenizer.ggml.{model,tokens,token_type,merges,*_token_id,add_*_token,pre}.
// Only model "gpt2" (byte-level BPE) is supported; other models are kUnsupported.
StatusOr<VocabData> ReadVocabFromGguf(const GgufFile& file);

class Tokenizer {
 public:
  // Builds the tokenizer from a GGUF file's metadata (a vocabulary-only file works).
  // `mode` decides the pre-tokenizer of files without tokenizer.ggml.pre: kAuto gives
  // the GPT-2 rules the model was trained with, kLlamaCompat llama.cpp's "default".
  // Files that name "gpt-2"/"phi-2" or "default" get that; other names are kUnsupported.
  static StatusOr<std::unique_ptr<Tokenizer>> FromGguf(
      const GgufFile& file, PretokenizerMode mode = PretokenizerMode::kAuto);
  // The same from values (tests, fuzzing). Errors: duplicate token texts, special ids
  // out of range are dropped (as llama.cpp does), too few token types, unknown pre name.
  static StatusOr<std::unique_ptr<Tokenizer>> FromVocab(
      VocabData vocab, PretokenizerMode mode = PretokenizerMode::kAuto);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Token ids of `text` (any bytes; invalid UTF-8 is handled as llama.cpp does). Never
  // adds BOS/EOS. parse_special = false is for user text: "<|endoftext|>" typed by a
  // user stays ordinary text. parse_special = true is for template text: control
  // tokens written in it become their ids. User-defined tokens (the whitespace runs)
  // are matched in both modes.
  std::vector<int32_t> Encode(std::string_view text, bool parse_special) const;
  // Appends to *out instead (prompt building).
  void EncodeAppend(std::string_view text, bool parse_special, std::vector<int32_t>* out) const;

  // Bytes of one token: normal tokens mapped back from the byte-level alphabet,
  // user-defined tokens as stored; control/unknown tokens are empty unless
  // render_special. Ids out of range give "". The view lives as long as the Tokenizer.
  // A piece can end inside a multi-byte character: stream through StreamDecoder.
  std::string_view Piece(int32_t id, bool render_special = false) const;

  // Whole-text decoding as llama_detokenize: the pieces concatenated, then (when
  // clean_up_spaces) the reference's clean-up: no space before ? ! . , and before
  // 's 'm 're 've, and none around a lone '. Ids out of range are skipped.
  std::string Decode(std::span<const int32_t> ids, bool render_special = true,
                     bool clean_up_spaces = true) const;

  int32_t n_tokens() const { return static_cast<int32_t>(texts_.size()); }
  bool IsValidId(int32_t id) const { return id >= 0 && id < n_tokens(); }
  // Token text as stored in the file.
  std::string_view Text(int32_t id) const;
  TokenType Type(int32_t id) const;
  // Id of the token whose stored text is `text`, or -1.
  int32_t FindToken(std::string_view text) const;

  int32_t bos_id() const { return bos_id_; }  // -1 if none
  int32_t eos_id() const { return eos_id_; }
  int32_t newline_id() const { return newline_id_; }  // Encode("\n")[0], -1 if none
  bool add_bos() const { return add_bos_; }
  // End of generation: EOS, and every token whose text is "<|endoftext|>" (or another
  // well-known end marker).
  bool IsEndOfGeneration(int32_t id) const;
  PreTokenizer pre_tokenizer() const { return pre_; }

 private:
  struct Impl;
  Tokenizer();

  std::unique_ptr<Impl> impl_;
  std::vector<std::string> texts_;   // as stored
  std::vector<std::string> pieces_;  // decoded bytes
  std::vector<TokenType> types_;
  int32_t bos_id_ = -1;
  int32_t eos_id_ = -1;
  int32_t newline_id_ = -1;
  bool add_bos_ = false;
  PreTokenizer pre_ = PreTokenizer::kGpt2;
};

// Turns generated ids into text that is always whole UTF-8 characters: the bytes of a
// character split over several tokens are held back until the last one arrives.
// Bytes that can never form a valid character (stray continuation bytes, encoded
// surrogates, over-long forms) come out as U+FFFD, one per maximal ill-formed subpart,
// so the output is always valid UTF-8 (safe for JSON and the browser).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = false)
      : tokenizer_(&tokenizer), render_special_(render_special) {}

  // Adds one token; returns the text that became complete (possibly empty).
  std::string Push(int32_t id);
  // Adds raw bytes (e.g. a piece from elsewhere); returns the text that became complete.
  std::string PushBytes(std::string_view bytes);
  // Ends the stream: a held-back incomplete character comes out as U+FFFD.
  std::string Flush();
  // Bytes held back (0..3).
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace md
