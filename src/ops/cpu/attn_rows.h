// Row kernels of attention that are not matrix products: a softmax over one row of
// scores, and single-query (decode) attention over a key/value cache for a range of
// heads. Decode reads each cached key and value once per token, so it is a stream over
// memory; these kernels keep the arithmetic (dot, exp, scaled adds) out of its way.
// Scalar reference plus AVX2, AVX-512 and NEON versions chosen with the active kernel
// set.
#pragma once

#include <cstdint>

namespace md {

// x[i] = exp(scale * x[i] - max_j scale * x[j]) / sum, for i < n (scale > 0); with
// round_f16 the results are rounded to F16 (as llama.cpp rounds probabilities before
// multiplying them with an F16 value cache).
using SoftmaxRowFn = void (*)(float* x, int64_t n, float scale, bool round_f16);
void SoftmaxRowScalar(float* x, int64_t n, float scale, bool round_f16);
void SoftmaxRowAvx2(float* x, int64_t n, float scale, bool round_f16);
void SoftmaxRowAvx512(float* x, int64_t n, float scale, bool round_f16);
void SoftmaxRowNeon(float* x, int64_t n, float scale, bool round_f16);
SoftmaxRowFn ActiveSoftmaxRow();

// One query against keys 0..n_kv-1 of a cache (F32 or F16; kv head g at position j
// starts at element j * pos_stride + g * head_stride), query head h reading kv head
// h / group.
struct DecodeAttentionArgs {
  const float* q = nullptr;  // n_head * head_dim (F16-rounded by the caller for F16 caches)
  const void* k = nullptr;
  const void* v = nullptr;
  bool f16 = false;
  int64_t pos_stride = 0;
  int64_t head_stride = 0;
  int64_t n_kv = 0;
  int group = 1;
  int head_dim = 0;
  float scale = 1.0f;
  float* out = nullptr;  // n_head * head_dim
};

// Heads the SIMD kernels handle per pass (the scores of that many heads are live).
inline constexpr int kDecodeHeadsPerPass = 4;

// Computes out for heads [h0, h1); scratch holds kDecodeHeadsPerPass * n_kv floats.
using DecodeAttentionFn = void (*)(const DecodeAttentionArgs& a, int h0, int h1, float* scratch);
void DecodeAttentionScalar(const DecodeAttentionArgs& a, int h0, int h1, float* scratch);
void DecodeAttentionAvx2(const DecodeAttentionArgs& a, int h0, int h1, float* scratch);
void DecodeAttentionAvx512(const DecodeAttentionArgs& a, int h0, int h1, float* scratch);
void DecodeAttentionNeon(const DecodeAttentionArgs& a, int h0, int h1, float* scratch);
DecodeAttentionFn ActiveDecodeAttention();

}  // namespace md
