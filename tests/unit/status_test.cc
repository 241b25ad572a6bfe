#include "common/status.h"

#include <gtest/gtest.h>

#include "common/tensor_type.h"

namespace md {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Status UseHalf(int x, int* out) {
  MD_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::Ok();
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = DataLoss("tensor blk.0 ends past the file");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.ToString(), "data_loss: tensor blk.0 ends past the file");
  EXPECT_EQ(s.WithContext("model.gguf").message(), "model.gguf: tensor blk.0 ends past the file");
}

TEST(StatusTest, AssignOrReturnPropagates) {
  int v = 0;
  EXPECT_TRUE(UseHalf(8, &v).ok());
  EXPECT_EQ(v, 4);
  Status bad = UseHalf(3, &v);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "odd: 3");
}

TEST(TensorTypeTest, BlockGeometryMatchesSpec) {
  EXPECT_EQ(TypeInfo(TensorType::kQ4_K).block_bytes, 144u);
  EXPECT_EQ(TypeInfo(TensorType::kQ6_K).block_bytes, 210u);
  EXPECT_EQ(TypeInfo(TensorType::kQ8_0).block_bytes, 34u);
  EXPECT_EQ(RowBytes(TensorType::kQ4_0, 2048), 2048u / 32 * 18);
  EXPECT_FALSE(LookupTensorType(16).has_value());  // iq2_xxs: not supported
  EXPECT_EQ(GgmlTypeName(16), "iq2_xxs");
  EXPECT_EQ(GgmlTypeName(12), "q4_K");
}

}  // namespace
}  // namespace md
