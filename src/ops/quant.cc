// Public weight-format operations: thin dispatch onto the active kernel set.
#include "ops/quant.h"

#include "common/check.h"
#include "ops/cpu/dispatch.h"
#include "ops/quant_reference.h"

namespace md {
namespace {

uint32_t Id(TensorType t) {
  const uint32_t id = static_cast<uint32_t>(t);
  MD_CHECK_MSG(id < cpu::kMaxTypeId, "tensor type id out of range");
  return id;
}

const cpu::KernelTable& Table() { return cpu::Kernels(cpu::ActiveKernelSet()); }

}  // namespace

void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n) {
  ref::DequantizeRow(type, src, dst, n);
}

void QuantizeRow(TensorType type, const float* src, void* dst, int64_t n) {
  ref::QuantizeRow(type, src, dst, n);
}

bool CanQuantize(TensorType type) { return ref::CanQuantize(type); }

TensorType ActivationType(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
    case TensorType::kQ8_0:
      return TensorType::kQ8_0;
    case TensorType::kQ4_1:
    case TensorType::kQ5_1:
      return TensorType::kQ8_1;
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return TensorType::kQ8_K;
    case TensorType::kF16:
      return TensorType::kF16;
    case TensorType::kBF16:
      return TensorType::kBF16;
    default:
      return TensorType::kF32;
  }
}

void QuantizeActivationRow(TensorType weight_type, const float* src, void* dst, int64_t n) {
  const cpu::QuantizeFn fn = Table().quantize_act[Id(ActivationType(weight_type))];
  MD_CHECK_MSG(fn != nullptr, "QuantizeActivationRow: unsupported type");
  fn(src, dst, n);
}

float VecDot(TensorType weight_type, const void* w, const void* a, int64_t n) {
  const cpu::VecDotFn fn = Table().vec_dot[Id(weight_type)];
  MD_CHECK_MSG(fn != nullptr, "VecDot: unsupported weight type");
  return fn(w, a, n);
}

void VecDotRows(TensorType weight_type, int64_t n, const void* w, size_t w_stride, int64_t nw,
                const void* a, size_t a_stride, int64_t na, float* out, size_t out_stride) {
  const cpu::VecDotRowsFn fn = Table().vec_dot_rows[Id(weight_type)];
  MD_CHECK_MSG(fn != nullptr, "VecDotRows: unsupported weight type");
  fn(n, w, w_stride, nw, a, a_stride, na, out, out_stride);
}

}  // namespace md
