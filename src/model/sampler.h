// Picking the next token from logits: greedy (temperature 0; lowest id on a tie), or
// top-k -> top-p -> min-p -> temperature -> a seeded draw, the order of llama.cpp's
// default sampler chain. Buffers are sized once; Sample allocates nothing.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "moondream/engine.h"

namespace md {

class Sampler {
 public:
  Sampler(const SamplingParams& params, int n_vocab);
  int32_t Sample(std::span<const float> logits);
  uint64_t seed() const { return seed_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
    float p;
  };
  SamplingParams params_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  std::vector<Candidate> cand_;
};

// Index of the largest value; the lowest index on an exact tie.
int32_t ArgMax(std::span<const float> v);

}  // namespace md
