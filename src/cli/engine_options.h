// Options shared by the commands that run the model (generate, caption, query, bench):
// which files, threads, KV cache type, context, pre-tokenizer mode, sampling.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/status.h"
#include "moondream/engine.h"

namespace md::cli {

struct ModelArgs {
  std::string model;             // text GGUF
  std::string mmproj;            // projector GGUF
  std::string models_dir = "models";
  int threads = 0;
  // F16 as llama.cpp and ollama: half the memory per cached picture and faster decode
  // after a picture; `generate` keeps F32, the goldens' setting.
  std::string cache_type = "f16";
  int context = 0;
  std::string pre = "auto";
};

inline void AddModelOptions(CLI::App& app, ModelArgs& a) {
  app.add_option("-m,--model", a.model, "text model GGUF (phi2)");
  app.add_option("--mmproj", a.mmproj, "vision projector GGUF (clip/mlp)");
  app.add_option("--models", a.models_dir,
                 "directory searched when --model is not given: the text file is paired "
                 "with the file whose name contains \"mmproj\"")
      ->capture_default_str();
  app.add_option("-t,--threads", a.threads, "threads (0 = every core)")->capture_default_str();
  app.add_option("--cache-type", a.cache_type, "KV cache type: f32 or f16")
      ->check(CLI::IsMember({"f32", "f16"}))
      ->capture_default_str();
  app.add_option("-c,--ctx", a.context, "context length (0 = the model's)");
  app.add_option("--pre", a.pre,
                 "pre-tokenizer for files without tokenizer.ggml.pre: auto (GPT-2 rules) or "
                 "llama-compat (llama.cpp's default)")
      ->check(CLI::IsMember({"auto", "llama-compat"}))
      ->capture_default_str();
}

// Finds the files and fills LoadOptions. need_vision: an mmproj must be found.
inline StatusOr<LoadOptions> ResolveModel(const ModelArgs& a, bool need_vision) {
  LoadOptions o;
  o.text_model_path = a.model;
  o.mmproj_path = a.mmproj;
  if (o.text_model_path.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(a.models_dir, ec)) {
      return NotFound("no --model given and models directory \"" + a.models_dir +
                      "\" does not exist");
    }
    std::vector<std::string> text, proj;
    for (const auto& entry : std::filesystem::directory_iterator(a.models_dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".gguf") continue;
      (name.find("mmproj") != std::string::npos ? proj : text).push_back(entry.path().string());
    }
    std::sort(text.begin(), text.end());
    std::sort(proj.begin(), proj.end());
    if (text.empty()) {
      return NotFound("no text model (*.gguf without \"mmproj\" in its name) in " + a.models_dir);
    }
    o.text_model_path = text[0];
    if (o.mmproj_path.empty() && !proj.empty()) o.mmproj_path = proj[0];
  }
  if (need_vision && o.mmproj_path.empty()) {
    return InvalidArgument("a picture needs the vision projector: give --mmproj FILE");
  }
  o.threads = a.threads;
  o.cache_type = a.cache_type == "f16" ? KvCacheType::kF16 : KvCacheType::kF32;
  o.context_length = a.context;
  o.pretokenizer = a.pre == "llama-compat" ? PretokenizerMode::kLlamaCompat
                                           : PretokenizerMode::kAuto;
  return o;
}

struct SamplingArgs {
  float temperature = 0.5f;
  float top_p = 0.3f;
  int top_k = 0;
  float min_p = 0.0f;
  uint64_t seed = 0;
  int max_tokens = -1;  // -1: the mode's default
};

inline void AddSamplingOptions(CLI::App& app, SamplingArgs& s) {
  app.add_option("--temp,--temperature", s.temperature, "sampling temperature (0 = greedy)")
      ->capture_default_str();
  app.add_option("--top-p", s.top_p, "nucleus sampling (1 = off)")->capture_default_str();
  app.add_option("--top-k", s.top_k, "top-k sampling (0 = off)")->capture_default_str();
  app.add_option("--min-p", s.min_p, "min-p sampling (0 = off)")->capture_default_str();
  app.add_option("--seed", s.seed, "random seed (0 = from the clock)");
  app.add_option("-n,--max-tokens", s.max_tokens, "most tokens to generate");
}

inline SamplingParams ToParams(const SamplingArgs& s, int default_max_tokens) {
  SamplingParams p;
  p.temperature = s.temperature;
  p.top_p = s.top_p;
  p.top_k = s.top_k;
  p.min_p = s.min_p;
  p.seed = s.seed;
  p.max_tokens = s.max_tokens > 0 ? s.max_tokens : default_max_tokens;
  return p;
}

inline StatusOr<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace md::cli
