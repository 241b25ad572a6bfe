// `moondream caption IMAGE [--length short|normal|long]`: describe a picture with
// Moondream2's question format (../shared/spec/model-gguf.md 4.1). The questions and
// token limits are ModeDefaults (include/moondream/engine.h); --question overrides.
#include "cli/ask_common.h"

namespace md::cli {
namespace {

struct CaptionArgs {
  ModelArgs model;
  SamplingArgs sampling;
  std::string image;
  std::string length = "normal";
  std::string question;
  bool json = false;
};

CommandRegistration kCaption("caption", 41, [](CLI::App& app) -> RunFn {
  auto a = std::make_shared<CaptionArgs>();
  app.description(
      "Describe a picture: short (one sentence), normal, or long (a detailed description, "
      "e.g. for image-generation prompts)");
  app.add_option("IMAGE", a->image, "picture file")->required();
  app.add_option("--length", a->length, "short, normal or long")
      ->check(CLI::IsMember({"short", "normal", "long"}))
      ->capture_default_str();
  app.add_option("--question", a->question, "ask this instead of the length's default question");
  app.add_flag("--json", a->json, "print one JSON object");
  AddModelOptions(app, a->model);
  AddSamplingOptions(app, a->sampling);
  return [a] {
    const ModeDefaults d;
    std::string q = a->length == "short" ? d.short_question
                    : a->length == "long" ? d.long_question
                                          : d.normal_question;
    const int max_tokens = a->length == "short" ? d.short_max_tokens
                           : a->length == "long" ? d.long_max_tokens
                                                 : d.normal_max_tokens;
    if (!a->question.empty()) q = a->question;
    return RunAsk(a->model, a->image, q, ToParams(a->sampling, max_tokens), a->json);
  };
});

}  // namespace
}  // namespace md::cli
