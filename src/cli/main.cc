// `moondream`: one binary, one subcommand per task (see README.md).
#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/command.h"
#include "common/cpu_info.h"

namespace md::cli {

std::vector<CommandSpec>& Registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

}  // namespace md::cli

int main(int argc, char** argv) {
  using namespace md::cli;
  CLI::App app{"moondream-local: run the Moondream2 vision-language model on this machine"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", [] {
    return std::string("moondream ") + MD_VERSION + "\nCPU features: " + md::CpuFeatureString();
  });

  auto& registry = Registry();
  std::sort(registry.begin(), registry.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.order < b.order; });
  std::map<CLI::App*, RunFn> runs;
  for (const CommandSpec& spec : registry) {
    CLI::App* sub = app.add_subcommand(spec.name);
    runs[sub] = spec.setup(*sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) return run();
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
