#include "tokenizer/bpe.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "tokenizer/unicode.h"

namespace md {
namespace {

// bytes_to_unicode: printable Latin-1 bytes stand for themselves; the other 68 bytes,
// in increasing order, take the code points from U+0100 on.
struct AlphabetTables {
  uint32_t byte_to_cp[256];
  int16_t cp_to_byte[0x144];  // the alphabet ends at U+0143
  AlphabetTables() {
    std::fill(std::begin(cp_to_byte), std::end(cp_to_byte), int16_t{-1});
    uint32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      byte_to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
      cp_to_byte[byte_to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const AlphabetTables& Alphabet() {
  static const AlphabetTables tables;
  return tables;
}

inline uint64_t MergeKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

inline uint64_t HashKey(uint64_t key) {
  key ^= key >> 29;
  key *= 0xBF58476D1CE4E5B9ull;
  key ^= key >> 32;
  return key;
}

}  // namespace

uint32_t ByteToAlphabet(uint8_t byte) { return Alphabet().byte_to_cp[byte]; }

int AlphabetToByte(uint32_t cp) { return cp < 0x144 ? Alphabet().cp_to_byte[cp] : -1; }

bool DecodeAlphabet(std::string_view text, std::string* bytes) {
  // The alphabet is U+0021..U+0143: one- and two-byte UTF-8 only.
  bytes->clear();
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    if (s[i] < 0x80) {
      cp = s[i];
      i += 1;
    } else if ((s[i] & 0xE0) == 0xC0 && i + 1 < text.size() && (s[i + 1] & 0xC0) == 0x80) {
      cp = ((s[i] & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
      i += 2;
    } else {
      return false;
    }
    const int b = AlphabetToByte(cp);
    if (b < 0) return false;
    bytes->push_back(static_cast<char>(b));
  }
  return true;
}

const BpeModel::MergeSlot* BpeModel::FindMerge(int32_t left, int32_t right) const {
  const uint64_t key = MergeKey(left, right);
  for (uint64_t i = HashKey(key) & merge_mask_;; i = (i + 1) & merge_mask_) {
    const MergeSlot& slot = merge_table_[i];
    if (slot.key == key) return &slot;
    if (slot.key == ~0ull) return nullptr;
  }
}

void BpeModel::InsertMerge(int32_t left, int32_t right, uint32_t rank, int32_t result) {
  const uint64_t key = MergeKey(left, right);
  for (uint64_t i = HashKey(key) & merge_mask_;; i = (i + 1) & merge_mask_) {
    MergeSlot& slot = merge_table_[i];
    if (slot.key == key) return;  // a repeated merge keeps its first (lowest) rank
    if (slot.key == ~0ull) {
      slot = {key, rank, result};
      return;
    }
  }
}

void BpeModel::Build(const std::vector<std::string>& token_texts,
                     const std::vector<std::string>& merges) {
  std::unordered_map<std::string, int32_t> sym_of;
  sym_of.reserve(256 + merges.size() * 2);
  sym_token_.clear();
  sym_offset_.clear();
  sym_length_.clear();
  sym_bytes_.clear();
  auto intern = [&](const std::string& bytes) -> int32_t {
    auto [it, inserted] = sym_of.try_emplace(bytes, static_cast<int32_t>(sym_token_.size()));
    if (inserted) {
      sym_token_.push_back(-1);
      sym_offset_.push_back(static_cast<uint32_t>(sym_bytes_.size()));
      sym_length_.push_back(static_cast<uint32_t>(bytes.size()));
      sym_bytes_ += bytes;
    }
    return it->second;
  };
  // Symbols 0..255 are the single bytes, so a word's first symbols are its bytes.
  for (int b = 0; b < 256; ++b) intern(std::string(1, static_cast<char>(b)));

  size_t capacity = 16;
  while (capacity < merges.size() * 2 + 16) capacity *= 2;
  merge_table_.assign(capacity, MergeSlot{});
  merge_mask_ = capacity - 1;
  std::string left, right;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    // The separator is the first space after the first byte (a merge side is never
    // empty, but may itself start with the alphabet's stand-in for a space).
    const size_t sep = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (sep == std::string::npos) continue;
    if (!DecodeAlphabet(std::string_view(m).substr(0, sep), &left) ||
        !DecodeAlphabet(std::string_view(m).substr(sep + 1), &right) || left.empty() ||
        right.empty()) {
      continue;  // not alphabet strings: no word can ever contain this pair
    }
    const int32_t l = intern(left);
    const int32_t r = intern(right);
    const int32_t result = intern(left + right);
    InsertMerge(l, r, static_cast<uint32_t>(rank), result);
  }

  std::fill(std::begin(single_byte_token_), std::end(single_byte_token_), -1);
  std::string bytes;
  for (size_t id = 0; id < token_texts.size(); ++id) {
    const std::string& text = token_texts[id];
    if (text.size() == 1)
      single_byte_token_[static_cast<uint8_t>(text[0])] = static_cast<int32_t>(id);
    if (!DecodeAlphabet(text, &bytes) || bytes.empty()) continue;
    auto it = sym_of.find(bytes);
    if (it != sym_of.end() && sym_token_[it->second] < 0)
      sym_token_[it->second] = static_cast<int32_t>(id);
  }
}

void BpeModel::EmitSymbol(int32_t sym, std::vector<int32_t>* out) const {
  const int32_t id = sym_token_[sym];
  if (id >= 0) {
    out->push_back(id);
    return;
  }
  // Not a token: llama.cpp looks up each byte of the symbol's alphabet string as a
  // one-byte token text and keeps those that exist.
  const char* p = sym_bytes_.data() + sym_offset_[sym];
  for (uint32_t i = 0; i < sym_length_[sym]; ++i) {
    std::string encoded;
    unicode::AppendUtf8(ByteToAlphabet(static_cast<uint8_t>(p[i])), &encoded);
    for (char e : encoded) {
      const int32_t t = single_byte_token_[static_cast<uint8_t>(e)];
      if (t >= 0) out->push_back(t);
    }
  }
}

void BpeModel::EncodeWord(std::string_view word, Scratch* work, std::vector<int32_t>* out) const {
  const int32_t n = static_cast<int32_t>(word.size());
  if (n == 0) return;
  const auto* s = reinterpret_cast<const uint8_t*>(word.data());
  if (n == 1) {
    EmitSymbol(s[0], out);
    return;
  }
  auto& nodes = work->nodes;
  auto& heap = work->heap;
  nodes.resize(n);
  heap.clear();
  for (int32_t i = 0; i < n; ++i) nodes[i] = {s[i], i - 1, i + 1 < n ? i + 1 : -1};
  // std::*_heap build a max-heap; with greater<> the smallest key is on top.
  const std::greater<uint64_t> later;
  auto key = [](uint32_t rank, int32_t left) {
    return (static_cast<uint64_t>(rank) << 32) | static_cast<uint32_t>(left);
  };
  for (int32_t i = 0; i + 1 < n; ++i) {
    const MergeSlot* m = FindMerge(nodes[i].sym, nodes[i + 1].sym);
    if (m != nullptr) heap.push_back(key(m->rank, i));
  }
  std::make_heap(heap.begin(), heap.end(), later);
  work->pairs_queued += heap.size();
  auto push_pair = [&](int32_t left) {
    if (left < 0) return;
    const int32_t right = nodes[left].next;
    if (right < 0) return;
    const MergeSlot* m = FindMerge(nodes[left].sym, nodes[right].sym);
    if (m == nullptr) return;
    heap.push_back(key(m->rank, left));
    std::push_heap(heap.begin(), heap.end(), later);
    ++work->pairs_queued;
  };

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const uint64_t top = heap.back();
    heap.pop_back();
    const int32_t left = static_cast<int32_t>(top & 0xFFFFFFFFu);
    const uint32_t rank = static_cast<uint32_t>(top >> 32);
    Node& l = nodes[left];
    if (l.sym < 0 || l.next < 0) continue;  // absorbed, or nothing on its right now
    Node& r = nodes[l.next];
    const MergeSlot* m = FindMerge(l.sym, r.sym);
    if (m == nullptr || m->rank != rank) continue;  // stale: the pair has changed
    l.sym = m->result;
    l.next = r.next;
    if (r.next >= 0) nodes[r.next].prev = left;
    r.sym = -1;
    push_pair(l.prev);
    push_pair(left);
  }
  for (int32_t i = 0; i >= 0; i = nodes[i].next) EmitSymbol(nodes[i].sym, out);
}

}  // namespace md
