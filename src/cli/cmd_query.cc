// `moondream query [IMAGE] "question"`: answer a question about a picture, or a
// text-only question without one, in Moondream2's format.
#include "cli/ask_common.h"

namespace md::cli {
namespace {

struct QueryArgs {
  ModelArgs model;
  SamplingArgs sampling;
  std::vector<std::string> positional;
  bool json = false;
};

CommandRegistration kQuery("query", 42, [](CLI::App& app) -> RunFn {
  auto a = std::make_shared<QueryArgs>();
  app.description("Answer a question about a picture (query IMAGE \"question\") or a text-only "
                  "question (query \"question\")");
  app.add_option("ARGS", a->positional, "[IMAGE] QUESTION")->required()->expected(1, 2);
  app.add_flag("--json", a->json, "print one JSON object");
  AddModelOptions(app, a->model);
  AddSamplingOptions(app, a->sampling);
  return [a] {
    const ModeDefaults d;
    const bool has_image = a->positional.size() == 2;
    const std::string image = has_image ? a->positional[0] : "";
    const std::string question = a->positional.back();
    return RunAsk(a->model, image, question, ToParams(a->sampling, d.query_max_tokens), a->json);
  };
});

}  // namespace
}  // namespace md::cli
