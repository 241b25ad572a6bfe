// Shared by the engine golden tests: comparing our tensors with llama.cpp's, printing
// the max difference per tensor (llm.c style).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace md::test {

struct Diff {
  double max_abs = 0;
  double max_ref = 0;
  size_t worst = 0;
};

inline Diff Compare(const float* ours, const std::vector<float>& ref) {
  Diff d;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double e = std::fabs(static_cast<double>(ours[i]) - ref[i]);
    if (!(e <= d.max_abs)) {  // also catches NaN
      d.max_abs = std::isnan(e) ? INFINITY : e;
      d.worst = i;
    }
    d.max_ref = std::max(d.max_ref, std::fabs(static_cast<double>(ref[i])));
  }
  return d;
}

// Prints "name  max|diff| ... (max|ref| ...)" and checks the tolerance.
inline void ExpectClose(const std::string& name, const float* ours, size_t n,
                        const std::vector<float>& ref, double tol) {
  ASSERT_EQ(n, ref.size()) << name;
  const Diff d = Compare(ours, ref);
  std::printf("  %-48s max|diff| %.3e  (max|ref| %.3f, tol %.1e)\n", name.c_str(), d.max_abs,
              d.max_ref, tol);
  EXPECT_LE(d.max_abs, tol) << name << ": worst element " << d.worst << " ours "
                            << ours[d.worst] << " ref " << ref[d.worst];
}

inline double Correlation(const float* a, const std::vector<float>& b) {
  double ma = 0, mb = 0;
  const size_t n = b.size();
  for (size_t i = 0; i < n; ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

}  // namespace md::test
