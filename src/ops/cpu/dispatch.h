// Kernel sets for the weight-format operations of ops/quant.h, and the run-time choice
// between them. One table per instruction set; a set starts as a copy of the one below
// it (scalar <- avx2 <- avx512) and replaces the entries it accelerates, so every entry
// is always callable. Tests and benchmarks use this header to run each set side by
// side; the rest of the program calls ops/quant.h, which uses ActiveKernelSet().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace md::cpu {

enum class KernelSet { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3 };

std::string_view KernelSetName(KernelSet set);

// Dot product of one weight row (n elements) with one converted activation row.
using VecDotFn = float (*)(const void* w, const void* a, int64_t n);
// out[c * out_stride + r] = dot(weight row r, activation row c), r < nw, c < na.
using VecDotRowsFn = void (*)(int64_t n, const void* w, size_t w_stride, int64_t nw, const void* a,
                              size_t a_stride, int64_t na, float* out, size_t out_stride);
// Converts n floats to an activation format.
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);

inline constexpr int kMaxTypeId = 32;  // ggml ids used here are all below this

struct KernelTable {
  KernelSet set = KernelSet::kScalar;
  VecDotFn vec_dot[kMaxTypeId] = {};           // by weight type id
  VecDotRowsFn vec_dot_rows[kMaxTypeId] = {};  // by weight type id
  QuantizeFn quantize_act[kMaxTypeId] = {};    // by activation type id
};

// The sets this CPU can run, scalar first, best last.
std::vector<KernelSet> AvailableKernelSets();

// The table of `set`; the set must be available.
const KernelTable& Kernels(KernelSet set);

// The set ops/quant.h uses: the best available, or MOONDREAM_ISA=scalar|avx2|avx512|neon
// when set (an unavailable or unknown value falls back to the best, with a warning).
KernelSet ActiveKernelSet();

// Overrides the active set (tests, benchmarks). Not thread-safe against running kernels.
void SetActiveKernelSet(KernelSet set);

// Picks, for the active kernel set, one of a function's per-set versions; a set without
// its own (nullptr) falls back to AVX2 for AVX-512, then to scalar. Versions for another
// architecture are named through MD_X86_KERNEL / MD_ARM_KERNEL, which give nullptr
// where those files are not built.
template <typename Fn>
Fn PickForActiveSet(Fn scalar, Fn avx2, Fn avx512, Fn neon) {
  switch (ActiveKernelSet()) {
    case KernelSet::kAvx512:
      if (avx512 != nullptr) return avx512;
      [[fallthrough]];
    case KernelSet::kAvx2:
      if (avx2 != nullptr) return avx2;
      break;
    case KernelSet::kNeon:
      if (neon != nullptr) return neon;
      break;
    case KernelSet::kScalar:
      break;
  }
  return scalar;
}

#if defined(__x86_64__) || defined(_M_X64)
#define MD_X86_KERNEL(fn) (fn)
#else
#define MD_X86_KERNEL(fn) nullptr
#endif
#if defined(__aarch64__)
#define MD_ARM_KERNEL(fn) (fn)
#else
#define MD_ARM_KERNEL(fn) nullptr
#endif

// Filled by the per-ISA files; each adds its kernels on top of what `t` holds.
void AddScalarKernels(KernelTable* t);
void AddAvx2Kernels(KernelTable* t);
void AddAvx512Kernels(KernelTable* t);
void AddNeonKernels(KernelTable* t);

}  // namespace md::cpu
