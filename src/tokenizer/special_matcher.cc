#include "tokenizer/special_matcher.h"

#include <algorithm>
#include <map>

namespace md {
namespace {

inline uint32_t PairIndex(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
inline bool TestBit(const std::vector<uint64_t>& bits, uint32_t i) {
  return (bits[i >> 6] >> (i & 63)) & 1;
}
inline void SetBit(std::vector<uint64_t>* bits, uint32_t i) { (*bits)[i >> 6] |= 1ull << (i & 63); }

}  // namespace

void SpecialMatcher::Build(const std::vector<Candidate>& candidates) {
  groups_.clear();
  any_first_pair_.assign(65536 / 64, 0);
  std::fill(std::begin(any_single_), std::end(any_single_), false);
  std::map<uint32_t, Group, std::greater<>> by_len;
  for (const Candidate& c : candidates) {
    if (c.text.empty()) continue;
    Group& g = by_len[static_cast<uint32_t>(c.text.size())];
    g.len = static_cast<uint32_t>(c.text.size());
    g.by_text.emplace(c.text, c.id);
    const auto* p = reinterpret_cast<const uint8_t*>(c.text.data());
    if (c.text.size() == 1) {
      any_single_[p[0]] = true;
    } else {
      if (g.first_pairs.empty()) g.first_pairs.assign(65536 / 64, 0);
      SetBit(&g.first_pairs, PairIndex(p));
      SetBit(&any_first_pair_, PairIndex(p));
    }
  }
  for (auto& [len, g] : by_len) groups_.push_back(std::move(g));
}

void SpecialMatcher::Find(std::string_view text, std::vector<Match>* matches) const {
  matches->clear();
  if (groups_.empty() || text.empty()) return;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  // Positions where some candidate could start.
  std::vector<size_t> starts;
  for (size_t i = 0; i < n; ++i) {
    if (any_single_[s[i]] || (i + 1 < n && TestBit(any_first_pair_, PairIndex(s + i)))) {
      starts.push_back(i);
    }
  }
  if (starts.empty()) return;
  // Groups run longest first, so every byte range already taken is at least as long as
  // the candidate being tried; such a range overlaps [i, i+len) only if it covers i or
  // i+len-1. Checking the two ends is therefore enough.
  std::vector<uint8_t> taken(n, 0);
  for (const Group& g : groups_) {
    size_t kept = 0;
    for (size_t k = 0; k < starts.size(); ++k) {
      const size_t i = starts[k];
      if (taken[i]) continue;  // drop: nothing can start inside a taken range
      bool hit = false;
      if (i + g.len <= n && !taken[i + g.len - 1] &&
          (g.len == 1 || TestBit(g.first_pairs, PairIndex(s + i)))) {
        auto it = g.by_text.find(text.substr(i, g.len));
        if (it != g.by_text.end()) {
          std::fill(taken.begin() + i, taken.begin() + i + g.len, 1);
          matches->push_back({i, g.len, it->second});
          hit = true;
        }
      }
      if (!hit) starts[kept++] = i;
    }
    starts.resize(kept);
    if (starts.empty()) break;
  }
  std::sort(matches->begin(), matches->end(),
            [](const Match& a, const Match& b) { return a.pos < b.pos; });
}

}  // namespace md
