// Workbench of the weight-format dot products: a 8192 x 2048 matrix (8192 rows of 2048,
// the shape of Moondream's MLP up-projection) times one activation vector, single
// thread, per weight type and per kernel set this CPU runs, with the scalar reference in
// the same run. Prints GB/s of weight bytes streamed, the speed-up over scalar, the
// fraction of this thread's measured read bandwidth, and the batched kernel
// (VecDotRows on tiles of 16 weight rows x 64 activation rows, as MatMul calls it for a
// prefill) in GMAC/s, and the largest difference of each set's matvec from the scalar
// one (relative to the largest output). Times are the best of many runs: shared
// machines preempt.
//
//   quant_bench [--rows N] [--cols N] [--types q4_K,q8_0,...] [--min-time S]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/cpu_info.h"
#include "ops/cpu/dispatch.h"
#include "ops/quant.h"
#include "ops/quant_reference.h"

namespace {

using md::TensorType;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Best-of-N time of fn, run until min_time has passed (at least 3 runs).
template <typename Fn>
double BestTime(Fn fn, double min_time) {
  double best = 1e30, total = 0;
  for (int i = 0; i < 3 || total < min_time; ++i) {
    const auto t0 = Clock::now();
    fn();
    const double s = Seconds(t0, Clock::now());
    best = std::min(best, s);
    total += s;
    if (i > 1000) break;
  }
  return best;
}

// Single-thread read bandwidth over a buffer far larger than the caches.
double ReadBandwidthGBs() {
  const size_t n = (512u << 20) / sizeof(uint64_t);
  std::vector<uint64_t> buf(n, 1);
  volatile uint64_t sink = 0;
  const double t = BestTime(
      [&] {
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t i = 0; i < n; i += 4) {
          s0 += buf[i];
          s1 += buf[i + 1];
          s2 += buf[i + 2];
          s3 += buf[i + 3];
        }
        sink = s0 + s1 + s2 + s3;
      },
      0.5);
  (void)sink;
  return static_cast<double>(n * sizeof(uint64_t)) / t / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 8192, cols = 2048;
  double min_time = 0.3;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rows") rows = std::atoll(argv[i + 1]);
    if (a == "--cols") cols = std::atoll(argv[i + 1]);
    if (a == "--types") only = argv[i + 1];
    if (a == "--min-time") min_time = std::atof(argv[i + 1]);
  }
  const double bw = ReadBandwidthGBs();
  std::printf("CPU features: %s\n", md::CpuFeatureString().c_str());
  std::printf("matrix %lld x %lld (rows x row length), single thread; read bandwidth %.1f GB/s\n\n",
              static_cast<long long>(rows), static_cast<long long>(cols), bw);
  std::printf("%-6s %-7s %9s %9s %8s %8s %14s\n", "type", "isa", "MB", "GB/s", "x scalar", "of bw",
              "batch GMAC/s");

  const TensorType types[] = {TensorType::kF32,  TensorType::kF16,  TensorType::kBF16,
                              TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_1,
                              TensorType::kQ5_0, TensorType::kQ5_1, TensorType::kQ4_K,
                              TensorType::kQ5_K, TensorType::kQ6_K};
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (TensorType wt : types) {
    const std::string name(md::TypeInfo(wt).name);
    if (!only.empty() && ("," + only + ",").find("," + name + ",") == std::string::npos) continue;
    const TensorType at = md::ActivationType(wt);
    const size_t row_bytes = md::RowBytes(wt, static_cast<uint64_t>(cols));
    const size_t act_bytes = md::RowBytes(at, static_cast<uint64_t>(cols));
    // 64 distinct quantized rows, tiled over the matrix (quantizing 16M weights with
    // the K-quant search would dominate the run).
    std::vector<uint8_t> w(row_bytes * static_cast<size_t>(rows));
    std::vector<float> x(static_cast<size_t>(cols));
    for (int64_t r = 0; r < std::min<int64_t>(rows, 64); ++r) {
      for (float& v : x) v = normal(rng);
      md::ref::QuantizeRow(wt, x.data(), w.data() + r * row_bytes, cols);
    }
    for (int64_t r = 64; r < rows; ++r) {
      std::memcpy(w.data() + r * row_bytes, w.data() + (r % 64) * row_bytes, row_bytes);
    }
    constexpr int kTokens = 64;
    std::vector<uint8_t> act(act_bytes * kTokens);
    for (int c = 0; c < kTokens; ++c) {
      for (float& v : x) v = normal(rng) * 50;
      md::ref::QuantizeRow(at, x.data(), act.data() + c * act_bytes, cols);
    }
    std::vector<float> y(static_cast<size_t>(rows) * kTokens);
    double scalar_gbs = 0;
    std::vector<float> y_ref;  // the scalar matvec, to check every set against
    for (md::cpu::KernelSet set : md::cpu::AvailableKernelSets()) {
      const md::cpu::KernelTable& k = md::cpu::Kernels(set);
      const auto dot = k.vec_dot[static_cast<uint32_t>(wt)];
      const auto dot_rows = k.vec_dot_rows[static_cast<uint32_t>(wt)];
      const double t = BestTime(
          [&] {
            for (int64_t r = 0; r < rows; ++r)
              y[r] = dot(w.data() + r * row_bytes, act.data(), cols);
          },
          min_time);
      if (set == md::cpu::KernelSet::kScalar) y_ref.assign(y.begin(), y.begin() + rows);
      double max_ref = 0, max_diff = 0;
      for (int64_t r = 0; r < rows; ++r) {
        max_ref = std::max(max_ref, std::fabs(static_cast<double>(y_ref[r])));
        max_diff = std::max(max_diff, std::fabs(static_cast<double>(y[r]) - y_ref[r]));
      }
      // A slice of the rows keeps each timed run short (a few ms), so that the best of
      // many runs is one that was not preempted.
      const int64_t batch_rows =
          std::min<int64_t>(rows, set == md::cpu::KernelSet::kScalar ? 32 : 512);
      const double t4 = BestTime(
          [&] {
            for (int64_t r = 0; r < batch_rows; r += 16) {
              dot_rows(cols, w.data() + r * row_bytes, row_bytes, std::min<int64_t>(16, rows - r),
                       act.data(), act_bytes, kTokens, y.data() + r, static_cast<size_t>(rows));
            }
          },
          min_time);
      const double gbs = static_cast<double>(w.size()) / t / 1e9;
      if (set == md::cpu::KernelSet::kScalar) scalar_gbs = gbs;
      const double gmacs =
          double{kTokens} * static_cast<double>(batch_rows) * static_cast<double>(cols) / t4 / 1e9;
      std::printf("%-6s %-7s %9.1f %9.2f %8.2f %7.0f%% %14.2f %10.1e\n", name.c_str(),
                  std::string(md::cpu::KernelSetName(set)).c_str(),
                  static_cast<double>(w.size()) / 1e6, gbs, gbs / scalar_gbs, 100.0 * gbs / bw,
                  gmacs, max_ref > 0 ? max_diff / max_ref : max_diff);
    }
  }
  return 0;
}
