// Finds special and user-defined tokens in raw text before the pre-tokenizer runs
// (../shared/spec/tokenizer.md 4): candidates longest first, each one carving its
// leftmost non-overlapping occurrences out of the text that no longer one has taken.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace md {

class SpecialMatcher {
 public:
  struct Candidate {
    std::string_view text;  // must outlive the matcher; never empty
    int32_t id;
  };
  struct Match {
    size_t pos;
    uint32_t len;
    int32_t id;
  };

  void Build(const std::vector<Candidate>& candidates);
  bool empty() const { return groups_.empty(); }

  // The tokens found in `text`, ordered by position. Equal-length candidates are
  // searched together, leftmost first (llama.cpp's order among them is unspecified;
  // they only differ when two such texts overlap, which no Moondream token does).
  // Cost: one pass over the text, plus work only at positions whose first two bytes
  // begin some candidate.
  void Find(std::string_view text, std::vector<Match>* matches) const;

 private:
  struct Group {
    uint32_t len = 0;
    std::unordered_map<std::string_view, int32_t> by_text;
    std::vector<uint64_t> first_pairs;  // bit (b0 << 8 | b1): some text starts b0 b1
  };
  std::vector<Group> groups_;  // longest first
  std::vector<uint64_t> any_first_pair_;
  bool any_single_[256] = {};  // one-byte candidates
};

}  // namespace md
