// A bounded cache of word -> token ids, so repeated words skip BPE. Flat storage (one
// probe array, one byte arena, one id arena); when it fills up it is emptied, which
// keeps memory bounded (about 3 MB) without any per-entry bookkeeping.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace md {

class WordCache {
 public:
  static constexpr size_t kMaxWordBytes = 64;  // longer words are not cached
  static constexpr size_t kMaxEntries = 1 << 15;

  WordCache() : slots_(kMaxEntries * 2) {}

  static uint64_t Hash(std::string_view w) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ w.size();
    size_t i = 0;
    for (; i + 8 <= w.size(); i += 8) {
      uint64_t v;
      std::memcpy(&v, w.data() + i, 8);
      h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 31;
    }
    uint64_t v = 0;
    std::memcpy(&v, w.data() + i, w.size() - i);
    h = (h ^ v) * 0x94D049BB133111EBull;
    h ^= h >> 29;
    return h | 1;  // 0 marks an empty slot
  }

  // Appends the cached ids of `word` to *out; false if it is not cached.
  bool Lookup(std::string_view word, uint64_t hash, std::vector<int32_t>* out) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return false;
      if (s.hash == hash && s.key_len == word.size() &&
          std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0) {
        out->insert(out->end(), ids_.begin() + s.ids_off, ids_.begin() + s.ids_off + s.n_ids);
        return true;
      }
    }
  }

  void Insert(std::string_view word, uint64_t hash, const int32_t* ids, size_t n) {
    if (word.size() > kMaxWordBytes || n > 0xFFFF) return;
    if (count_ >= kMaxEntries) Clear();
    const size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = {hash, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(ids_.size()),
                 static_cast<uint16_t>(word.size()), static_cast<uint16_t>(n)};
    keys_.append(word);
    ids_.insert(ids_.end(), ids, ids + n);
    ++count_;
  }

  void Clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    keys_.clear();
    ids_.clear();
    count_ = 0;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_off = 0;
    uint32_t ids_off = 0;
    uint16_t key_len = 0;
    uint16_t n_ids = 0;
  };
  std::vector<Slot> slots_;  // open addressing, at most half full
  std::string keys_;
  std::vector<int32_t> ids_;
  size_t count_ = 0;
};

}  // namespace md
