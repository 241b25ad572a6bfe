#include "ops/attention.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "ops/cpu/attn_rows.h"
#include "ops/cpu/gemm_panel.h"
#include "ops/fp16.h"
#include "ops/thread_pool.h"

namespace md {

namespace {

constexpr int64_t kQueryBlock = 32;

// One query (decode): heads are split into one contiguous range per thread, so each
// thread streams its slice of every cached key and value row once, in position order.
void DecodeAttention(const float* q, const KvView& kv, int64_t q_pos0, const AttentionShape& s,
                     float* out, ThreadPool& pool, AttentionScratch& scratch) {
  const bool f16 = kv.type == TensorType::kF16;
  const int64_t hd = s.head_dim;
  DecodeAttentionArgs a;
  a.q = q;
  if (f16) {
    // The F16 path multiplies F16-rounded queries (llama.cpp converts them to F16).
    if (scratch.query.size() < static_cast<size_t>(s.n_head * hd)) {
      scratch.query.resize(s.n_head * hd);
    }
    ActiveRoundF16Row()(q, scratch.query.data(), s.n_head * hd);
    a.q = scratch.query.data();
  }
  a.k = kv.k;
  a.v = kv.v;
  a.f16 = f16;
  a.pos_stride = kv.pos_stride;
  a.head_stride = kv.head_stride;
  a.n_kv = s.causal ? std::min(kv.n, q_pos0 + 1) : kv.n;
  a.group = s.n_head / s.n_head_kv;
  a.head_dim = s.head_dim;
  a.scale = s.scale;
  a.out = out;
  const DecodeAttentionFn fn = ActiveDecodeAttention();
  const int64_t per_task = (s.n_head + pool.size() - 1) / pool.size();
  pool.ParallelFor(s.n_head, per_task, [&](int64_t h0, int64_t h1, int thread) {
    fn(a, static_cast<int>(h0), static_cast<int>(h1),
       scratch.buf.data() + static_cast<size_t>(thread) * scratch.per_thread);
  });
}

}  // namespace

void AttentionScratch::Reserve(int threads, int64_t max_kv, int head_dim) {
  // Key panels [ceil(kv / 32) * 32, hd] + value panels [ceil(hd / 32) * 32, kv] + scores
  // [qb, kv] + rounded queries [qb, hd]; the scores block also holds the decode
  // kernels' scratch.
  static_assert(kQueryBlock >= kDecodeHeadsPerPass);
  const int64_t need = (max_kv + kPanelRows) * head_dim + (head_dim + kPanelRows) * max_kv +
                       kQueryBlock * max_kv + kQueryBlock * head_dim + 64;
  if (need > per_thread || static_cast<int64_t>(buf.size()) < need * threads) {
    per_thread = std::max(per_thread, need);
    buf.resize(static_cast<size_t>(per_thread) * threads);
  }
}

void Attention(const float* q, int64_t q_stride, int64_t n_q, const KvView& kv, int64_t q_pos0,
               const AttentionShape& s, float* out, int64_t out_stride, ThreadPool& pool,
               AttentionScratch& scratch) {
  MD_CHECK(kv.type == TensorType::kF32 || kv.type == TensorType::kF16);
  MD_CHECK(s.n_head_kv > 0 && s.n_head % s.n_head_kv == 0);
  if (n_q <= 0) return;
  const int hd = s.head_dim;
  const int group = s.n_head / s.n_head_kv;
  const int64_t n_kv = kv.n;
  scratch.Reserve(pool.size(), n_kv, hd);
  if (n_q == 1) {
    DecodeAttention(q, kv, q_pos0, s, out, pool, scratch);
    return;
  }
  const bool f16 = kv.type == TensorType::kF16;
  const int64_t q_blocks = (n_q + kQueryBlock - 1) / kQueryBlock;
  const SoftmaxRowFn softmax = ActiveSoftmaxRow();
  // F16 caches: keys and value rows are widened with the SIMD row converter (exact).
  const F16ToF32RowFn widen = ActiveF16ToF32Row();

  const PanelKernelFn panel_kernel = ActivePanelKernel();
  const int64_t kp_floats = ((n_kv + kPanelRows - 1) / kPanelRows) * kPanelRows * hd;
  const int64_t v_panels = (hd + kPanelRows - 1) / kPanelRows;

  // One task per head. Its keys and values are gathered once, growing with the causal
  // horizon of each query block, and reused by all its query blocks, both packed for the
  // panel kernel (32 rows x 6 queries per step, no horizontal sums): keys in panels of 32
  // keys interleaved by dimension (scores = Q·Kᵀ), values in panels of 32 dimensions,
  // one row of 32 per key (out = P·V).
  pool.ParallelFor(s.n_head, 1, [&](int64_t h0, int64_t h1, int thread) {
    float* base = scratch.buf.data() + static_cast<size_t>(thread) * scratch.per_thread;
    float* kp = base;                           // key panels [n_kv / 32][hd][32]
    float* vp = kp + kp_floats;                 // value panels [hd / 32][n_kv][32]
    float* sc = vp + v_panels * kPanelRows * n_kv;  // [qb, n_kv]
    float* qr = sc + kQueryBlock * n_kv;        // [qb, hd]
    for (int64_t hh = h0; hh < h1; ++hh) {
      const int h = static_cast<int>(hh);
      const int g = h / group;
      int64_t gathered = 0;  // keys of this head already in kp / vp
      for (int64_t qb = 0; qb < q_blocks; ++qb) {
        const int64_t i0 = qb * kQueryBlock;
        const int64_t nq = std::min(kQueryBlock, n_q - i0);
        // Keys this block can see.
        const int64_t nk = s.causal ? std::min(n_kv, q_pos0 + i0 + nq) : n_kv;
        if (nk <= 0) {
          for (int64_t i = 0; i < nq; ++i) {
            std::fill_n(out + (i0 + i) * out_stride + h * hd, hd, 0.f);
          }
          continue;
        }
        for (int64_t j = gathered; j < nk; ++j) {
          const int64_t at = j * kv.pos_stride + g * kv.head_stride;
          float* panel = kp + (j / kPanelRows) * kPanelRows * hd;
          const int slot = static_cast<int>(j % kPanelRows);
          // A new panel starts zeroed: its unused slots feed rows that are never stored.
          if (slot == 0) std::fill_n(panel, kPanelRows * hd, 0.0f);
          const float* kr = static_cast<const float*>(kv.k) + at;
          const float* vr = static_cast<const float*>(kv.v) + at;
          if (f16) {
            // qr is free until this block's queries are rounded into it below.
            widen(static_cast<const uint16_t*>(kv.k) + at, qr, hd);
            widen(static_cast<const uint16_t*>(kv.v) + at, qr + hd, hd);
            kr = qr;
            vr = qr + hd;
          }
          for (int d = 0; d < hd; ++d) panel[d * kPanelRows + slot] = kr[d];
          for (int64_t p = 0; p < v_panels; ++p) {
            float* row = vp + (p * n_kv + j) * kPanelRows;
            const int64_t d0 = p * kPanelRows, nd = std::min<int64_t>(kPanelRows, hd - d0);
            std::copy_n(vr + d0, nd, row);
            std::fill(row + nd, row + kPanelRows, 0.0f);
          }
        }
        gathered = std::max(gathered, nk);
        const float* qbase = q + i0 * q_stride + h * hd;
        int64_t qstride = q_stride;
        if (f16) {
          for (int64_t i = 0; i < nq; ++i) {
            for (int d = 0; d < hd; ++d) {
              qr[i * hd + d] = F16ToF32(F32ToF16(qbase[i * q_stride + d]));
            }
          }
          qbase = qr;
          qstride = hd;
        }
        // scores[i, j] = q_i · k_j, 32 keys per panel
        for (int64_t j0 = 0; j0 < nk; j0 += kPanelRows) {
          panel_kernel(hd, kp + j0 * hd, qbase, qstride, nq, sc + j0, n_kv,
                       static_cast<int>(std::min<int64_t>(kPanelRows, nk - j0)));
        }
        for (int64_t i = 0; i < nq; ++i) {
          float* row = sc + i * n_kv;
          const int64_t visible = s.causal ? std::min(nk, q_pos0 + i0 + i + 1) : nk;
          softmax(row, visible, s.scale, f16);
          for (int64_t j = visible; j < nk; ++j) row[j] = 0.0f;
        }
        // out[i, d] = sum_j p[i, j] v[j, d], 32 dimensions per panel
        for (int64_t p = 0; p < v_panels; ++p) {
          panel_kernel(nk, vp + p * n_kv * kPanelRows, sc, n_kv, nq,
                       out + i0 * out_stride + h * hd + p * kPanelRows, out_stride,
                       static_cast<int>(std::min<int64_t>(kPanelRows, hd - p * kPanelRows)));
        }
      }
    }
  });
}

}  // namespace md
