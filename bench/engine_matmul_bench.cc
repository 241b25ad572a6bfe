// Workbench for the engine's matrix products: MatMul on the shapes Moondream2 runs
// (vision MLP over 729 patches, text prefill over 730 positions, single-token decode),
// per weight type, printing GFLOP/s (batches) or GB/s of weights read (decode).
// Usage: engine_matmul_bench [threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#include "ops/cpu/dispatch.h"
#include "ops/matmul.h"
#include "ops/quant.h"
#include "ops/thread_pool.h"

namespace md {
namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Shape {
  const char* what;
  int64_t n_in, n_out, n_tok;
  // Distinct weight copies cycled through, so that decode reads come from DRAM as in a
  // real model (one 9 MB matrix would otherwise sit in the L3 cache).
  int copies = 1;
};

void Run(ThreadPool& pool, TensorType type, const Shape& s) {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0, 1);
  const size_t rb = RowBytes(type, s.n_in);
  const size_t mb = rb * s.n_out;
  std::vector<uint8_t> w(mb * s.copies);
  std::vector<float> row(s.n_in);
  for (int64_t r = 0; r < s.n_out; ++r) {
    for (float& v : row) v = nd(rng);
    QuantizeRow(type, row.data(), w.data() + r * rb, s.n_in);
  }
  for (int c = 1; c < s.copies; ++c) std::copy_n(w.data(), mb, w.data() + c * mb);
  std::vector<float> x(s.n_in * s.n_tok), y(s.n_out * s.n_tok);
  for (float& v : x) v = nd(rng);
  Tensor t;
  t.data = w.data();
  t.type = type;
  t.ne[0] = s.n_in;
  t.ne[1] = s.n_out;
  MatmulScratch scratch;
  MatMul(t, nullptr, x.data(), s.n_in, s.n_tok, y.data(), s.n_out, pool, scratch);
  int iters = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  double sec = 0;
  do {
    t.data = w.data() + (iters % s.copies) * mb;
    MatMul(t, nullptr, x.data(), s.n_in, s.n_tok, y.data(), s.n_out, pool, scratch);
    ++iters;
    sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (sec < 0.5);
  const double per = sec / iters;
  // CPU seconds per call spread over the threads: the rate an unloaded machine would
  // show (this machine is shared, so wall time alone understates it).
  const double cpu_per = (CpuSeconds() - cpu0) / iters / pool.size();
  const double gflops = 2.0 * s.n_in * s.n_out * s.n_tok / per / 1e9;
  const double gbs = static_cast<double>(mb) / per / 1e9;
  const double cpu_gflops = 2.0 * s.n_in * s.n_out * s.n_tok / cpu_per / 1e9;
  std::printf(
      "%-28s %-6s %6lldx%-6lld x%-4lld %9.3f ms %8.1f GFLOP/s %6.1f GB/s | per CPU-s: "
      "%8.1f GFLOP/s %6.1f GB/s\n",
      s.what, std::string(TypeInfo(type).name).c_str(), (long long)s.n_out, (long long)s.n_in,
      (long long)s.n_tok, per * 1e3, gflops, gbs, cpu_gflops,
      static_cast<double>(mb) / cpu_per / 1e9);
}

}  // namespace
}  // namespace md

int main(int argc, char** argv) {
  using namespace md;
  ThreadPool pool(argc > 1 ? std::atoi(argv[1]) : 0);
  std::printf("threads %d, kernel set %s\n", pool.size(),
              std::string(cpu::KernelSetName(cpu::ActiveKernelSet())).c_str());
  const Shape vision{"vision fc1 (729 patches)", 1152, 4304, 729};
  const Shape prefill{"text ffn_up (730 positions)", 2048, 8192, 730};
  const Shape decode{"text ffn_up (decode)", 2048, 8192, 1};
  const Shape decode_cold{"ffn_up (decode, from DRAM)", 2048, 8192, 1, 48};
  Run(pool, TensorType::kF16, vision);
  Run(pool, TensorType::kF32, vision);
  for (TensorType t : {TensorType::kF16, TensorType::kQ4_K, TensorType::kQ8_0})
    Run(pool, t, prefill);
  for (TensorType t : {TensorType::kF16, TensorType::kQ4_K, TensorType::kQ6_K, TensorType::kQ8_0}) {
    Run(pool, t, decode);
  }
  for (TensorType t : {TensorType::kQ4_K, TensorType::kQ6_K, TensorType::kQ8_0}) {
    Run(pool, t, decode_cold);
  }
  return 0;
}
