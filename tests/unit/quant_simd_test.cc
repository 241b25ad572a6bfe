// Every SIMD kernel set this CPU runs (AVX2, AVX-512, NEON) against the scalar
// reference, for every weight type: activation quantizers must give bytes identical to
// ref::QuantizeActivationRow;
// dot products may differ only by float summation order, bounded by
// 2e-6 * sum|w_i * a_i| (+1e-30); the batched VecDotRows must equal per-row VecDot of the
// same set to the same bound. Lengths run from 0 to several vector widths (odd block
// counts included); pointers are deliberately misaligned.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ops/cpu/dispatch.h"
#include "ops/quant.h"
#include "ops/quant_reference.h"

namespace md {
namespace {

using cpu::KernelSet;

const TensorType kWeightTypes[] = {TensorType::kF32,  TensorType::kF16,  TensorType::kBF16,
                                   TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ5_0,
                                   TensorType::kQ5_1, TensorType::kQ8_0, TensorType::kQ4_K,
                                   TensorType::kQ5_K, TensorType::kQ6_K};

std::vector<float> RandomRow(std::mt19937& rng, int64_t n, float scale) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) {
    v = normal(rng);
    const int p = pick(rng);
    if (p == 0) v *= 20.0f;                 // outliers
    if (p == 1) v = 0.0f;                   // exact zeros
    if (p == 2) v = std::round(v * 4) / 4;  // exact values, ties in the quantizers
  }
  return x;
}

std::vector<int64_t> Lengths(TensorType t) {
  const int64_t bs = TypeInfo(t).block_size;
  std::vector<int64_t> ns;
  if (bs == 1) {
    for (int64_t n = 0; n <= 70; ++n) ns.push_back(n);
    for (int64_t n : {127, 128, 129, 255, 256, 1000, 2053}) ns.push_back(n);
  } else if (bs == 32) {
    for (int64_t b = 0; b <= 17; ++b) ns.push_back(b * bs);
    ns.push_back(63 * bs);
  } else {
    for (int64_t b = 0; b <= 5; ++b) ns.push_back(b * bs);
    ns.push_back(9 * bs);
  }
  return ns;
}

// A byte buffer whose data starts `misalign` bytes past a 64-byte boundary.
struct Buffer {
  Buffer(size_t n, size_t misalign) : storage(n + 64 + misalign), offset(misalign) {
    const uintptr_t p = reinterpret_cast<uintptr_t>(storage.data());
    offset += (64 - p % 64) % 64;
  }
  uint8_t* data() { return storage.data() + offset; }
  std::vector<uint8_t> storage;
  size_t offset;
};

std::vector<KernelSet> SimdSets() {
  std::vector<KernelSet> out;
  for (KernelSet s : cpu::AvailableKernelSets()) {
    if (s != KernelSet::kScalar) out.push_back(s);
  }
  return out;
}

double AbsDot(TensorType wt, const uint8_t* w, const uint8_t* a, int64_t n) {
  std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
  ref::DequantizeRow(wt, w, x.data(), n);
  ref::DequantizeRow(ActivationType(wt), a, y.data(), n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(x[i]) * y[i]);
  return s;
}

class QuantSimdTest : public ::testing::TestWithParam<KernelSet> {};

TEST_P(QuantSimdTest, ActivationBytesMatchReference) {
  const cpu::KernelTable& k = cpu::Kernels(GetParam());
  std::mt19937 rng(1234);
  int checked = 0;
  for (TensorType wt : kWeightTypes) {
    const TensorType at = ActivationType(wt);
    for (int64_t n : Lengths(at == TensorType::kQ8_K ? TensorType::kQ4_K : wt)) {
      for (size_t mis : {0, 1, 3}) {
        const std::vector<float> x0 = RandomRow(rng, n, 1.0f);
        // Misaligned floats too: copy into a buffer offset by 4 bytes * mis.
        std::vector<float> xs(x0.size() + 4);
        std::copy(x0.begin(), x0.end(), xs.begin() + static_cast<long>(mis));
        const float* x = xs.data() + mis;
        const size_t bytes = RowBytes(at, static_cast<uint64_t>(n));
        Buffer want(bytes, 0), got(bytes, mis);
        ref::QuantizeActivationRow(at, x, want.data(), n);
        k.quantize_act[static_cast<uint32_t>(at)](x, got.data(), n);
        ASSERT_EQ(std::memcmp(want.data(), got.data(), bytes), 0)
            << TypeInfo(at).name << " n=" << n << " misalign=" << mis;
        ++checked;
      }
    }
  }
  // Exact rounding ties: amax 127 makes the multiplier exactly 1 (all three round half
  // to even on the activation side).
  for (TensorType at : {TensorType::kQ8_0, TensorType::kQ8_1, TensorType::kQ8_K}) {
    std::vector<float> x(512);
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = (i % 32 == 0) ? (at == TensorType::kQ8_K ? -127.0f : 127.0f)
                           : static_cast<float>(static_cast<int>(i % 64) - 32) + 0.5f;
    }
    const size_t bytes = RowBytes(at, 512);
    Buffer want(bytes, 0), got(bytes, 0);
    ref::QuantizeActivationRow(at, x.data(), want.data(), 512);
    k.quantize_act[static_cast<uint32_t>(at)](x.data(), got.data(), 512);
    ASSERT_EQ(std::memcmp(want.data(), got.data(), bytes), 0) << TypeInfo(at).name << " ties";
    ++checked;
  }
  std::printf("%s: %d activation rows byte-identical\n",
              std::string(cpu::KernelSetName(GetParam())).c_str(), checked);
}

TEST_P(QuantSimdTest, VecDotMatchesReference) {
  const cpu::KernelTable& k = cpu::Kernels(GetParam());
  const cpu::KernelTable& scalar = cpu::Kernels(KernelSet::kScalar);
  std::mt19937 rng(99);
  int checked = 0;
  for (TensorType wt : kWeightTypes) {
    const TensorType at = ActivationType(wt);
    for (int64_t n : Lengths(wt)) {
      for (size_t mis : {0, 1, 5}) {
        const std::vector<float> xw = RandomRow(rng, n, 0.05f);
        const std::vector<float> xa = RandomRow(rng, n, 2.0f);
        Buffer w(RowBytes(wt, static_cast<uint64_t>(n)), mis);
        Buffer a(RowBytes(at, static_cast<uint64_t>(n)), mis + 2);
        ref::QuantizeRow(wt, xw.data(), w.data(), n);
        ref::QuantizeRow(at, xa.data(), a.data(), n);
        const float want = scalar.vec_dot[static_cast<uint32_t>(wt)](w.data(), a.data(), n);
        const float got = k.vec_dot[static_cast<uint32_t>(wt)](w.data(), a.data(), n);
        const double tol = 2e-6 * AbsDot(wt, w.data(), a.data(), n) + 1e-30;
        ASSERT_NEAR(got, want, tol) << TypeInfo(wt).name << " n=" << n << " misalign=" << mis;
        ++checked;
      }
    }
  }
  std::printf("%s: %d dot products within tolerance\n",
              std::string(cpu::KernelSetName(GetParam())).c_str(), checked);
}

TEST_P(QuantSimdTest, VecDotRowsMatchesVecDot) {
  const cpu::KernelTable& k = cpu::Kernels(GetParam());
  std::mt19937 rng(7);
  for (TensorType wt : kWeightTypes) {
    const TensorType at = ActivationType(wt);
    const int64_t n =
        TypeInfo(wt).block_size == 256 ? 512 : (TypeInfo(wt).block_size == 32 ? 96 : 37);
    const int64_t nw = 3;
    // Odd strides: rows packed with 3 spare bytes, so every row but the first is misaligned.
    const size_t w_stride = RowBytes(wt, static_cast<uint64_t>(n)) + 3;
    const size_t a_stride = RowBytes(at, static_cast<uint64_t>(n)) + 1;
    for (int64_t na : {1, 3, 4, 5, 9}) {
      Buffer w(w_stride * nw, 1), a(a_stride * static_cast<size_t>(na), 2);
      for (int64_t r = 0; r < nw; ++r) {
        ref::QuantizeRow(wt, RandomRow(rng, n, 0.05f).data(), w.data() + r * w_stride, n);
      }
      for (int64_t c = 0; c < na; ++c) {
        ref::QuantizeRow(at, RandomRow(rng, n, 2.0f).data(), a.data() + c * a_stride, n);
      }
      const size_t out_stride = nw + 2;
      std::vector<float> out(out_stride * static_cast<size_t>(na), -1.0f);
      k.vec_dot_rows[static_cast<uint32_t>(wt)](n, w.data(), w_stride, nw, a.data(), a_stride, na,
                                                out.data(), out_stride);
      for (int64_t c = 0; c < na; ++c) {
        for (int64_t r = 0; r < nw; ++r) {
          const uint8_t* wr = w.data() + r * w_stride;
          const uint8_t* ac = a.data() + c * a_stride;
          const float want = k.vec_dot[static_cast<uint32_t>(wt)](wr, ac, n);
          const double tol = 2e-6 * AbsDot(wt, wr, ac, n) + 1e-30;
          ASSERT_NEAR(out[c * out_stride + r], want, tol)
              << TypeInfo(wt).name << " na=" << na << " r=" << r << " c=" << c;
        }
        // Padding between output rows is left alone.
        EXPECT_EQ(out[c * out_stride + nw], -1.0f);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sets, QuantSimdTest, ::testing::ValuesIn(SimdSets()),
                         [](const ::testing::TestParamInfo<KernelSet>& info) {
                           return std::string(cpu::KernelSetName(info.param));
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(QuantSimdTest);

// The public entry points dispatch to the active set and MOONDREAM_ISA-style forcing
// works: the scalar set gives the reference's exact value.
TEST(QuantDispatchTest, ForcingScalarGivesReference) {
  std::mt19937 rng(5);
  const int64_t n = 512;
  const std::vector<float> x = RandomRow(rng, n, 0.1f), y = RandomRow(rng, n, 1.0f);
  std::vector<uint8_t> w(RowBytes(TensorType::kQ4_K, n)), a(RowBytes(TensorType::kQ8_K, n));
  QuantizeRow(TensorType::kQ4_K, x.data(), w.data(), n);
  const KernelSet before = cpu::ActiveKernelSet();
  cpu::SetActiveKernelSet(KernelSet::kScalar);
  QuantizeActivationRow(TensorType::kQ4_K, y.data(), a.data(), n);
  EXPECT_EQ(VecDot(TensorType::kQ4_K, w.data(), a.data(), n),
            ref::VecDot(TensorType::kQ4_K, w.data(), a.data(), n));
  float rows[2];
  VecDotRows(TensorType::kQ4_K, n, w.data(), 0, 2, a.data(), 0, 1, rows, 2);
  EXPECT_EQ(rows[0], rows[1]);
  cpu::SetActiveKernelSet(before);
  EXPECT_EQ(cpu::AvailableKernelSets().front(), KernelSet::kScalar);
  EXPECT_EQ(ActivationType(TensorType::kQ5_1), TensorType::kQ8_1);
  EXPECT_EQ(ActivationType(TensorType::kQ6_K), TensorType::kQ8_K);
  EXPECT_EQ(ActivationType(TensorType::kF16), TensorType::kF16);
}

}  // namespace
}  // namespace md
