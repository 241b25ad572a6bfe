// Exact scalar conversions between F32 and the two 16-bit float formats GGUF files use
// (../shared/spec/quant.md 1). Integer-only, so the result does not depend on the
// floating-point environment or on the compiler's choice of instructions:
//  - F32 -> F16: round to nearest, ties to even; overflow -> +-Inf; NaN -> 0x7E00 with
//    the input's sign (bit-identical to ggml and to x86 `vcvtps2ph` in RNE mode).
//  - F16 -> F32: exact, subnormals and Inf included; NaNs come out quiet (as F16C).
//  - F32 -> BF16: round to nearest even on the upper 16 bits; NaN forced quiet.
//  - BF16 -> F32: the 16 bits become the upper half.
#pragma once

#include <cstdint>
#include <cstring>

// The functions are `static inline`, not `inline`: the per-ISA kernel files
// (*_avx2.cc, *_avx512.cc) include this header under wider instruction-set flags, and
// with external linkage the linker could keep such a copy for callers on any CPU.
namespace md {

static inline uint32_t F32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

static inline float F32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint16_t F32ToF16(float f) {
  const uint32_t bits = F32Bits(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t x = bits & 0x7FFFFFFFu;
  if (x > 0x7F800000u) return sign | 0x7E00u;  // NaN
  // 65520 is halfway between 65504 (the largest half, odd mantissa) and 65536: it and
  // everything above round to infinity.
  if (x >= 0x477FF000u) return sign | 0x7C00u;
  if (x < 0x38800000u) {  // below 2^-14: a half subnormal (or zero)
    // 2^-25 is halfway between 0 and the smallest subnormal; ties go to the even 0.
    if (x <= 0x33000000u) return sign;
    const uint32_t e = x >> 23;                      // 102..112
    const uint32_t m = (x & 0x7FFFFFu) | 0x800000u;  // implicit one
    const uint32_t shift = 126 - e;                  // value in units of 2^-24 = m >> shift
    const uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    const uint32_t rounded = q + ((rem > half || (rem == half && (q & 1))) ? 1 : 0);
    return sign | static_cast<uint16_t>(rounded);  // may carry into 0x0400, still right
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits.
  const uint32_t r = x + 0xFFFu + ((x >> 13) & 1u);
  return sign | static_cast<uint16_t>((r - 0x38000000u) >> 13);
}

static inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) {  // Inf, or NaN made quiet as hardware conversions do
    return F32FromBits(sign | 0x7F800000u | (mant << 13) | (mant ? 0x400000u : 0u));
  }
  if (exp != 0) return F32FromBits(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return F32FromBits(sign);
  // Subnormal: normalize the mantissa into an F32 normal.
  uint32_t e = 113;
  while ((mant & 0x400u) == 0) {
    mant <<= 1;
    --e;
  }
  return F32FromBits(sign | (e << 23) | ((mant & 0x3FFu) << 13));
}

static inline uint16_t F32ToBF16(float f) {
  const uint32_t bits = F32Bits(f);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

static inline float BF16ToF32(uint16_t b) { return F32FromBits(static_cast<uint32_t>(b) << 16); }

}  // namespace md
