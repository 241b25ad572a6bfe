// The element-wise and row-wise operations of the model, on float arrays laid out
// row-major ([rows, n], last dimension contiguous). Matrix products are in matmul.h,
// attention in attention.h. Numerics follow llama.cpp's CPU backend where that matters
// for parity (../shared/spec/quant.md 5.3): sums of LayerNorm and softmax in double,
// GELU through the FP16 table.
#pragma once

#include <cstdint>

namespace md {

class ThreadPool;

// out[r] = (x[r] - mean) / sqrt(var + eps) * w + b for each row r of [rows, n];
// population variance. out may equal x. w and b may be null (identity).
void LayerNorm(const float* x, int64_t rows, int64_t n, const float* w, const float* b,
               float eps, float* out, ThreadPool* pool = nullptr);

// The tanh GELU in f32: 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))).
float GeluTanh(float x);

// GELU as ggml's CPU computes it: x <= -10 -> 0, x >= 10 -> x, otherwise the FP16 table
// value at fp16(x) (table[h] = fp16(GeluTanh(f32(h)))). In place over n values.
void GeluInPlace(float* x, int64_t n, ThreadPool* pool = nullptr);

// Same with exact f32 GeluTanh (no table), for comparison.
void GeluExactInPlace(float* x, int64_t n);

// dst[i] += src[i].
void AddInPlace(float* dst, const float* src, int64_t n);

// x[r][i] += bias[i] for each row of [rows, n].
void AddRowBias(float* x, int64_t rows, int64_t n, const float* bias);

// Softmax over n values in place: max subtracted, exps summed in double.
void SoftmaxInPlace(float* x, int64_t n);

// NEOX rotary embedding on the first n_rot dims of each head (dimension i paired with
// i + n_rot/2), theta_i = pos * base^(-2i/n_rot) computed iteratively in f32 as ggml
// does. x: n_tokens rows of `row_stride` floats, each holding n_head heads of head_dim;
// positions[t] is token t's position.
void RopeNeox(float* x, int64_t n_tokens, int64_t row_stride, int n_head, int head_dim, int n_rot,
              const int32_t* positions, float base);

// Rounds every value to the nearest F16 and back (RNE), in place.
void RoundToF16InPlace(float* x, int64_t n);

}  // namespace md
