#include "ops/cpu/gelu_rows.h"

#include "ops/cpu/dispatch.h"
#include "ops/fp16.h"

namespace md {

void GeluTableRowScalar(const uint16_t* table, float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (v <= -10.0f) {
      x[i] = 0.0f;
    } else if (v < 10.0f) {
      x[i] = F16ToF32(table[F32ToF16(v)]);
    }
  }
}

GeluTableRowFn ActiveGeluTableRow() {
  return cpu::PickForActiveSet<GeluTableRowFn>(GeluTableRowScalar, MD_X86_KERNEL(GeluTableRowAvx2),
                                               MD_X86_KERNEL(GeluTableRowAvx512), nullptr);
}

}  // namespace md
