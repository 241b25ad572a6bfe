#include "model/sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace md {

int32_t ArgMax(std::span<const float> v) {
  int32_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

Sampler::Sampler(const SamplingParams& params, int n_vocab) : params_(params) {
  seed_ = params.seed != 0
              ? params.seed
              : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  rng_.seed(seed_);
  cand_.resize(n_vocab);
}

int32_t Sampler::Sample(std::span<const float> logits) {
  if (!(params_.temperature > 0.0f)) return ArgMax(logits);
  const size_t n = std::min(cand_.size(), logits.size());
  // Only candidates within 30 (nats, before temperature) of the best can matter: the
  // rest together hold under n * e^-30 of the probability. Sorting just those keeps a
  // sampled step from sorting the whole vocabulary.
  float mx = -INFINITY;
  for (size_t i = 0; i < n; ++i) mx = std::max(mx, logits[i]);
  const float cutoff = mx - 30.0f * std::max(1.0f, params_.temperature);
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    if (logits[i] >= cutoff) cand_[m++] = {static_cast<int32_t>(i), logits[i], 0.0f};
  }
  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  // top-k
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < m) {
    std::partial_sort(cand_.begin(), cand_.begin() + params_.top_k, cand_.begin() + m, by_logit);
    m = params_.top_k;
  } else {
    std::sort(cand_.begin(), cand_.begin() + m, by_logit);
  }
  // Probabilities of the untempered logits, for top-p and min-p.
  auto softmax = [&](float temp) {
    const float mx = cand_[0].logit;
    double sum = 0;
    for (size_t i = 0; i < m; ++i) {
      cand_[i].p = std::exp((cand_[i].logit - mx) / temp);
      sum += cand_[i].p;
    }
    for (size_t i = 0; i < m; ++i) cand_[i].p = static_cast<float>(cand_[i].p / sum);
  };
  softmax(1.0f);
  if (params_.top_p > 0.0f && params_.top_p < 1.0f) {
    double cum = 0;
    size_t keep = m;
    for (size_t i = 0; i < m; ++i) {
      cum += cand_[i].p;
      if (cum >= params_.top_p) {
        keep = i + 1;
        break;
      }
    }
    m = std::max<size_t>(1, keep);
  }
  if (params_.min_p > 0.0f) {
    const float floor = cand_[0].p * params_.min_p;
    size_t keep = 1;
    while (keep < m && cand_[keep].p >= floor) ++keep;
    m = keep;
  }
  softmax(params_.temperature);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const double r = uni(rng_);
  double cum = 0;
  for (size_t i = 0; i < m; ++i) {
    cum += cand_[i].p;
    if (r < cum) return cand_[i].id;
  }
  return cand_[m - 1].id;
}

}  // namespace md
