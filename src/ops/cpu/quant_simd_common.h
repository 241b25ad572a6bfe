// Plumbing shared by the per-ISA kernel files (quant_avx2.cc, quant_avx512.cc, ...):
// adapters from "one weight row x NA activation rows" kernels to the VecDot and
// VecDotRows entries of a KernelTable, and scalar helpers. Everything here has internal
// linkage on purpose: each including file is compiled with different instruction-set
// flags, and shared (COMDAT) copies could leak AVX-512 code into generic callers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/tensor_type.h"
#include "ops/cpu/dispatch.h"

namespace md::cpu {
namespace {  // NOLINT(build/namespaces): see the comment at the top.

// out[c] = dot(weight row w, activation row a[c]) for c < NA.
using DotNFn = void (*)(const uint8_t* w, const uint8_t* const* a, int64_t n, float* out);

template <DotNFn F1>
float VecDotOne(const void* w, const void* a, int64_t n) {
  const uint8_t* ap = static_cast<const uint8_t*>(a);
  float out;
  F1(static_cast<const uint8_t*>(w), &ap, n, &out);
  return out;
}

// Groups of four activation rows share each pass over a weight row; the weight rows of
// the call (a tile chosen by the caller) stay in cache across the groups.
template <DotNFn F1, DotNFn F4>
void VecDotRowsTiled(int64_t n, const void* w, size_t w_stride, int64_t nw, const void* a,
                     size_t a_stride, int64_t na, float* out, size_t out_stride) {
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  int64_t c = 0;
  for (; c + 4 <= na; c += 4) {
    const uint8_t* ap[4] = {ab + c * a_stride, ab + (c + 1) * a_stride, ab + (c + 2) * a_stride,
                            ab + (c + 3) * a_stride};
    for (int64_t r = 0; r < nw; ++r) {
      float o[4];
      F4(wb + r * w_stride, ap, n, o);
      for (int k = 0; k < 4; ++k) out[(c + k) * out_stride + r] = o[k];
    }
  }
  for (; c < na; ++c) {
    const uint8_t* ap = ab + c * a_stride;
    for (int64_t r = 0; r < nw; ++r) F1(wb + r * w_stride, &ap, n, &out[c * out_stride + r]);
  }
}

template <DotNFn F1, DotNFn F4>
void Register(KernelTable* t, TensorType type) {
  t->vec_dot[static_cast<uint32_t>(type)] = VecDotOne<F1>;
  t->vec_dot_rows[static_cast<uint32_t>(type)] = VecDotRowsTiled<F1, F4>;
}

// Q4_K/Q5_K packed scales -> out[0..7] = the eight 6-bit scales, out[8..15] = the mins.
// The four little-endian words of UnpackKScales' output: kernels that want the scales in a
// vector register build it from these directly, since storing bytes and reloading them
// as one 128-bit value stalls store forwarding on every block.
struct KScaleWords {
  uint32_t w[4];
};
inline KScaleWords UnpackKScaleWords(const uint8_t* packed) {
  uint32_t u[3];
  std::memcpy(u, packed, 12);
  constexpr uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
  const uint32_t sc_lo = u[0] & k6;                                       // scales 0..3
  const uint32_t sc_hi = (u[2] & k4) | (((u[0] >> 6) & k2) << 4);         // scales 4..7
  const uint32_t mn_lo = u[1] & k6;                                       // mins 0..3
  const uint32_t mn_hi = ((u[2] >> 4) & k4) | (((u[1] >> 6) & k2) << 4);  // mins 4..7
  return {{sc_lo, sc_hi, mn_lo, mn_hi}};
}

inline void UnpackKScales(const uint8_t* packed, uint8_t* out) {
  const KScaleWords k = UnpackKScaleWords(packed);
  std::memcpy(out, k.w, 16);
}

}  // namespace
}  // namespace md::cpu
