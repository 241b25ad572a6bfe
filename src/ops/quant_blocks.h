// Byte layouts of the quantized block formats (../shared/spec/quant.md 2-3), shared by
// the scalar reference and the SIMD kernels. Internal to src/ops: the rest of the
// program sees rows of bytes and TensorType only.
//
// Rows may start at any address (a tensor inside a mapped file, a test's deliberately
// misaligned buffer), so kernels never dereference these structs through a pointer:
// they use them for sizeof/offsetof and read multi-byte fields with the Load helpers
// below (memcpy, which compiles to a plain unaligned load).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ops/fp16.h"

namespace md::quant {

inline constexpr int kQK = 32;     // elements per legacy block
inline constexpr int kQK_K = 256;  // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;

struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;  // fp16(d * sum(qs))
  int8_t qs[kQK];
};
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d;
  uint16_t dmin;
};
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// static: see ops/fp16.h (these are compiled into the per-ISA files too).
template <typename T>
static inline T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
static inline void Store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}
static inline float LoadF16(const uint8_t* p) { return F16ToF32(Load<uint16_t>(p)); }
static inline void StoreF16(uint8_t* p, float f) { Store<uint16_t>(p, F32ToF16(f)); }

// The 6-bit (scale, min) pair of sub-block j (0..7) of a Q4_K/Q5_K super-block.
static inline void KScaleMin(int j, const uint8_t* q, uint8_t* sc, uint8_t* mn) {
  if (j < 4) {
    *sc = q[j] & 63;
    *mn = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
    *mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Signed 6-bit scale j (0..15) of a Q3_K super-block.
static inline int Q3KScale(int j, const uint8_t* s) {
  const int lo4 = (j < 8) ? (s[j] & 0xF) : (s[j - 8] >> 4);
  const int hi2 = (s[8 + (j % 4)] >> (2 * (j / 4))) & 3;
  return (lo4 | (hi2 << 4)) - 32;
}

}  // namespace md::quant
