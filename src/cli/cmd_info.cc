// `moondream info FILE... [--json] [--no-tensors]`: what a GGUF file holds, as the engine
// understands it. Exit code 1 when a file cannot be read or would not load.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "formats/gguf.h"
#include "model/model_info.h"

namespace md::cli {
namespace {

struct InfoOptions {
  std::vector<std::string> files;
  bool json = false;
  bool no_tensors = false;
};

int RunInfo(const InfoOptions& opt) {
  int rc = 0;
  nlohmann::json all = nlohmann::json::array();
  for (size_t i = 0; i < opt.files.size(); ++i) {
    auto file = GgufFile::Open(opt.files[i]);
    if (!file.ok()) {
      std::fprintf(stderr, "error: %s\n", file.status().message().c_str());
      rc = 1;
      continue;
    }
    nlohmann::json info = DescribeGguf(**file);
    if (!info["problems"].empty()) rc = 1;
    if (opt.json) {
      if (opt.no_tensors) info.erase("tensors");
      all.push_back(std::move(info));
    } else {
      if (i > 0) std::fputs("\n", stdout);
      std::fputs(FormatModelInfo(info, !opt.no_tensors).c_str(), stdout);
    }
  }
  if (opt.json) {
    // One object for one file, an array for several.
    const nlohmann::json& doc = all.size() == 1 ? all[0] : all;
    std::fputs((doc.dump(2) + "\n").c_str(), stdout);
  }
  return rc;
}

CommandRegistration kInfo("info", 20, [](CLI::App& app) -> RunFn {
  auto opt = std::make_shared<InfoOptions>();
  app.description(
      "Show what a GGUF model file holds: architecture, hyper-parameters (with the defaults "
      "applied for absent keys), tokenizer, Moondream2 layout quirks, every tensor, totals");
  app.add_option("FILE", opt->files, "GGUF file(s): a text model, an mmproj or a vocabulary")
      ->required();
  app.add_flag("--json", opt->json, "print JSON instead of text");
  app.add_flag("--no-tensors", opt->no_tensors, "leave out the per-tensor table");
  return [opt] { return RunInfo(*opt); };
});

}  // namespace
}  // namespace md::cli
