#include "ops/matmul.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/check.h"
#include "ops/cpu/dispatch.h"
#include "ops/cpu/gemm_f32.h"
#include "ops/cpu/gemm_panel.h"
#include "ops/fp16.h"
#include "ops/quant.h"
#include "ops/thread_pool.h"

namespace md {

namespace {

// Rows of W and tokens handled by one task. The weight block (kRowBlock rows) stays in
// L1/L2 while it meets every token of the block.
constexpr int64_t kRowBlock = 16;
constexpr int64_t kTokenBlock = 64;

// Calls fn(r0, nr, t0, nt) for every tile of up to kRowBlock weight rows x kTokenBlock
// tokens, on all threads of the pool. When every token fits one token block (decode,
// short prompts), threads claim runs of consecutive row blocks that shrink as the matrix
// runs out (guided): long sequential streams keep the hardware prefetcher going and the
// shared work counter quiet, and the small last runs let the threads finish together.
// Claiming single 16-row blocks held Q4_K decode to 12 GB/s from DRAM on 2 threads;
// runs reach 20-29 GB/s (bench/engine_matmul_bench).
template <typename Fn>
void ForEachTile(int64_t n_out, int64_t n_tokens, ThreadPool& pool, const Fn& fn) {
  const int64_t row_blocks = (n_out + kRowBlock - 1) / kRowBlock;
  const int64_t tok_blocks = (n_tokens + kTokenBlock - 1) / kTokenBlock;
  const auto tiles = [&](int64_t b0, int64_t b1, int) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = (b % row_blocks) * kRowBlock;
      const int64_t t0 = (b / row_blocks) * kTokenBlock;
      fn(r0, std::min(kRowBlock, n_out - r0), t0, std::min(kTokenBlock, n_tokens - t0));
    }
  };
  if (tok_blocks > 1) {
    pool.ParallelFor(row_blocks * tok_blocks, 1, tiles);
  } else {
    pool.ParallelForGuided(row_blocks, 1, tiles);
  }
}

// Batches at least this long use packed panels for F32/F16 weights.
constexpr int64_t kPanelMinTokens = 8;
// Tokens per task: large enough that each panel is packed only a few times (729 -> 3).
constexpr int64_t kPanelTokenBlock = 246;

// y = x Wᵀ for F32 or F16 weights over a batch: each task packs one panel of kPanelRows
// rows (F16 widened exactly; ggml rounds the activations to F16 for F16 weights, so
// the products are the same) and runs it against a block of tokens.
void MatMulPanels(const Tensor& w, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
                  int64_t y_stride, ThreadPool& pool, MatmulScratch& scratch) {
  const int64_t k = w.cols(), n_out = w.rows();
  const bool f16 = w.type == TensorType::kF16;
  const float* xa = x;
  int64_t xs = x_stride;
  if (f16) {
    if (scratch.act_f32.size() < static_cast<size_t>(n_tokens * k)) {
      scratch.act_f32.resize(n_tokens * k);
    }
    float* r = scratch.act_f32.data();
    const RoundF16RowFn round_row = ActiveRoundF16Row();
    pool.ParallelFor(n_tokens, 16, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t) round_row(x + t * x_stride, r + t * k, k);
    });
    xa = r;
    xs = k;
  }
  // Per thread: the panel, then one widened row.
  const size_t per_thread = static_cast<size_t>(k) * (kPanelRows + 1);
  if (scratch.panels.size() < per_thread * pool.size()) {
    scratch.panels.resize(per_thread * pool.size());
  }
  const F16ToF32RowFn widen = ActiveF16ToF32Row();
  const int64_t n_panels = (n_out + kPanelRows - 1) / kPanelRows;
  const int64_t n_tb = (n_tokens + kPanelTokenBlock - 1) / kPanelTokenBlock;
  const PanelKernelFn kernel = ActivePanelKernel();
  pool.ParallelFor(n_panels * n_tb, 1, [&](int64_t b0, int64_t b1, int thread) {
    float* panel = scratch.panels.data() + per_thread * thread;
    float* wide = panel + k * kPanelRows;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t p = b % n_panels, tb = b / n_panels;
      const int64_t r0 = p * kPanelRows;
      const int nr = static_cast<int>(std::min<int64_t>(kPanelRows, n_out - r0));
      for (int r = 0; r < kPanelRows; ++r) {
        if (r >= nr) {
          for (int64_t i = 0; i < k; ++i) panel[i * kPanelRows + r] = 0.0f;
        } else if (f16) {
          widen(reinterpret_cast<const uint16_t*>(w.row(r0 + r)), wide, k);
          for (int64_t i = 0; i < k; ++i) panel[i * kPanelRows + r] = wide[i];
        } else {
          const float* src = w.f32() + (r0 + r) * k;
          for (int64_t i = 0; i < k; ++i) panel[i * kPanelRows + r] = src[i];
        }
      }
      const int64_t t0 = tb * kPanelTokenBlock;
      const int64_t nt = std::min(kPanelTokenBlock, n_tokens - t0);
      kernel(k, panel, xa + t0 * xs, xs, nt, y + t0 * y_stride + r0, y_stride, nr);
    }
  });
}

}  // namespace

size_t ActivationRowBytes(TensorType weight_type, int64_t n_in) {
  if (weight_type == TensorType::kF32) return static_cast<size_t>(n_in) * sizeof(float);
  return RowBytes(ActivationType(weight_type), static_cast<uint64_t>(n_in));
}

void MatmulScratch::Reserve(TensorType type, int64_t n_in, int64_t n_tokens) {
  if (type == TensorType::kF32) return;
  const size_t need = ActivationRowBytes(type, n_in) * static_cast<size_t>(n_tokens);
  if (act.size() < need) act.resize(need);
}

void MatMul(const Tensor& w, const float* bias, const float* x, int64_t x_stride, int64_t n_tokens,
            float* y, int64_t y_stride, ThreadPool& pool, MatmulScratch& scratch) {
  const int64_t n_in = w.cols();
  const int64_t n_out = w.rows();
  MD_CHECK(w.present());
  if (n_tokens <= 0 || n_out <= 0) return;

  if ((w.type == TensorType::kF32 || w.type == TensorType::kF16) && n_tokens >= kPanelMinTokens) {
    MatMulPanels(w, x, x_stride, n_tokens, y, y_stride, pool, scratch);
  } else if (w.type == TensorType::kF32) {
    const GemmF32Fn gemm = ActiveGemmF32();
    ForEachTile(n_out, n_tokens, pool, [&](int64_t r0, int64_t nr, int64_t t0, int64_t nt) {
      gemm(n_in, w.f32() + r0 * n_in, n_in, nr, x + t0 * x_stride, x_stride, nt,
           y + t0 * y_stride + r0, y_stride);
    });
  } else {
    const size_t act_bytes = ActivationRowBytes(w.type, n_in);
    scratch.Reserve(w.type, n_in, n_tokens);
    uint8_t* act = scratch.act.data();
    pool.ParallelFor(n_tokens, 1, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t) {
        QuantizeActivationRow(w.type, x + t * x_stride, act + t * act_bytes, n_in);
      }
    });
    const cpu::KernelTable& k = cpu::Kernels(cpu::ActiveKernelSet());
    const cpu::VecDotRowsFn rows_fn = k.vec_dot_rows[static_cast<uint32_t>(w.type)];
    MD_CHECK(rows_fn != nullptr);
    const size_t w_stride = w.row_bytes();
    ForEachTile(n_out, n_tokens, pool, [&](int64_t r0, int64_t nr, int64_t t0, int64_t nt) {
      rows_fn(n_in, w.row(r0), w_stride, nr, act + t0 * act_bytes, act_bytes, nt,
              y + t0 * y_stride + r0, static_cast<size_t>(y_stride));
    });
  }
  if (bias != nullptr) {
    for (int64_t t = 0; t < n_tokens; ++t) {
      float* yr = y + t * y_stride;
      for (int64_t r = 0; r < n_out; ++r) yr[r] += bias[r];
    }
  }
}

}  // namespace md
