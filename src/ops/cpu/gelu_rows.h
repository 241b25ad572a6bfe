// GELU through ggml's F16 table over a row of floats, in place: x <= -10 gives 0,
// -10 < x < 10 gives f32(table[f16(x)]) (round to nearest even), anything else (x >= 10,
// NaN) is kept. The SIMD versions convert with F16C and gather from the table, with
// results identical to the scalar one. The table has 65536 entries plus one of padding
// (the 32-bit gathers read two bytes past an entry).
#pragma once

#include <cstdint>

namespace md {

using GeluTableRowFn = void (*)(const uint16_t* table, float* x, int64_t n);
void GeluTableRowScalar(const uint16_t* table, float* x, int64_t n);
void GeluTableRowAvx2(const uint16_t* table, float* x, int64_t n);
void GeluTableRowAvx512(const uint16_t* table, float* x, int64_t n);
GeluTableRowFn ActiveGeluTableRow();

}  // namespace md
