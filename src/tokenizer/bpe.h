// Byte-level BPE by merge rank (../shared/spec/tokenizer.md 5), on raw bytes.
//
// The vocabulary and merges are written in GPT-2's byte-to-unicode alphabet; since that
// map is a bijection between bytes and 256 code points, merging the alphabet strings is
// the same as merging the byte strings they stand for. So every string that can occur
// during merging (a single byte, or the result of a merge) gets a dense symbol id up
// front, a merge is a lookup of the pair (left id, right id), and the text of a word is
// never converted to the alphabet at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace md {

// GPT-2's bytes_to_unicode: the code point standing for each byte.
uint32_t ByteToAlphabet(uint8_t byte);
// Inverse: the byte a code point stands for, or -1 if it is not in the alphabet.
int AlphabetToByte(uint32_t cp);
// Decodes an alphabet string to bytes; false if some code point is not in the alphabet
// (or the string is not UTF-8).
bool DecodeAlphabet(std::string_view text, std::string* bytes);

class BpeModel {
 public:
  // `merges` as stored ("left right", rank = index); `token_texts` the vocabulary as
  // stored (id = index). Merges or tokens that are not alphabet strings are ignored:
  // BPE can never produce them.
  void Build(const std::vector<std::string>& token_texts, const std::vector<std::string>& merges);

  // Appends the token ids of one word (its UTF-8 bytes). A final symbol that is not a
  // token is emitted as the tokens of its single bytes, as llama.cpp does.
  // `work` is scratch space reused across calls.
  struct Scratch;
  void EncodeWord(std::string_view word, Scratch* work, std::vector<int32_t>* out) const;

  size_t num_symbols() const { return sym_token_.size(); }

  struct Node {
    int32_t sym;  // -1 once absorbed into its left neighbour
    int32_t prev;
    int32_t next;
  };
  struct Scratch {
    std::vector<Node> nodes;
    // Queued pairs as (rank << 32 | left position), smallest first: the order of
    // llama.cpp's queue (lowest rank, then leftmost). The right side and the symbols
    // are not stored: a queued pair is still valid exactly when the pair now at `left`
    // has that rank, because each distinct pair has its own rank and a symbol only
    // changes by growing.
    std::vector<uint64_t> heap;
    uint64_t pairs_queued = 0;  // total pushes, for tests that bound the work
  };

 private:
  struct MergeSlot {
    uint64_t key = ~0ull;  // (left sym << 32) | right sym; ~0 = empty
    uint32_t rank = 0;
    int32_t result = -1;
  };
  // Open-addressing table of merges: lookups happen for every adjacent pair.
  const MergeSlot* FindMerge(int32_t left, int32_t right) const;
  void InsertMerge(int32_t left, int32_t right, uint32_t rank, int32_t result);
  void EmitSymbol(int32_t sym, std::vector<int32_t>* out) const;

  std::vector<MergeSlot> merge_table_;
  uint64_t merge_mask_ = 0;
  std::vector<int32_t> sym_token_;    // symbol -> vocabulary id, -1 if not a token
  std::vector<uint32_t> sym_offset_;  // symbol -> its bytes in sym_bytes_
  std::vector<uint32_t> sym_length_;
  std::string sym_bytes_;
  int32_t single_byte_token_[256] = {};  // token whose stored text is exactly that byte
};

}  // namespace md
