// `moondream generate`: a raw prompt, taken literally, with `<image>` or `<__media__>`
// marking the picture, each text part tokenized with special tokens parsed and no BOS
// unless the file asks (as llama.cpp's mtmd does). For comparing with llama.cpp:
// --temp 0, --ignore-eos, --dump-logits, --json.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "model/generate.h"
#include "model/runtime.h"

namespace md::cli {
namespace {

struct GenerateArgs {
  ModelArgs model;
  SamplingArgs sampling;
  std::string image;
  std::string prompt;
  bool ignore_eos = false;
  std::string dump_logits;
  bool json = false;
};

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Splits at the first image marker; npos when there is none.
size_t FindMarker(const std::string& s, size_t* len) {
  size_t best = std::string::npos;
  for (const char* m : {"<image>", "<__media__>"}) {
    const size_t at = s.find(m);
    if (at < best) {
      best = at;
      *len = std::char_traits<char>::length(m);
    }
  }
  return best;
}

int RunGenerate(const GenerateArgs& a) {
  size_t marker_len = 0;
  const size_t marker = FindMarker(a.prompt, &marker_len);
  if (marker != std::string::npos && a.image.empty()) {
    return Fail("the prompt has an image marker but no --image was given");
  }
  if (marker == std::string::npos && !a.image.empty()) {
    return Fail("--image given but the prompt has no <image> or <__media__> marker");
  }
  auto opts = ResolveModel(a.model, !a.image.empty());
  if (!opts.ok()) return Fail(opts.status().message());
  auto rt_or = Runtime::Load(*opts);
  if (!rt_or.ok()) return Fail(rt_or.status().message());
  Runtime& rt = **rt_or;
  const Tokenizer& tok = rt.tokenizer();

  std::vector<float> image;
  double image_ms = 0;
  if (!a.image.empty()) {
    auto bytes = ReadWholeFile(a.image);
    if (!bytes.ok()) return Fail(bytes.status().message());
    PictureInfo info;
    auto embd = rt.EncodePicture(*bytes, ImageOptions(), &info);
    if (!embd.ok()) return Fail(a.image + ": " + embd.status().message());
    image = std::move(*embd);
    image_ms = info.encode_ms;
  }
  std::vector<PromptItem> items;
  std::vector<int32_t> prompt_ids;
  if (tok.add_bos() && tok.bos_id() >= 0) items.push_back({{tok.bos_id()}, false});
  if (marker == std::string::npos) {
    items.push_back({tok.Encode(a.prompt, true), false});
  } else {
    items.push_back({tok.Encode(a.prompt.substr(0, marker), true), false});
    items.push_back({{}, true});
    items.push_back({tok.Encode(a.prompt.substr(marker + marker_len), true), false});
  }
  for (const PromptItem& it : items) {
    if (it.image) {
      prompt_ids.insert(prompt_ids.end(), rt.image_rows(), -1);
    } else {
      prompt_ids.insert(prompt_ids.end(), it.ids.begin(), it.ids.end());
    }
  }
  SamplingParams params = ToParams(a.sampling, 256);
  params.ignore_eos = a.ignore_eos;
  const int n_prompt = static_cast<int>(prompt_ids.size());
  if (n_prompt == 0) return Fail("the prompt is empty");
  if (n_prompt + params.max_tokens > rt.context_length()) {
    return Fail("prompt (" + std::to_string(n_prompt) + " positions) plus --max-tokens " +
                std::to_string(params.max_tokens) + " exceeds the context length " +
                std::to_string(rt.context_length()));
  }
  auto cache = rt.NewCache(n_prompt + params.max_tokens);
  std::vector<float> logits(rt.text_config().n_vocab);
  const auto t0 = std::chrono::steady_clock::now();
  auto n = rt.Prefill(items, image.empty() ? nullptr : image.data(), *cache, 0, logits.data());
  if (!n.ok()) return Fail(n.status().message());
  const double prefill_ms = MsSince(t0);
  if (!a.dump_logits.empty()) {
    std::ofstream out(a.dump_logits, std::ios::binary);
    out.write(reinterpret_cast<const char*>(logits.data()),
              static_cast<std::streamsize>(logits.size() * sizeof(float)));
    if (!out) return Fail("cannot write " + a.dump_logits);
  }
  int n_past = *n;
  GenerateOutput out;
  TokenCallback print = [&](std::string_view piece) {
    if (!a.json) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  };
  Generate(rt, *cache, &n_past, logits, params, GenerateOptions(), print, nullptr, &out);
  const double prefill_tps = prefill_ms > 0 ? *n * 1000.0 / prefill_ms : 0;
  const double decode_tps = out.decode_ms > 0 ? out.tokens.size() * 1000.0 / out.decode_ms : 0;
  if (a.json) {
    nlohmann::json j;
    j["prompt_ids"] = prompt_ids;
    j["tokens"] = out.tokens;
    j["text"] = out.text;
    j["finish_reason"] = out.finish_reason;
    j["timings"] = {{"image_encode_ms", image_ms},
                    {"prompt_positions", *n},
                    {"prefill_ms", prefill_ms},
                    {"prefill_tokens_per_s", prefill_tps},
                    {"generated_tokens", out.tokens.size()},
                    {"decode_ms", out.decode_ms},
                    {"decode_tokens_per_s", decode_tps}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr,
                 "image encode %.0f ms | prefill %d positions %.1f tok/s | decode %zu tokens "
                 "%.1f tok/s | %s\n",
                 image_ms, *n, prefill_tps, out.tokens.size(), decode_tps,
                 out.finish_reason.c_str());
  }
  return 0;
}

CommandRegistration kGenerate("generate", 40, [](CLI::App& app) -> RunFn {
  auto a = std::make_shared<GenerateArgs>();
  app.description(
      "Run a raw prompt (taken literally; <image> or <__media__> marks the picture; special "
      "tokens parsed; no BOS unless the file asks), as llama.cpp's mtmd does");
  a->model.cache_type = "f32";  // as the goldens: F32 keys and values, exact attention
  AddModelOptions(app, a->model);
  AddSamplingOptions(app, a->sampling);
  app.add_option("--image", a->image, "picture file (JPEG, PNG, WebP, GIF, BMP)");
  app.add_option("-p,--prompt", a->prompt, "the prompt text")->required();
  app.add_flag("--ignore-eos", a->ignore_eos, "keep generating past end-of-text");
  app.add_option("--dump-logits", a->dump_logits,
                 "write the logits at the last prompt position (raw little-endian f32)");
  app.add_flag("--json", a->json,
               "print one JSON object (prompt_ids, tokens, text, timings); logs on stderr");
  return [a] { return RunGenerate(*a); };
});

}  // namespace
}  // namespace md::cli
