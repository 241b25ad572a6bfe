#include "ops/ops.h"

#include <cmath>
#include <vector>

#include "ops/cpu/gelu_rows.h"
#include "ops/fp16.h"
#include "ops/thread_pool.h"

namespace md {

namespace {

void LayerNormRow(const float* x, int64_t n, const float* w, const float* b, float eps,
                  float* out) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = static_cast<float>(sum / n);
  double sum2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] - mean;
    out[i] = d;
    sum2 += static_cast<double>(d) * d;
  }
  const float variance = static_cast<float>(sum2 / n);
  const float scale = 1.0f / std::sqrt(variance + eps);
  if (w != nullptr && b != nullptr) {
    for (int64_t i = 0; i < n; ++i) out[i] = out[i] * scale * w[i] + b[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] *= scale;
    if (w) for (int64_t i = 0; i < n; ++i) out[i] *= w[i];
    if (b) for (int64_t i = 0; i < n; ++i) out[i] += b[i];
  }
}

// table[h] = fp16(GeluTanh(f32(h))) for every half h, built once.
const uint16_t* GeluTable() {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t((1 << 16) + 1);  // + padding for the SIMD gathers
    for (uint32_t h = 0; h < (1u << 16); ++h) {
      t[h] = F32ToF16(GeluTanh(F16ToF32(static_cast<uint16_t>(h))));
    }
    return t;
  }();
  return table.data();
}

}  // namespace

void LayerNorm(const float* x, int64_t rows, int64_t n, const float* w, const float* b,
               float eps, float* out, ThreadPool* pool) {
  auto run = [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) LayerNormRow(x + r * n, n, w, b, eps, out + r * n);
  };
  if (pool != nullptr && rows > 8) {
    pool->ParallelFor(rows, 8, run);
  } else {
    run(0, rows, 0);
  }
}

float GeluTanh(float x) {
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  constexpr float kCoefA = 0.044715f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoefA * x * x)));
}

void GeluInPlace(float* x, int64_t n, ThreadPool* pool) {
  const uint16_t* table = GeluTable();
  const GeluTableRowFn row = ActiveGeluTableRow();
  auto run = [&](int64_t i0, int64_t i1, int) { row(table, x + i0, i1 - i0); };
  if (pool != nullptr && n > 65536) {
    pool->ParallelFor(n, 16384, run);
  } else {
    run(0, n, 0);
  }
}

void GeluExactInPlace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = GeluTanh(x[i]);
}

void AddInPlace(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

void AddRowBias(float* x, int64_t rows, int64_t n, const float* bias) {
  for (int64_t r = 0; r < rows; ++r) AddInPlace(x + r * n, bias, n);
}

void SoftmaxInPlace(float* x, int64_t n) {
  if (n <= 0) return;
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = (x[i] == -INFINITY) ? 0.0f : std::exp(x[i] - mx);
    x[i] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void RopeNeox(float* x, int64_t n_tokens, int64_t row_stride, int n_head, int head_dim, int n_rot,
              const int32_t* positions, float base) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_rot));
  const int half = n_rot / 2;
  float cs[512];  // cos, sin pairs for up to 256 rotated pairs
  for (int64_t t = 0; t < n_tokens; ++t) {
    float theta = static_cast<float>(positions[t]);
    for (int i = 0; i < half; ++i) {
      cs[2 * i] = std::cos(theta);
      cs[2 * i + 1] = std::sin(theta);
      theta *= theta_scale;
    }
    float* row = x + t * row_stride;
    for (int h = 0; h < n_head; ++h) {
      float* u = row + static_cast<int64_t>(h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const float x0 = u[i], x1 = u[i + half];
        u[i] = x0 * cs[2 * i] - x1 * cs[2 * i + 1];
        u[i + half] = x0 * cs[2 * i + 1] + x1 * cs[2 * i];
      }
    }
  }
}

void RoundToF16InPlace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = F16ToF32(F32ToF16(x[i]));
}

}  // namespace md
