// The product modes (caption, query) on the public Engine API: load, encode the picture
// once, ask in Moondream2's format, stream the answer to stdout.
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "moondream/engine.h"

namespace md::cli {

inline int RunAsk(const ModelArgs& model, const std::string& image_path,
                  const std::string& question, const SamplingParams& params, bool json) {
  auto opts = ResolveModel(model, !image_path.empty());
  if (!opts.ok()) return Fail(opts.status().message());
  auto engine = Engine::Load(*opts);
  if (!engine.ok()) return Fail(engine.status().message());
  std::shared_ptr<const EncodedImage> image;
  if (!image_path.empty()) {
    auto bytes = ReadWholeFile(image_path);
    if (!bytes.ok()) return Fail(bytes.status().message());
    auto img = (*engine)->EncodeImage(*bytes, ImageOptions());
    if (!img.ok()) return Fail(image_path + ": " + img.status().message());
    image = *img;
  }
  auto session = (*engine)->NewSession(image);
  if (!session.ok()) return Fail(session.status().message());
  TokenCallback print = [&](std::string_view piece) {
    if (!json) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  };
  auto answer = (*session)->Ask(question, params, print, nullptr);
  if (!answer.ok()) return Fail(answer.status().message());
  const GenerationStats& s = answer->stats;
  const double prefill_tps = s.prefill_ms > 0 ? s.prompt_tokens * 1000.0 / s.prefill_ms : 0;
  const double decode_tps = s.decode_ms > 0 ? s.generated_tokens * 1000.0 / s.decode_ms : 0;
  if (json) {
    nlohmann::json j;
    j["question"] = question;
    j["text"] = answer->text;
    j["tokens"] = answer->tokens;
    j["finish_reason"] = s.finish_reason;
    j["timings"] = {{"image_encode_ms", image ? image->encode_ms() : 0.0},
                    {"prompt_tokens", s.prompt_tokens},
                    {"prefill_tokens_per_s", prefill_tps},
                    {"generated_tokens", s.generated_tokens},
                    {"decode_tokens_per_s", decode_tps},
                    {"time_to_first_token_ms", s.time_to_first_token_ms}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr,
                 "image encode %.0f ms | prefill %d tokens %.1f tok/s | decode %d tokens %.1f "
                 "tok/s | %s\n",
                 image ? image->encode_ms() : 0.0, s.prompt_tokens, prefill_tps,
                 s.generated_tokens, decode_tps, s.finish_reason.c_str());
  }
  return 0;
}

}  // namespace md::cli
