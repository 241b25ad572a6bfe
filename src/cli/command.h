// Subcommands of the `moondream` binary register themselves here: each cmd_*.cc file
// defines a static CommandRegistration that adds its options to the CLI11 app and
// returns the function that runs it. main.cc knows none of them by name.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace md::cli {

// Runs a parsed subcommand; returns the process exit code (0 ok, 1 error).
using RunFn = std::function<int()>;

// Adds a subcommand to `app` (options bound to variables the returned RunFn reads).
using SetupFn = std::function<RunFn(CLI::App& app)>;

struct CommandSpec {
  std::string name;
  int order;  // position in --help
  SetupFn setup;
};

std::vector<CommandSpec>& Registry();

struct CommandRegistration {
  CommandRegistration(std::string name, int order, SetupFn setup) {
    Registry().push_back({std::move(name), order, std::move(setup)});
  }
};

// Prints "error: <message>" to stderr and returns 1: the common ending of a failed command.
int Fail(const std::string& message);

}  // namespace md::cli
