// y = x · Wᵀ + b for a weight matrix in its stored type (F32, F16, BF16, legacy and
// K-quants), over a batch of tokens, on all threads of a pool.
//
// As llama.cpp's CPU backend (../shared/spec/quant.md 5): each activation row is first
// converted once to ActivationType(W.type) (F16 for F16 weights, Q8_0 for Q4_0/Q8_0,
// Q8_K for K-quants) into caller-owned scratch, then every output is a dot product of a
// weight row with a converted activation row. The weights are never copied or
// dequantized as a whole.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/tensor.h"

namespace md {

class ThreadPool;

// Buffers a MatMul call needs; reserve them once (Reserve) so no call allocates.
struct MatmulScratch {
  std::vector<uint8_t> act;    // converted activations
  std::vector<float> act_f32;  // F16-rounded activations for the packed F16 path
  std::vector<float> panels;   // per-thread packed weight panels
  // Grows the buffers for `n_tokens` rows of `n_in` inputs multiplied with `type`.
  void Reserve(TensorType type, int64_t n_in, int64_t n_tokens);
};

// y[t * y_stride + r] = sum_k x[t * x_stride + k] * W[r, k] + bias[r]   (bias may be null)
// for t < n_tokens, r < W.rows(); k < W.cols(). x and y must not overlap.
void MatMul(const Tensor& w, const float* bias, const float* x, int64_t x_stride,
            int64_t n_tokens, float* y, int64_t y_stride, ThreadPool& pool,
            MatmulScratch& scratch);

// Bytes one activation row of n_in values takes when converted for `weight_type`.
size_t ActivationRowBytes(TensorType weight_type, int64_t n_in);

}  // namespace md
