#include "ops/attention.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "ops/cpu/gemm_f32.h"
#include "ops/fp16.h"
#include "ops/thread_pool.h"

namespace md {

namespace {

constexpr int64_t kQueryBlock = 32;

}  // namespace

void AttentionScratch::Reserve(int threads, int64_t max_kv, int head_dim) {
  // K copy [kv, hd] + Vᵀ [hd, kv] + scores [qb, kv] + rounded queries [qb, hd].
  const int64_t need = 2 * max_kv * head_dim + kQueryBlock * max_kv + kQueryBlock * head_dim + 64;
  if (need > per_thread || static_cast<int64_t>(buf.size()) < need * threads) {
    per_thread = std::max(per_thread, need);
    buf.resize(static_cast<size_t>(per_thread) * threads);
  }
}

void Attention(const float* q, int64_t q_stride, int64_t n_q, const void* k, const void* v,
               TensorType kv_type, int64_t kv_stride, int64_t n_kv, int64_t q_pos0,
               const AttentionShape& s, float* out, int64_t out_stride, ThreadPool& pool,
               AttentionScratch& scratch) {
  MD_CHECK(kv_type == TensorType::kF32 || kv_type == TensorType::kF16);
  MD_CHECK(s.n_head_kv > 0 && s.n_head % s.n_head_kv == 0);
  if (n_q <= 0) return;
  const int hd = s.head_dim;
  const int group = s.n_head / s.n_head_kv;
  scratch.Reserve(pool.size(), n_kv, hd);
  const bool f16 = kv_type == TensorType::kF16;
  const int64_t q_blocks = (n_q + kQueryBlock - 1) / kQueryBlock;
  const GemmF32Fn gemm = ActiveGemmF32();

  pool.ParallelFor(s.n_head * q_blocks, 1, [&](int64_t t0, int64_t t1, int thread) {
    float* base = scratch.buf.data() + static_cast<size_t>(thread) * scratch.per_thread;
    float* kh = base;                         // [n_kv, hd] (F16 caches only)
    float* vt = kh + n_kv * hd;               // [hd, n_kv]
    float* sc = vt + n_kv * hd;               // [qb, n_kv]
    float* qr = sc + kQueryBlock * n_kv;      // [qb, hd]
    int cached_head = -1;
    int64_t cached_nk = -1;
    for (int64_t t = t0; t < t1; ++t) {
      const int h = static_cast<int>(t / q_blocks);
      const int64_t i0 = (t % q_blocks) * kQueryBlock;
      const int64_t nq = std::min(kQueryBlock, n_q - i0);
      const int g = h / group;
      // Keys this block can see.
      const int64_t nk = s.causal ? std::min(n_kv, q_pos0 + i0 + nq) : n_kv;
      if (nk <= 0) {
        for (int64_t i = 0; i < nq; ++i) std::fill_n(out + (i0 + i) * out_stride + h * hd, hd, 0.f);
        continue;
      }
      // Gather this kv head as F32: K rows (F16 only) and Vᵀ.
      if (cached_head != g || cached_nk < nk) {
        for (int64_t j = 0; j < nk; ++j) {
          if (f16) {
            const uint16_t* kr = static_cast<const uint16_t*>(k) + j * kv_stride + g * hd;
            const uint16_t* vr = static_cast<const uint16_t*>(v) + j * kv_stride + g * hd;
            for (int d = 0; d < hd; ++d) {
              kh[j * hd + d] = F16ToF32(kr[d]);
              vt[d * n_kv + j] = F16ToF32(vr[d]);
            }
          } else {
            const float* vr = static_cast<const float*>(v) + j * kv_stride + g * hd;
            for (int d = 0; d < hd; ++d) vt[d * n_kv + j] = vr[d];
          }
        }
        cached_head = g;
        cached_nk = nk;
      }
      const float* kbase;
      int64_t kstride;
      if (f16) {
        kbase = kh;
        kstride = hd;
      } else {
        kbase = static_cast<const float*>(k) + g * hd;
        kstride = kv_stride;
      }
      const float* qbase = q + i0 * q_stride + h * hd;
      int64_t qstride = q_stride;
      if (f16) {
        for (int64_t i = 0; i < nq; ++i) {
          for (int d = 0; d < hd; ++d) qr[i * hd + d] = F16ToF32(F32ToF16(qbase[i * q_stride + d]));
        }
        qbase = qr;
        qstride = hd;
      }
      // scores[i, j] = q_i · k_j
      gemm(hd, kbase, kstride, nk, qbase, qstride, nq, sc, n_kv);
      for (int64_t i = 0; i < nq; ++i) {
        float* row = sc + i * n_kv;
        const int64_t visible = s.causal ? std::min(nk, q_pos0 + i0 + i + 1) : nk;
        float mx = -INFINITY;
        for (int64_t j = 0; j < visible; ++j) {
          row[j] *= s.scale;
          mx = std::max(mx, row[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          const float e = std::exp(row[j] - mx);
          row[j] = e;
          sum += e;
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t j = 0; j < visible; ++j) row[j] *= inv;
        for (int64_t j = visible; j < nk; ++j) row[j] = 0.0f;
        if (f16) {
          for (int64_t j = 0; j < visible; ++j) row[j] = F16ToF32(F32ToF16(row[j]));
        }
      }
      // out[i, d] = sum_j p[i, j] v[j, d]
      gemm(nk, vt, n_kv, hd, sc, n_kv, nq, out + i0 * out_stride + h * hd, out_stride);
    }
  });
}

}  // namespace md
