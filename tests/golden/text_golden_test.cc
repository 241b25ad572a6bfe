// The phi2 decoder against llama.cpp's numbers on every tiny text variant
// (testdata/golden/README.md): block-0 tensors and the final norm of the text-only cases
// (f32), the logits at the last prompt position and the greedy continuation up to the
// first near-tie, for text-only prompts and for prompts holding the picture (fed with
// llama.cpp's own image embeddings here, so only the decoder is under test).
#include <algorithm>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden/engine_golden_util.h"
#include "model/text_decoder.h"
#include "model/weights.h"
#include "ops/thread_pool.h"
#include "support/test_support.h"

namespace md {
namespace {

using nlohmann::json;
using test::ReadF32File;
using test::TestData;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

struct Case {
  std::string variant;
  std::string name;  // "scene_512x384.vicuna", "text.fox"
};

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const char* v : {"f32", "q8_0", "q4_0", "q4_k_m", "q5_k_m"}) {
    for (const char* p : {"scene_512x384", "portrait_320x480", "gray_200x150", "rgba_300x120"}) {
      for (const char* m : {"vicuna", "moondream"}) {
        cases.push_back({v, std::string(p) + "." + m});
      }
    }
    cases.push_back({v, "text.fox"});
    cases.push_back({v, "text.qa"});
  }
  return cases;
}

// Short names in test listings (instead of the parameter bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.variant << "." << c.name; }

class TextGolden : public ::testing::TestWithParam<Case> {};

// Runs the prompt (ids, -1 = next image row) and returns the last logits; fills trace.
std::vector<float> RunPrompt(TextDecoder& dec, KvCache& cache, const std::vector<int32_t>& ids,
                             const std::vector<float>& image, TextTrace* trace) {
  const TextConfig& c = dec.config();
  const int n = static_cast<int>(ids.size());
  std::vector<float> x(static_cast<size_t>(n) * c.n_embd);
  int img_row = 0;
  for (int i = 0; i < n; ++i) {
    float* row = x.data() + static_cast<size_t>(i) * c.n_embd;
    if (ids[i] < 0) {
      std::copy_n(image.data() + static_cast<size_t>(img_row++) * c.n_embd, c.n_embd, row);
    } else {
      dec.EmbedTokens(&ids[i], 1, row);
    }
  }
  std::vector<float> logits(c.n_vocab);
  dec.Forward(x.data(), n, 0, cache, logits.data(), trace);
  return logits;
}

int ArgMax(const std::vector<float>& v) {
  // Lowest id on an exact tie, as the goldens.
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST_P(TextGolden, LogitsAndGreedy) {
  const Case& tc = GetParam();
  const std::string dir = TestData("golden/text/" + tc.variant + "/");
  const std::string tag = tc.variant + "." + tc.name;
  const json j = ReadJson(dir + tag + ".json");
  auto model = LoadTextModel(TestData("fixtures/" + j["model"].get<std::string>()));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ThreadPool pool(2);
  TextDecoder dec(**model, pool);
  KvCache cache((*model)->config, 2048, TensorType::kF32);

  const std::vector<int32_t> ids = j["prompt_ids"].get<std::vector<int32_t>>();
  std::vector<float> image;
  if (!j["image"].get<std::string>().empty()) {
    const std::string pic = tc.name.substr(0, tc.name.find('.'));
    image = ReadF32File(TestData("golden/vision/" + pic + ".embd.f32"));
  }
  TextTrace trace;
  std::vector<float> logits = RunPrompt(dec, cache, ids, image, &trace);
  const std::vector<float> ref = ReadF32File(dir + tag + ".logits.f32");
  ASSERT_EQ(logits.size(), ref.size());

  std::printf("%s (%zu prompt positions):\n", tag.c_str(), ids.size());
  const bool is_f32 = tc.variant == "f32";
  if (is_f32 && j["mode"] == "text") {
    for (const char* t : {"attn_norm_0", "ffn_out_0", "l_out_0"}) {
      const std::vector<float> r = ReadF32File(dir + tag + ".txt." + t + ".f32");
      const std::vector<float>& ours = std::string(t) == "attn_norm_0" ? trace.attn_norm_0
                                       : std::string(t) == "ffn_out_0" ? trace.ffn_out_0
                                                                       : trace.l_out_0;
      test::ExpectClose(t, ours.data(), ours.size(), r, 2e-3);
    }
    test::ExpectClose("l_out_1", trace.l_out_last.data(), trace.l_out_last.size(),
                      ReadF32File(dir + tag + ".txt.l_out_1.f32"), 2e-3);
    test::ExpectClose("result_norm", trace.result_norm.data(), trace.result_norm.size(),
                      ReadF32File(dir + tag + ".txt.result_norm.f32"), 2e-3);
  }
  const test::Diff d = test::Compare(logits.data(), ref);
  const double corr = test::Correlation(logits.data(), ref);
  // F32 math everywhere with the FP16 emulations: 1e-3 absolute. Quantized: activations
  // are quantized as llama.cpp's x86 build does, and most cases agree to ~3e-6; but the
  // float accumulation order of the integer block sums differs, and over ~750 positions
  // that moves a few activations across a rounding boundary of the next quantization
  // (one level), which shows up to ~6e-3 relative in the logits. Allow 1e-2 relative,
  // with the correlation and arg-max checks below.
  const double tol = is_f32 ? 1e-3 : 1e-2 * d.max_ref;
  test::ExpectClose("logits", logits.data(), logits.size(), ref, tol);
  std::printf("  %-48s %.7f\n", "logits correlation", corr);
  EXPECT_GE(corr, 0.9999);

  // Greedy continuation: compare up to the first step whose top-2 margin is not clearly
  // larger than our error (a near tie either way is legitimate).
  // Quantized: decode steps can drift by more than the prompt logits (one flipped
  // activation level moves a logit by ~0.02), so only margins above the tolerance count.
  const double near_tie = std::max(4 * d.max_abs, is_f32 ? 2e-3 : tol);
  const json& greedy = j["greedy"];
  int pos = static_cast<int>(ids.size());
  int matched = 0;
  std::vector<float> x((*model)->config.n_embd);
  for (size_t step = 0; step < greedy.size(); ++step) {
    const json& top5 = greedy[step]["top5"];
    const double margin = top5[0][1].get<double>() - top5[1][1].get<double>();
    if (margin <= near_tie) break;
    const int ours = ArgMax(logits);
    const int want = greedy[step]["token"].get<int>();
    ASSERT_EQ(ours, want) << tag << " greedy step " << step;
    ++matched;
    dec.EmbedTokens(&want, 1, x.data());
    dec.Forward(x.data(), 1, pos++, cache, logits.data());
  }
  std::printf("  %-48s %d of %zu\n", "greedy tokens matched (until a near tie)", matched,
              greedy.size());
  // The f32 goldens' smallest margin is 0.01: all 32 steps must match.
  if (is_f32) {
    EXPECT_EQ(matched, static_cast<int>(greedy.size()));
  }
}

// The 1e-3 x max|ref| bound for quantized logits, over every quantized case at once. Our
// activations are quantized exactly as llama.cpp's, so a case agrees to ~1e-7 relative
// unless somewhere in its ~750 positions one activation lands on the other side of a
// quantization rounding boundary (the float order of a block's sum differs from
// llama.cpp's by an ulp); then one int8 level moves and the logits move by 2e-3 .. 7e-3
// relative. Which cases flip depends on the order alone: measured 30, 32 and 31 of 40
// within 1e-3 with the scalar, AVX2 and AVX-512 kernels, each set flipping different
// cases. LogitsAndGreedy holds every case to 1e-2; this holds most to 1e-3.
TEST(TextGoldenQuantized, MostCasesWithin1e3OfMaxRef) {
  ThreadPool pool(2);
  int within = 0, total = 0;
  for (const Case& tc : AllCases()) {
    if (tc.variant == "f32") continue;
    const std::string dir = TestData("golden/text/" + tc.variant + "/");
    const std::string tag = tc.variant + "." + tc.name;
    const json j = ReadJson(dir + tag + ".json");
    auto model = LoadTextModel(TestData("fixtures/" + j["model"].get<std::string>()));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    TextDecoder dec(**model, pool);
    KvCache cache((*model)->config, 2048, TensorType::kF32);
    std::vector<float> image;
    if (!j["image"].get<std::string>().empty()) {
      image = ReadF32File(TestData("golden/vision/" + tc.name.substr(0, tc.name.find('.')) +
                                   ".embd.f32"));
    }
    const std::vector<float> logits =
        RunPrompt(dec, cache, j["prompt_ids"].get<std::vector<int32_t>>(), image, nullptr);
    const test::Diff d = test::Compare(logits.data(), ReadF32File(dir + tag + ".logits.f32"));
    const double rel = d.max_abs / d.max_ref;
    std::printf("  %-40s max|diff| / max|ref| %.1e\n", tag.c_str(), rel);
    ++total;
    if (rel <= 1e-3) ++within;
  }
  std::printf("quantized cases within 1e-3 x max|ref|: %d of %d\n", within, total);
  EXPECT_GE(within * 10, total * 7) << within << " of " << total;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, TextGolden, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n = info.param.variant + "_" + info.param.name;
                           std::replace(n.begin(), n.end(), '.', '_');
                           return n;
                         });

}  // namespace
}  // namespace md
