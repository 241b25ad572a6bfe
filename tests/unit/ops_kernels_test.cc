// Ops against straightforward references: thread pool coverage, the F32 dot kernels of
// every available ISA against the scalar one (odd sizes, misaligned pointers), MatMul on
// every weight type against dequantize-then-multiply, LayerNorm, the GELU table, NEOX
// rope, blocked attention (causal and not, F32 and F16 caches), and the sampler.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "model/sampler.h"
#include "ops/attention.h"
#include "common/cpu_info.h"
#include "ops/cpu/attn_rows.h"
#include "ops/cpu/dispatch.h"
#include "ops/cpu/gemm_f32.h"
#include "ops/cpu/gemm_panel.h"
#include "ops/fp16.h"
#include "ops/matmul.h"
#include "ops/ops.h"
#include "ops/quant.h"
#include "ops/thread_pool.h"

namespace md {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(ThreadPool, EveryIndexExactlyOnce) {
  ThreadPool pool(3);
  for (bool guided : {false, true}) {
    for (int64_t n : {0, 1, 5, 64, 1000, 100000}) {
      for (int64_t grain : {1, 7, 100}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<int64_t> longest{0};
        const ThreadPool::RangeFn fn = [&](int64_t b, int64_t e, int t) {
          ASSERT_GE(t, 0);
          ASSERT_LT(t, 3);
          ASSERT_LT(b, e);
          if (!guided) {
            ASSERT_LE(e - b, grain);
          }
          int64_t l = longest.load();
          while (e - b > l && !longest.compare_exchange_weak(l, e - b)) {
          }
          for (int64_t i = b; i < e; ++i) hits[i]++;
        };
        if (guided) {
          pool.ParallelForGuided(n, grain, fn);
        } else {
          pool.ParallelFor(n, grain, fn);
        }
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << n << " " << grain;
        // Guided: the first claim takes about a sixth of the work (1 / (2 x 3 threads)).
        if (guided && n == 100000) {
          EXPECT_GE(longest.load(), n / 6 - 1);
        }
      }
    }
  }
}

TEST(GemmF32, EveryKernelSetMatchesScalar) {
  const std::vector<GemmF32Fn> fns = {
#if defined(__x86_64__)
      GetCpuFeatures().avx2 ? GemmF32Avx2 : nullptr,
      GetCpuFeatures().avx512f ? GemmF32Avx512 : nullptr,
#endif
  };
  for (int64_t n : {0, 1, 7, 16, 17, 33, 100}) {
    for (int64_t nw : {1, 3, 5}) {
      for (int64_t na : {1, 2, 3}) {
        // +1 float offsets: misaligned rows.
        std::vector<float> w = Random(nw * (n + 1) + 1, 1), a = Random(na * (n + 1) + 1, 2);
        std::vector<float> ref(na * nw), out(na * nw);
        GemmF32Scalar(n, w.data() + 1, n + 1, nw, a.data() + 1, n + 1, na, ref.data(), nw);
        for (GemmF32Fn fn : fns) {
          if (!fn) continue;
          fn(n, w.data() + 1, n + 1, nw, a.data() + 1, n + 1, na, out.data(), nw);
          for (size_t i = 0; i < ref.size(); ++i) {
            ASSERT_NEAR(out[i], ref[i], 1e-4f * (1 + std::fabs(ref[i]))) << n << " " << i;
          }
        }
      }
    }
  }
}

// Every weight type: MatMul equals the dot of the dequantized weights with the
// dequantized converted activations (what the int8 kernels compute exactly, up to
// float summation order).
TEST(MatMul, EveryWeightTypeMatchesDequantizedReference) {
  ThreadPool pool(2);
  MatmulScratch scratch;
  for (int64_t n_tok : {5, 20}) {  // 20: the packed-panel path for F32/F16
  const int64_t n_in = 512, n_out = 37;
  const std::vector<float> wf = Random(n_in * n_out, 3, 0.5f);
  const std::vector<float> x = Random(n_in * n_tok, 4);
  const std::vector<float> bias = Random(n_out, 5);
  for (TensorType type : {TensorType::kF32, TensorType::kF16, TensorType::kQ4_0,
                          TensorType::kQ8_0, TensorType::kQ4_K, TensorType::kQ5_K,
                          TensorType::kQ6_K}) {
    const size_t rb = RowBytes(type, n_in);
    std::vector<uint8_t> wq(rb * n_out);
    for (int64_t r = 0; r < n_out; ++r) {
      QuantizeRow(type, wf.data() + r * n_in, wq.data() + r * rb, n_in);
    }
    Tensor w;
    w.data = wq.data();
    w.type = type;
    w.ne[0] = n_in;
    w.ne[1] = n_out;
    std::vector<float> y(n_tok * n_out);
    MatMul(w, bias.data(), x.data(), n_in, n_tok, y.data(), n_out, pool, scratch);
    // Reference.
    const TensorType at = type == TensorType::kF32 ? TensorType::kF32 : ActivationType(type);
    std::vector<float> wd(n_in), xd(n_in);
    std::vector<uint8_t> xq(RowBytes(at, n_in));
    for (int64_t t = 0; t < n_tok; ++t) {
      QuantizeRow(at, x.data() + t * n_in, xq.data(), n_in);
      DequantizeRow(at, xq.data(), xd.data(), n_in);
      for (int64_t r = 0; r < n_out; ++r) {
        DequantizeRow(type, wq.data() + r * rb, wd.data(), n_in);
        double s = bias[r];
        for (int64_t k = 0; k < n_in; ++k) s += static_cast<double>(wd[k]) * xd[k];
        ASSERT_NEAR(y[t * n_out + r], s, 2e-3 * (1 + std::fabs(s)))
            << TypeInfo(type).name << " t " << t << " r " << r;
      }
    }
  }
  }
}

TEST(Ops, LayerNormMatchesDoubleReference) {
  const int64_t n = 37;
  std::vector<float> x = Random(2 * n, 6, 3.0f), w = Random(n, 7), b = Random(n, 8), out(2 * n);
  LayerNorm(x.data(), 2, n, w.data(), b.data(), 1e-5f, out.data());
  for (int r = 0; r < 2; ++r) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; ++i) mean += x[r * n + i];
    mean /= n;
    for (int i = 0; i < n; ++i) var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
    var /= n;
    for (int i = 0; i < n; ++i) {
      const double want = (x[r * n + i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i];
      EXPECT_NEAR(out[r * n + i], want, 1e-5);
    }
  }
}

TEST(Ops, GeluTableIsTheFp16RoundedTanhGelu) {
  std::vector<float> x = {-20.f, -10.f, -9.99f, -1.5f, -0.1f, 0.f, 0.3f, 1.f, 2.5f, 9.9f, 10.f, 42.f};
  std::vector<float> y = x;
  GeluInPlace(y.data(), static_cast<int64_t>(y.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    float want;
    if (x[i] <= -10.f) {
      want = 0.f;
    } else if (x[i] >= 10.f) {
      want = x[i];
    } else {
      want = F16ToF32(F32ToF16(GeluTanh(F16ToF32(F32ToF16(x[i])))));
    }
    EXPECT_EQ(y[i], want) << x[i];
    if (x[i] > -10.f && x[i] < 10.f) {
      EXPECT_NEAR(y[i], GeluTanh(x[i]), 2e-3 * (1 + std::fabs(x[i])));
    }
  }
}

// The F16C + gather GELU rows against the scalar table lookup, bit for bit, on every
// kernel set: every F16 value and the floats between neighbours (rounding ties), the
// +-10 edges, infinities, NaN, and row lengths that leave every tail size.
TEST(Ops, GeluRowsMatchScalarOnEveryKernelSet) {
  std::vector<float> x;
  for (uint32_t h = 0; h < (1u << 16); ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    x.push_back(f);
    x.push_back(std::nextafter(f, INFINITY));
    x.push_back(std::nextafter(f, -INFINITY));
  }
  for (float f : {-10.f, 10.f, std::nextafter(-10.f, 0.f), std::nextafter(10.f, 0.f), INFINITY,
                  -INFINITY, NAN, 65520.f, -65520.f, 1e-30f, -0.0f}) {
    x.push_back(f);
  }
  const auto want = [](float v) {
    if (v <= -10.f) return 0.f;
    if (v < 10.f) return F16ToF32(F32ToF16(GeluTanh(F16ToF32(F32ToF16(v)))));
    return v;
  };
  const cpu::KernelSet saved = cpu::ActiveKernelSet();
  for (cpu::KernelSet set : cpu::AvailableKernelSets()) {
    cpu::SetActiveKernelSet(set);
    for (size_t len : {x.size(), size_t{0}, size_t{1}, size_t{7}, size_t{15}, size_t{17}, size_t{33}}) {
      std::vector<float> y(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(len));
      GeluInPlace(y.data(), static_cast<int64_t>(y.size()));
      for (size_t i = 0; i < len; ++i) {
        const float w = want(x[i]);
        if (std::isnan(w)) {
          ASSERT_TRUE(std::isnan(y[i])) << cpu::KernelSetName(set) << " x " << x[i];
        } else {
          ASSERT_EQ(F32Bits(y[i]), F32Bits(w)) << cpu::KernelSetName(set) << " x " << x[i];
        }
      }
    }
  }
  cpu::SetActiveKernelSet(saved);
}

// The F16C row converters (F16 caches, F16 weights) against the scalar conversions, bit
// for bit: every F16 value and its neighbouring floats (rounding ties), overflow to
// infinity, subnormals; NaN stays NaN.
TEST(Ops, F16RowConvertersMatchScalar) {
  std::vector<float> x;
  std::vector<uint16_t> halves;
  for (uint32_t h = 0; h < (1u << 16); ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    halves.push_back(static_cast<uint16_t>(h));
    x.push_back(f);
    x.push_back(std::nextafter(f, INFINITY));
    x.push_back(std::nextafter(f, -INFINITY));
  }
  for (float f : {65520.f, 65519.99f, -65520.f, 1e-8f, 2.98e-8f, 1e30f, -0.0f}) x.push_back(f);
  std::vector<uint16_t> h16(x.size()), h16_ref(x.size());
  std::vector<float> r(x.size()), r_ref(x.size()), w(halves.size()), w_ref(halves.size());
  F32ToF16RowScalar(x.data(), h16_ref.data(), static_cast<int64_t>(x.size()));
  RoundF16RowScalar(x.data(), r_ref.data(), static_cast<int64_t>(x.size()));
  F16ToF32RowScalar(halves.data(), w_ref.data(), static_cast<int64_t>(halves.size()));
  ActiveF32ToF16Row()(x.data(), h16.data(), static_cast<int64_t>(x.size()));
  ActiveRoundF16Row()(x.data(), r.data(), static_cast<int64_t>(x.size()));
  ActiveF16ToF32Row()(halves.data(), w.data(), static_cast<int64_t>(halves.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      ASSERT_TRUE(std::isnan(F16ToF32(h16[i])) && std::isnan(r[i])) << i;
      continue;
    }
    ASSERT_EQ(h16[i], h16_ref[i]) << x[i];
    ASSERT_EQ(F32Bits(r[i]), F32Bits(r_ref[i])) << x[i];
  }
  for (size_t i = 0; i < halves.size(); ++i) {
    if (std::isnan(w_ref[i])) {
      ASSERT_TRUE(std::isnan(w[i])) << i;
    } else {
      ASSERT_EQ(F32Bits(w[i]), F32Bits(w_ref[i])) << halves[i];
    }
  }
}

TEST(Ops, RopeNeoxRotatesPairsIAndIPlusHalf) {
  const int heads = 2, hd = 8, n_rot = 4;
  std::vector<float> x = Random(heads * hd, 9), orig = x;
  const int32_t pos = 7;
  RopeNeox(x.data(), 1, heads * hd, heads, hd, n_rot, &pos, 10000.f);
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < n_rot / 2; ++i) {
      const double theta = pos * std::pow(10000.0, -2.0 * i / n_rot);
      const float a = orig[h * hd + i], b = orig[h * hd + i + n_rot / 2];
      EXPECT_NEAR(x[h * hd + i], a * std::cos(theta) - b * std::sin(theta), 1e-5);
      EXPECT_NEAR(x[h * hd + i + n_rot / 2], a * std::sin(theta) + b * std::cos(theta), 1e-5);
    }
    for (int i = n_rot; i < hd; ++i) EXPECT_EQ(x[h * hd + i], orig[h * hd + i]);
  }
}

// Attention in double precision. k, v: element (j, g, d) at j * pos_stride +
// g * head_stride + d; query head h reads kv head h / (heads / kv_heads).
void NaiveAttention(const std::vector<float>& q, const std::vector<float>& k,
                    const std::vector<float>& v, int nq, int nkv, int q_pos0, int heads,
                    int kv_heads, int hd, int64_t pos_stride, int64_t head_stride, float scale,
                    bool causal, std::vector<float>& out) {
  const int e = heads * hd;
  out.assign(nq * e, 0.f);
  for (int h = 0; h < heads; ++h) {
    const int64_t col = (h / (heads / kv_heads)) * head_stride;
    for (int i = 0; i < nq; ++i) {
      const int vis = causal ? std::min(nkv, q_pos0 + i + 1) : nkv;
      std::vector<double> s(vis);
      double mx = -1e300;
      for (int j = 0; j < vis; ++j) {
        double d = 0;
        for (int c = 0; c < hd; ++c) d += q[i * e + h * hd + c] * k[j * pos_stride + col + c];
        s[j] = d * scale;
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (double& z : s) sum += (z = std::exp(z - mx));
      for (int c = 0; c < hd; ++c) {
        double o = 0;
        for (int j = 0; j < vis; ++j) o += s[j] / sum * v[j * pos_stride + col + c];
        out[i * e + h * hd + c] = static_cast<float>(o);
      }
    }
  }
}

struct AttentionCase {
  int heads, kv_heads, hd;
  bool head_major;  // the text cache's layout, else position rows as in a qkv buffer
};

// Blocked (prefill, vision) and decode attention against the naive one, F32 and F16
// caches, on every kernel set: head_dim 20 takes the scalar decode kernel, 64 (the
// model's) the SIMD ones; grouped kv heads and both cache layouts.
TEST(Attention, MatchesNaiveOnEveryKernelSet) {
  const cpu::KernelSet saved = cpu::ActiveKernelSet();
  ThreadPool pool(2);
  for (cpu::KernelSet set : cpu::AvailableKernelSets()) {
    cpu::SetActiveKernelSet(set);
    SCOPED_TRACE(std::string(cpu::KernelSetName(set)));
    for (const AttentionCase& tc : {AttentionCase{3, 3, 20, false}, AttentionCase{6, 3, 64, true},
                                    AttentionCase{5, 5, 64, false}, AttentionCase{9, 9, 64, true}}) {
      const int heads = tc.heads, hd = tc.hd, e = heads * hd, kv_e = tc.kv_heads * hd;
      for (bool causal : {false, true}) {
        for (int nq : {1, 5, 40}) {
          AttentionScratch scratch;
          const int nkv = causal ? 77 : nq;
          const int q_pos0 = causal ? nkv - nq : 0;
          const int64_t pos_stride = tc.head_major ? hd : kv_e;
          const int64_t head_stride = tc.head_major ? static_cast<int64_t>(nkv) * hd : hd;
          std::vector<float> q = Random(nq * e, 10), k = Random(nkv * kv_e, 11),
                             v = Random(nkv * kv_e, 12);
          std::vector<float> want, got(nq * e);
          NaiveAttention(q, k, v, nq, nkv, q_pos0, heads, tc.kv_heads, hd, pos_stride, head_stride,
                         0.3f, causal, want);
          AttentionShape s{heads, tc.kv_heads, hd, 0.3f, causal};
          KvView kv{k.data(), v.data(), TensorType::kF32, pos_stride, head_stride, nkv};
          Attention(q.data(), e, nq, kv, q_pos0, s, got.data(), e, pool, scratch);
          for (size_t i = 0; i < want.size(); ++i) {
            ASSERT_NEAR(got[i], want[i], 1e-4) << "heads " << heads << " hd " << hd << " nq " << nq
                                               << " causal " << causal << " at " << i;
          }
          // F16 cache: same within F16 precision.
          std::vector<uint16_t> k16(k.size()), v16(v.size());
          for (size_t i = 0; i < k.size(); ++i) {
            k16[i] = F32ToF16(k[i]);
            v16[i] = F32ToF16(v[i]);
          }
          KvView kv16{k16.data(), v16.data(), TensorType::kF16, pos_stride, head_stride, nkv};
          Attention(q.data(), e, nq, kv16, q_pos0, s, got.data(), e, pool, scratch);
          for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-2) << i;
        }
      }
    }
  }
  cpu::SetActiveKernelSet(saved);
}

// The SIMD softmax (polynomial exp) against the scalar one (std::exp, double sum):
// every length up to 70 (vector bodies and tails), scores spread over [-40, 40].
TEST(Attention, SoftmaxRowMatchesScalarOnEveryKernelSet) {
  const cpu::KernelSet saved = cpu::ActiveKernelSet();
  for (cpu::KernelSet set : cpu::AvailableKernelSets()) {
    cpu::SetActiveKernelSet(set);
    const SoftmaxRowFn fn = ActiveSoftmaxRow();
    for (bool round_f16 : {false, true}) {
      for (int n = 1; n <= 70; ++n) {
        std::vector<float> x = Random(n, 100 + n, 40.0f), want = x;
        SoftmaxRowScalar(want.data(), n, 0.7f, round_f16);
        fn(x.data(), n, 0.7f, round_f16);
        double total = 0;
        for (int i = 0; i < n; ++i) {
          // Arguments reach 60 here, so their float rounding alone moves results by a few
          // 1e-6; F16 rounding may then land on either neighbour.
          const double tol = round_f16 ? 1e-3 * want[i] + 1e-7 : 1e-5 * want[i] + 1e-12;
          ASSERT_NEAR(x[i], want[i], tol) << cpu::KernelSetName(set) << " n " << n << " i " << i;
          total += x[i];
        }
        EXPECT_NEAR(total, 1.0, round_f16 ? 1e-2 : 1e-5);
      }
    }
  }
  cpu::SetActiveKernelSet(saved);
}

TEST(Sampler, GreedyTakesLowestIdOnTiesAndSeedsRepeat) {
  SamplingParams greedy;
  greedy.temperature = 0;
  std::vector<float> logits = {1.f, 3.f, 3.f, -1.f};
  Sampler g(greedy, 4);
  EXPECT_EQ(g.Sample(logits), 1);

  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 1.0f;
  p.seed = 99;
  std::vector<float> flat(100, 0.f);
  Sampler a(p, 100), b(p, 100);
  std::vector<int> counts(100);
  for (int i = 0; i < 200; ++i) {
    const int x = a.Sample(flat);
    EXPECT_EQ(x, b.Sample(flat));
    counts[x]++;
  }
  EXPECT_GT(std::count_if(counts.begin(), counts.end(), [](int c) { return c > 0; }), 50);

  p.top_k = 1;  // top-k 1 is greedy whatever the temperature
  Sampler k1(p, 4);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(k1.Sample(logits), 1);
  p.top_k = 0;
  p.top_p = 0.3f;  // 3 is far ahead: top-p keeps only it
  std::vector<float> peaked = {0.f, 10.f, 0.f, 0.f};
  Sampler tp(p, 4);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(tp.Sample(peaked), 1);
}

}  // namespace
}  // namespace md
