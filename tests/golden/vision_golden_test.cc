// The vision tower and projector against llama.cpp's numbers on the tiny mmproj
// (testdata/golden/README.md): intermediate tensors of the scene picture from its exact
// preprocessed input, and the image embeddings of all four pictures.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "golden/engine_golden_util.h"
#include "model/vision_encoder.h"
#include "model/weights.h"
#include "ops/thread_pool.h"
#include "support/test_support.h"

namespace md {
namespace {

using test::ExpectClose;
using test::ReadF32File;
using test::TestData;

// With the FP16 GELU table and FP16 patch embedding emulated (README: 2e-3).
constexpr double kTol = 2e-3;

class VisionGolden : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = LoadVisionModel(TestData("fixtures/moondream2-tiny-mmproj-f32.gguf"));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value().release();
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static VisionModel* model_;
};
VisionModel* VisionGolden::model_ = nullptr;

TEST_F(VisionGolden, ConfigFromFixture) {
  const VisionConfig& c = model_->config;
  EXPECT_EQ(c.n_embd, 64);
  EXPECT_EQ(c.block_count, 3);
  EXPECT_EQ(c.blocks_to_run(), 2);
  EXPECT_EQ(c.n_patches(), 729);
  EXPECT_EQ(c.mm_hidden, 256);
  EXPECT_FALSE(model_->layout.vision_mlp_swapped);
}

TEST_F(VisionGolden, SceneIntermediatesFromExactInput) {
  ThreadPool pool(2);
  VisionEncoder enc(*model_, pool);
  const std::vector<float> input = ReadF32File(TestData("golden/vision/scene_512x384.inp_raw.f32"));
  ASSERT_EQ(input.size(), 3u * 378 * 378);
  std::vector<float> out(729 * 256);
  VisionTrace trace;
  enc.Encode(input.data(), out.data(), &trace);
  auto ref = [](const std::string& t) {
    return ReadF32File(TestData("golden/vision/scene_512x384." + t + ".f32"));
  };
  std::printf("vision f32, scene_512x384 (from inp_raw):\n");
  ExpectClose("patch_bias", trace.patch_bias.data(), trace.patch_bias.size(), ref("patch_bias"),
              kTol);
  ExpectClose("layer_inp_normed_0", trace.layer_inp_normed_0.data(),
              trace.layer_inp_normed_0.size(), ref("layer_inp_normed_0"), kTol);
  ExpectClose("attn_out_0", trace.attn_out_0.data(), trace.attn_out_0.size(), ref("attn_out_0"),
              kTol);
  ExpectClose("ffn_out_0", trace.ffn_out_0.data(), trace.ffn_out_0.size(), ref("ffn_out_0"), kTol);
  ASSERT_EQ(trace.layer_out.size(), 2u);
  ExpectClose("layer_out_0", trace.layer_out[0].data(), trace.layer_out[0].size(),
              ref("layer_out_0"), kTol);
  ExpectClose("layer_out_1", trace.layer_out[1].data(), trace.layer_out[1].size(),
              ref("layer_out_1"), kTol);
  ExpectClose("embd", out.data(), out.size(), ref("embd"), kTol);
}

}  // namespace
}  // namespace md
