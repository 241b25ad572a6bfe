// The whole pipeline against llama.cpp: picture file (llama.cpp's own decode, the
// *.decoded.png) -> preprocessing -> vision tower -> projector -> the prompt tokenized
// as mtmd does (split at the marker, special tokens parsed, no BOS) -> decoder -> logits
// and greedy tokens. Also the public Engine API on the tiny fixtures.
#include <algorithm>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden/engine_golden_util.h"
#include "model/generate.h"
#include "model/runtime.h"
#include "model/sampler.h"
#include "moondream/engine.h"
#include "support/test_support.h"

namespace md {
namespace {

using nlohmann::json;
using test::ReadF32File;
using test::TestData;

LoadOptions TinyOptions(const std::string& variant) {
  LoadOptions o;
  o.text_model_path = TestData("fixtures/moondream2-tiny-text-" + variant + ".gguf");
  o.mmproj_path = TestData("fixtures/moondream2-tiny-mmproj-f32.gguf");
  o.threads = 2;
  return o;
}

struct PipelineCase {
  std::string variant, picture, mode;
};

// Short names in test listings (instead of the parameter bytes).
void PrintTo(const PipelineCase& c, std::ostream* os) { *os << c.variant << "." << c.picture << "." << c.mode; }

class PipelineGolden : public ::testing::TestWithParam<PipelineCase> {};

TEST_P(PipelineGolden, PictureFileToGreedyTokens) {
  const PipelineCase& pc = GetParam();
  auto rt = Runtime::Load(TinyOptions(pc.variant));
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  Runtime& r = **rt;
  const std::string tag = pc.variant + "." + pc.picture + "." + pc.mode;
  std::ifstream in(TestData("golden/text/" + pc.variant + "/" + tag + ".json"));
  const json j = json::parse(in);
  std::printf("%s (from %s.decoded.png):\n", tag.c_str(), pc.picture.c_str());

  const std::vector<uint8_t> bytes =
      test::ReadFileBytes(TestData("golden/images/" + pc.picture + ".decoded.png"));
  PictureInfo info;
  auto embd = r.EncodePicture(bytes, ImageOptions(), &info);
  ASSERT_TRUE(embd.ok()) << embd.status().ToString();
  test::ExpectClose("image embeddings", embd->data(), embd->size(),
                    ReadF32File(TestData("golden/vision/" + pc.picture + ".embd.f32")), 2e-3);

  // The prompt as mtmd builds it: text parts around the marker, each tokenized alone.
  const std::string prompt = j["prompt"].get<std::string>();
  const std::string marker = "<__media__>";
  const size_t at = prompt.find(marker);
  ASSERT_NE(at, std::string::npos);
  std::vector<PromptItem> items;
  items.push_back({r.tokenizer().Encode(prompt.substr(0, at), true), false});
  items.push_back({{}, true});
  items.push_back({r.tokenizer().Encode(prompt.substr(at + marker.size()), true), false});
  std::vector<int32_t> ids;
  for (const PromptItem& it : items) {
    if (it.image) {
      ids.insert(ids.end(), r.image_rows(), -1);
    } else {
      ids.insert(ids.end(), it.ids.begin(), it.ids.end());
    }
  }
  ASSERT_EQ(ids, j["prompt_ids"].get<std::vector<int32_t>>()) << "prompt tokenization";

  auto cache = r.NewCache(2048);
  std::vector<float> logits(r.text_config().n_vocab);
  auto n = r.Prefill(items, embd->data(), *cache, 0, logits.data());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  const std::vector<float> ref =
      ReadF32File(TestData("golden/text/" + pc.variant + "/" + tag + ".logits.f32"));
  const test::Diff d = test::Compare(logits.data(), ref);
  const bool f32 = pc.variant == "f32";
  // Through the vision tower the embeddings differ by up to ~1.6e-3; the logits follow.
  // Quantized: those differences also flip some activation quantization levels (see
  // text_golden_test.cc), so only correlation, arg-max and 2e-2 relative are checked.
  const double tol = f32 ? 2e-3 : 2e-2 * d.max_ref;
  test::ExpectClose("logits", logits.data(), logits.size(), ref, tol);
  EXPECT_GE(test::Correlation(logits.data(), ref), 0.9999);

  const double near_tie = std::max(4 * d.max_abs, f32 ? 2e-3 : 1e-2 * d.max_ref);
  int pos = *n, matched = 0;
  for (const json& step : j["greedy"]) {
    const double margin = step["top5"][0][1].get<double>() - step["top5"][1][1].get<double>();
    if (margin <= near_tie) break;
    const int32_t want = step["token"].get<int32_t>();
    ASSERT_EQ(ArgMax(logits), want) << tag << " greedy step " << matched;
    r.Step(want, *cache, pos++, logits.data());
    ++matched;
  }
  std::printf("  %-48s %d of %zu\n", "greedy tokens matched (until a near tie)", matched,
              j["greedy"].size());
  if (f32) {
    EXPECT_EQ(matched, static_cast<int>(j["greedy"].size()));
  }
}

std::vector<PipelineCase> PipelineCases() {
  std::vector<PipelineCase> c;
  for (const char* p : {"scene_512x384", "portrait_320x480", "gray_200x150", "rgba_300x120"}) {
    for (const char* m : {"vicuna", "moondream"}) c.push_back({"f32", p, m});
  }
  c.push_back({"q4_k_m", "scene_512x384", "vicuna"});
  c.push_back({"q8_0", "portrait_320x480", "moondream"});
  return c;
}

INSTANTIATE_TEST_SUITE_P(Cases, PipelineGolden, ::testing::ValuesIn(PipelineCases()),
                         [](const ::testing::TestParamInfo<PipelineCase>& i) {
                           return i.param.variant + "_" + i.param.picture + "_" + i.param.mode;
                         });

// The F16 KV cache against llama.cpp's usual setting (F16 cache, flash attention): the
// README measured 0.040 between that and the F32 goldens, so the same order is expected.
TEST(KvCacheF16, CloseToLlamaCppF16FlashAttention) {
  LoadOptions o = TinyOptions("f32");
  o.cache_type = KvCacheType::kF16;
  auto rt = Runtime::Load(o);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  Runtime& r = **rt;
  std::ifstream in(TestData("golden/text/f32/f32.scene_512x384.vicuna.kvf16_fa.json"));
  const json j = json::parse(in);
  const std::vector<int32_t> ids = j["prompt_ids"].get<std::vector<int32_t>>();
  std::vector<PromptItem> items;
  for (size_t i = 0; i < ids.size();) {
    if (ids[i] < 0) {
      items.push_back({{}, true});
      i += r.image_rows();
    } else {
      PromptItem t;
      while (i < ids.size() && ids[i] >= 0) t.ids.push_back(ids[i++]);
      items.push_back(t);
    }
  }
  const std::vector<float> embd = ReadF32File(TestData("golden/vision/scene_512x384.embd.f32"));
  auto cache = r.NewCache(1024);
  std::vector<float> logits(r.text_config().n_vocab);
  ASSERT_TRUE(r.Prefill(items, embd.data(), *cache, 0, logits.data()).ok());
  const std::vector<float> ref =
      ReadF32File(TestData("golden/text/f32/f32.scene_512x384.vicuna.kvf16_fa.logits.f32"));
  std::printf("f32.scene_512x384.vicuna, F16 KV cache vs llama.cpp F16 KV + flash attention:\n");
  test::ExpectClose("logits vs F16 KV + flash attention", logits.data(), logits.size(), ref, 0.08);
  EXPECT_EQ(ArgMax(logits), j["greedy"][0]["token"].get<int32_t>());
  // Against the F32-cache goldens: only the F16 rounding of K, V, Q and P differs.
  test::ExpectClose("logits vs F32 KV", logits.data(), logits.size(),
                    ReadF32File(TestData("golden/text/f32/f32.scene_512x384.vicuna.logits.f32")),
                    5e-3);
}

// Stop strings end the answer before them, even when they span tokens; the streamed
// pieces are exactly the answer; the answer's tokens are those wholly before the stop.
TEST(Generate, StopStringsAndStreaming) {
  auto rt = Runtime::Load(TinyOptions("f32"));
  ASSERT_TRUE(rt.ok());
  Runtime& r = **rt;
  // llama.cpp's greedy text for this prompt starts "ms prot sub.\"ud add ...".
  const std::vector<int32_t> ids =
      r.tokenizer().Encode("The quick brown fox jumps over the lazy dog.", true);
  for (const std::string stop : {" sub", "t s", "zzz"}) {
    auto cache = r.NewCache(128);
    std::vector<float> logits(r.text_config().n_vocab);
    ASSERT_TRUE(r.Prefill({{ids, false}}, nullptr, *cache, 0, logits.data()).ok());
    int n_past = static_cast<int>(ids.size());
    SamplingParams p;
    p.temperature = 0;
    p.max_tokens = 12;
    p.ignore_eos = true;
    p.stop = {stop};
    std::string streamed;
    GenerateOutput out;
    Generate(r, *cache, &n_past, logits, p, GenerateOptions(),
             [&](std::string_view piece) { streamed += piece; return true; }, nullptr, &out);
    EXPECT_EQ(streamed, out.text) << stop;
    if (stop == "zzz") {
      EXPECT_EQ(out.finish_reason, "length");
      EXPECT_EQ(out.keep, 12);
      EXPECT_EQ(out.fed, 11);
      EXPECT_EQ(out.text.rfind("ms prot sub.", 0), 0u) << out.text;
    } else {
      EXPECT_EQ(out.finish_reason, "stop") << stop;
      EXPECT_EQ(out.text, stop == " sub" ? "ms prot" : "ms pro") << stop;
      std::string kept;
      for (int i = 0; i < out.keep; ++i) kept += r.tokenizer().Piece(out.tokens[i]);
      EXPECT_LE(kept.size(), out.text.size());
      EXPECT_EQ(out.text.compare(0, kept.size(), kept), 0);
    }
  }
}

// The public API: a picture encoded once, two sessions and a follow-up question reuse
// the prefix, greedy answers are deterministic, limits give clear errors.
TEST(EngineApi, CaptionQueryFollowUpAndLimits) {
  auto engine = Engine::Load(TinyOptions("f32"));
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Engine& e = **engine;
  EXPECT_TRUE(e.has_vision());
  EXPECT_EQ(e.context_length(), 2048);
  const std::vector<uint8_t> bytes =
      test::ReadFileBytes(TestData("golden/images/scene_512x384.decoded.png"));
  auto img = e.EncodeImage(bytes, ImageOptions());
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ((*img)->width(), 512);
  EXPECT_EQ((*img)->height(), 384);
  EXPECT_GT((*img)->memory_bytes(), 729u * 256 * 4);

  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_tokens = 12;
  auto s1 = e.NewSession(*img);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ((*s1)->positions_used(), 730);  // BOS + 729 picture rows
  std::string streamed;
  auto a1 = (*s1)->Ask("Describe this image.", greedy,
                       [&](std::string_view p) { streamed += p; return true; }, nullptr);
  ASSERT_TRUE(a1.ok()) << a1.status().ToString();
  EXPECT_FALSE(a1->tokens.empty());
  EXPECT_EQ(a1->stats.image_encode_ms > 0, true);
  // The streamed pieces make the answer (which is also trimmed at the end).
  EXPECT_EQ(streamed.substr(0, a1->text.size()), a1->text);

  auto s2 = e.NewSession(*img);
  ASSERT_TRUE(s2.ok());
  auto a2 = (*s2)->Ask("Describe this image.", greedy, nullptr, nullptr);
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ(a2->tokens, a1->tokens);        // same prefix, same greedy answer
  EXPECT_EQ(a2->stats.image_encode_ms, 0);  // second use of the encoded picture

  const int used = (*s1)->positions_used();
  auto a3 = (*s1)->Ask("And the colours?", greedy, nullptr, nullptr);
  ASSERT_TRUE(a3.ok());
  EXPECT_GT((*s1)->positions_used(), used);

  SamplingParams too_long = greedy;
  too_long.max_tokens = 2000;
  auto a4 = (*s2)->Ask("Again?", too_long, nullptr, nullptr);
  EXPECT_EQ(a4.status().code(), StatusCode::kOutOfRange) << a4.status().ToString();

  CancelFlag cancel;
  cancel.cancelled = true;
  auto a5 = (*s2)->Ask("Again?", greedy, nullptr, &cancel);
  ASSERT_TRUE(a5.ok());
  EXPECT_EQ(a5->stats.finish_reason, "cancelled");

  auto bad = e.EncodeImage(std::vector<uint8_t>{1, 2, 3}, ImageOptions());
  EXPECT_FALSE(bad.ok());

  auto text_only = e.NewSession(nullptr);
  ASSERT_TRUE(text_only.ok());
  auto a6 = (*text_only)->Ask("What is the capital of France?", greedy, nullptr, nullptr);
  ASSERT_TRUE(a6.ok()) << a6.status().ToString();
  EXPECT_FALSE(a6->tokens.empty());
}

TEST(EngineApi, SampledAnswersFollowTheSeed) {
  auto engine = Engine::Load(TinyOptions("q4_k_m"));
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.9f;
  p.top_k = 40;
  p.seed = 1234;
  p.max_tokens = 8;
  p.ignore_eos = true;
  auto s1 = (*engine)->NewSession(nullptr);
  auto s2 = (*engine)->NewSession(nullptr);
  auto a = (*s1)->Ask("Hello", p, nullptr, nullptr);
  auto b = (*s2)->Ask("Hello", p, nullptr, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tokens, b->tokens);
  EXPECT_EQ(a->tokens.size(), 8u);
  EXPECT_EQ(a->stats.finish_reason, "length");
}

TEST(EngineApi, MismatchedProjectorIsRejected) {
  // The tiny text model with a vision file as the text model: wrong architecture.
  LoadOptions o = TinyOptions("f32");
  o.text_model_path = o.mmproj_path;
  auto e = Engine::Load(o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("phi2"), std::string::npos) << e.status().ToString();
}

}  // namespace
}  // namespace md
