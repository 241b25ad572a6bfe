// The tensor table against the counts and shapes of the real Moondream2 GGUFs
// (../shared/spec/model-gguf.md 1.2: 245 text tensors, 2.2: 457 mmproj tensors).
#include "model/tensor_table.h"

#include <set>

#include <gtest/gtest.h>

namespace md {
namespace {

TEST(TensorTable, RealTextModelHas245UniqueTensors) {
  std::vector<TensorSpec> specs = TextTensorSpecs(Moondream2TextConfig());
  EXPECT_EQ(specs.size(), 245u);
  std::set<std::string> names;
  for (const TensorSpec& s : specs) names.insert(s.gguf_name);
  EXPECT_EQ(names.size(), specs.size());
  EXPECT_EQ(specs[0].gguf_name, "token_embd.weight");
  EXPECT_EQ(ShapeString(specs[0].ne), "[2048, 51200]");
}

TEST(TensorTable, SplitQkvReplacesFused) {
  TensorTableOptions o;
  o.text_split_qkv = true;
  std::vector<TensorSpec> specs = TextTensorSpecs(Moondream2TextConfig(), o);
  EXPECT_EQ(specs.size(), 245u + 24u * 4u);
  for (const TensorSpec& s : specs) EXPECT_EQ(s.gguf_name.find("attn_qkv"), std::string::npos);
}

TEST(TensorTable, RealMmprojHas457TensorsAndLastBlockUnused) {
  TensorTableOptions o;
  o.vision_mlp_swapped = true;
  o.vision_pos_3d = true;
  std::vector<TensorSpec> specs = VisionTensorSpecs(Moondream2VisionConfig(), o);
  EXPECT_EQ(specs.size(), 457u);
  int unused = 0;
  for (const TensorSpec& s : specs) {
    unused += s.unused;
    if (s.gguf_name == "v.blk.0.ffn_down.weight") {
      EXPECT_EQ(ShapeString(s.ne), "[1152, 4304]");
    }
    if (s.gguf_name == "v.position_embd.weight") {
      EXPECT_EQ(ShapeString(s.ne), "[1152, 729, 1]");
    }
  }
  EXPECT_EQ(unused, 16);
}

TEST(TensorTable, WeightsFieldsAreBound) {
  TextWeights w;
  int bound = 0;
  ForEachTextTensor(TinyTextConfig(), {}, &w, [&](const TensorSpec&, Tensor* f) {
    ASSERT_NE(f, nullptr);
    f->data = f;  // mark
    ++bound;
  });
  EXPECT_EQ(bound, 5 + 2 * 10);
  EXPECT_TRUE(w.layers[1].down_b.present());
  EXPECT_FALSE(w.layers[1].q_w.present());
}

TEST(TensorTable, ShapeMatchIgnoresTrailingOnes) {
  const uint64_t ne3[4] = {64, 729, 1, 1};
  EXPECT_TRUE(ShapeMatches({64, 729}, ne3, 3));
  EXPECT_TRUE(ShapeMatches({64, 729, 1}, ne3, 2));
  const uint64_t bad[4] = {64, 728, 1, 1};
  EXPECT_FALSE(ShapeMatches({64, 729}, bad, 2));
  const uint64_t extra[4] = {64, 729, 2, 1};
  EXPECT_FALSE(ShapeMatches({64, 729}, extra, 3));
}

}  // namespace
}  // namespace md
