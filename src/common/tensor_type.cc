#include "common/tensor_type.h"

#include "common/check.h"

namespace md {
namespace {

constexpr TensorTypeInfo kTypes[] = {
    {TensorType::kF32, "f32", 1, 4, false},     {TensorType::kF16, "f16", 1, 2, false},
    {TensorType::kQ4_0, "q4_0", 32, 18, true},  {TensorType::kQ4_1, "q4_1", 32, 20, true},
    {TensorType::kQ5_0, "q5_0", 32, 22, true},  {TensorType::kQ5_1, "q5_1", 32, 24, true},
    {TensorType::kQ8_0, "q8_0", 32, 34, true},  {TensorType::kQ8_1, "q8_1", 32, 36, true},
    {TensorType::kQ2_K, "q2_K", 256, 84, true}, {TensorType::kQ3_K, "q3_K", 256, 110, true},
    {TensorType::kQ4_K, "q4_K", 256, 144, true}, {TensorType::kQ5_K, "q5_K", 256, 176, true},
    {TensorType::kQ6_K, "q6_K", 256, 210, true}, {TensorType::kQ8_K, "q8_K", 256, 292, true},
    {TensorType::kI8, "i8", 1, 1, false},       {TensorType::kI16, "i16", 1, 2, false},
    {TensorType::kI32, "i32", 1, 4, false},     {TensorType::kI64, "i64", 1, 8, false},
    {TensorType::kF64, "f64", 1, 8, false},     {TensorType::kBF16, "bf16", 1, 2, false},
};

// Names of the ids we recognise but do not run, so errors can name them.
constexpr std::string_view kOtherNames[] = {
    "", "", "", "", "q4_2", "q4_3", "", "", "", "", "", "", "", "", "", "", "iq2_xxs",
    "iq2_xs", "iq3_xxs", "iq1_s", "iq4_nl", "iq3_s", "iq2_s", "iq4_xs", "", "", "", "", "",
    "iq1_m", "", "q4_0_4_4", "q4_0_4_8", "q4_0_8_8", "tq1_0", "tq2_0", "iq4_nl_4_4",
    "iq4_nl_4_8", "iq4_nl_8_8", "mxfp4", "nvfp4", "q1_0", "q2_0"};

}  // namespace

std::optional<TensorTypeInfo> LookupTensorType(uint32_t ggml_id) {
  for (const TensorTypeInfo& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == ggml_id) return t;
  }
  return std::nullopt;
}

const TensorTypeInfo& TypeInfo(TensorType type) {
  for (const TensorTypeInfo& t : kTypes) {
    if (t.type == type) return t;
  }
  MD_CHECK_MSG(false, "unknown TensorType");
  return kTypes[0];
}

std::string_view GgmlTypeName(uint32_t ggml_id) {
  if (auto t = LookupTensorType(ggml_id)) return t->name;
  if (ggml_id < std::size(kOtherNames) && !kOtherNames[ggml_id].empty()) return kOtherNames[ggml_id];
  return "unknown";
}

}  // namespace md
