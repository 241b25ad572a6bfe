// The SIMD bodies of attn_rows.h, written once over a small vector interface and
// instantiated by attn_rows_avx2.cc (8 lanes), attn_rows_avx512.cc (16 lanes) and
// attn_rows_neon.cc (4 lanes). Like quant_simd_common.h, everything has internal
// linkage: each including file is compiled with its own instruction-set flags.
//
// A vector type V provides: kWidth, T, Zero, Set1, Load(const float*),
// Load(const uint16_t*) (F16 widened), Store, Add, Sub, Mul, Fma(a, b, c) = a * b + c,
// Max, ReduceAdd, ReduceMax, Round (to nearest integer), Pow2 (2^n for integral n in
// [-126, 127]) and RoundF16 (to the nearest F16 value).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "ops/cpu/attn_rows.h"
#include "ops/fp16.h"

namespace md {
namespace {  // NOLINT(build/namespaces): see the comment at the top.

// e^x for x in [-87.3, 88.3] (clamped outside): x = n ln2 + r with |r| <= ln2 / 2, a
// degree-6 polynomial for e^r (Cephes' expf coefficients, relative error about 1e-7),
// and 2^n put into the exponent bits.
template <class V>
inline typename V::T ExpV(typename V::T x) {
  using T = typename V::T;
  x = V::Max(V::Set1(-87.33f), x);
  x = V::Sub(V::Zero(), V::Max(V::Set1(-88.3f), V::Sub(V::Zero(), x)));  // min(x, 88.3)
  const T n = V::Round(V::Mul(x, V::Set1(1.44269504088896341f)));
  T r = V::Fma(n, V::Set1(-0.693359375f), x);  // ln2 in two parts: exact n * hi
  r = V::Fma(n, V::Set1(2.12194440e-4f), r);
  T p = V::Set1(1.9875691500e-4f);
  p = V::Fma(p, r, V::Set1(1.3981999507e-3f));
  p = V::Fma(p, r, V::Set1(8.3334519073e-3f));
  p = V::Fma(p, r, V::Set1(4.1665795894e-2f));
  p = V::Fma(p, r, V::Set1(1.6666665459e-1f));
  p = V::Fma(p, r, V::Set1(5.0000001201e-1f));
  p = V::Fma(p, V::Mul(r, r), V::Add(r, V::Set1(1.0f)));
  return V::Mul(p, V::Pow2(n));
}

template <class V>
void SoftmaxRowT(float* x, int64_t n, float scale, bool round_f16) {
  using T = typename V::T;
  constexpr int W = V::kWidth;
  if (n <= 0) return;
  const int64_t nv = n - n % W;
  T mv = V::Set1(-INFINITY);
  for (int64_t i = 0; i < nv; i += W) mv = V::Max(mv, V::Load(x + i));
  float mx = V::ReduceMax(mv);
  for (int64_t i = nv; i < n; ++i) mx = std::max(mx, x[i]);
  const float neg_m = -scale * mx;
  const T sc = V::Set1(scale), off = V::Set1(neg_m);
  T sv = V::Zero();
  for (int64_t i = 0; i < nv; i += W) {
    const T e = ExpV<V>(V::Fma(V::Load(x + i), sc, off));
    V::Store(x + i, e);
    sv = V::Add(sv, e);
  }
  float sum = V::ReduceAdd(sv);
  for (int64_t i = nv; i < n; ++i) {
    x[i] = std::exp(scale * x[i] + neg_m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  const T iv = V::Set1(inv);
  for (int64_t i = 0; i < nv; i += W) {
    T p = V::Mul(V::Load(x + i), iv);
    if (round_f16) p = V::RoundF16(p);
    V::Store(x + i, p);
  }
  for (int64_t i = nv; i < n; ++i) {
    x[i] *= inv;
    if (round_f16) x[i] = F16ToF32(F32ToF16(x[i]));
  }
}

// Decode attention for G heads starting at h, head_dim = kVec * W: G streams of keys,
// then G streams of values, in position order (contiguous in a head-major cache).
template <class V, int kVec, int G, typename E>
void DecodeHeadsT(const DecodeAttentionArgs& a, int h, float* sc) {
  using T = typename V::T;
  constexpr int W = V::kWidth;
  constexpr int HD = kVec * W;
  const E* k = static_cast<const E*>(a.k);
  const E* v = static_cast<const E*>(a.v);
  int64_t col[G];
  T q[G][kVec];
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
    col[g] = ((h + g) / a.group) * a.head_stride;
#pragma GCC unroll 8
    for (int c = 0; c < kVec; ++c) q[g][c] = V::Load(a.q + static_cast<int64_t>(h + g) * HD + c * W);
  }
  // scores
  for (int64_t j = 0; j < a.n_kv; ++j) {
    const E* kr = k + j * a.pos_stride;
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) {
      T s = V::Mul(q[g][0], V::Load(kr + col[g]));
#pragma GCC unroll 8
      for (int c = 1; c < kVec; ++c) s = V::Fma(q[g][c], V::Load(kr + col[g] + c * W), s);
      sc[g * a.n_kv + j] = V::ReduceAdd(s);
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) SoftmaxRowT<V>(sc + g * a.n_kv, a.n_kv, a.scale, a.f16);
  // values
  T o[G][kVec];
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
#pragma GCC unroll 8
    for (int c = 0; c < kVec; ++c) o[g][c] = V::Zero();
  }
  for (int64_t j = 0; j < a.n_kv; ++j) {
    const E* vr = v + j * a.pos_stride;
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) {
      const T p = V::Set1(sc[g * a.n_kv + j]);
#pragma GCC unroll 8
      for (int c = 0; c < kVec; ++c) o[g][c] = V::Fma(p, V::Load(vr + col[g] + c * W), o[g][c]);
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
#pragma GCC unroll 8
    for (int c = 0; c < kVec; ++c) V::Store(a.out + static_cast<int64_t>(h + g) * HD + c * W, o[g][c]);
  }
}

// Heads [h0, h1) of a decode step: G heads per pass, then single heads. head_dim other
// than kVec * W goes to the scalar reference.
template <class V, int kVec, int G>
void DecodeAttentionT(const DecodeAttentionArgs& a, int h0, int h1, float* scratch) {
  static_assert(G <= kDecodeHeadsPerPass);
  if (a.head_dim != kVec * V::kWidth) {
    DecodeAttentionScalar(a, h0, h1, scratch);
    return;
  }
  int h = h0;
  for (; h + G <= h1; h += G) {
    if (a.f16) {
      DecodeHeadsT<V, kVec, G, uint16_t>(a, h, scratch);
    } else {
      DecodeHeadsT<V, kVec, G, float>(a, h, scratch);
    }
  }
  for (; h < h1; ++h) {
    if (a.f16) {
      DecodeHeadsT<V, kVec, 1, uint16_t>(a, h, scratch);
    } else {
      DecodeHeadsT<V, kVec, 1, float>(a, h, scratch);
    }
  }
}

}  // namespace
}  // namespace md
