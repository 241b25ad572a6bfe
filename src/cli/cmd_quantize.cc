// `moondream quantize IN OUT PRESET [--threads N] [--quiet]`: rewrites a GGUF model (text
// or mmproj) with smaller weight types, choosing each tensor's type as llama-quantize
// does, and prints the chosen types and a progress bar on stderr.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "cli/command.h"
#include "formats/gguf.h"
#include "model/quantize.h"

namespace md::cli {
namespace {

struct QuantizeArgs {
  std::string in;
  std::string out;
  std::string preset;
  int threads = 0;
  bool quiet = false;
};

std::string HumanBytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1ull << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1ull << 20));
  }
  return buf;
}

int Run(const QuantizeArgs& a) {
  const std::optional<QuantPreset> preset = ParseQuantPreset(a.preset);
  if (!preset) {
    return Fail("unknown preset '" + a.preset + "'; choose one of " + QuantPresetList());
  }
  // Show the plan (type counts) before the long part.
  auto in = GgufFile::Open(a.in);
  if (!in.ok()) return Fail(in.status().message());
  auto plan = PlanQuantization(**in, *preset);
  if (!plan.ok()) return Fail(plan.status().message());
  uint64_t in_bytes = 0;
  for (const GgufTensorInfo& t : (*in)->tensors()) in_bytes += t.nbytes;
  if (!a.quiet) {
    std::map<std::string, int> counts;
    for (const TensorQuantPlan& p : *plan) counts[std::string(TypeInfo(p.to).name)]++;
    std::string summary;
    for (const auto& [name, n] : counts) summary += " " + name + ":" + std::to_string(n);
    std::fprintf(stderr, "quantizing %s (%zu tensors, %s) to %s; types:%s\n", a.in.c_str(),
                 plan->size(), HumanBytes(in_bytes).c_str(),
                 std::string(QuantPresetName(*preset)).c_str(), summary.c_str());
  }
  in->reset();

  const bool tty = isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  QuantizeOptions options;
  options.threads = a.threads;
  if (!a.quiet) {
    options.progress = [tty](size_t done, size_t count, uint64_t bytes, uint64_t total) {
      const double frac = total > 0 ? static_cast<double>(bytes) / static_cast<double>(total) : 1.0;
      if (!tty && done != count) return;  // logs get one final line, not 245
      constexpr int kWidth = 40;
      const int filled = static_cast<int>(frac * kWidth);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(kWidth, '.');
      std::fprintf(stderr, "%s[%s] %3.0f%% %zu/%zu tensors%s", tty ? "\r" : "", bar.c_str(),
                   frac * 100.0, done, count, done == count ? "\n" : "");
      std::fflush(stderr);
    };
  }
  const Status s = QuantizeGguf(a.in, a.out, *preset, options);
  if (!s.ok()) return Fail(s.message());
  if (!a.quiet) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto out = GgufFile::Open(a.out);
    uint64_t out_bytes = 0;
    if (out.ok()) {
      for (const GgufTensorInfo& t : (*out)->tensors()) out_bytes += t.nbytes;
    }
    std::fprintf(stderr, "wrote %s: tensor data %s -> %s in %.1f s\n", a.out.c_str(),
                 HumanBytes(in_bytes).c_str(), HumanBytes(out_bytes).c_str(), secs);
  }
  return 0;
}

const CommandRegistration kRegistration("quantize", 30, [](CLI::App& app) -> RunFn {
  auto args = std::make_shared<QuantizeArgs>();
  app.description(
      "Rewrite a GGUF model with smaller weight types (llama.cpp's per-tensor rules). "
      "Text models: Q4_K_M, Q5_K_M, Q8_0, Q4_0, F16, BF16. Vision projector (mmproj) files: "
      "F16, Q8_0. 1-D tensors (norms, biases) stay as they are; all metadata is kept.");
  app.add_option("IN", args->in, "input GGUF (F32, F16 or BF16 weights)")->required();
  app.add_option("OUT", args->out, "output GGUF (written atomically; never the input)")->required();
  app.add_option("PRESET", args->preset, "Q4_K_M, Q5_K_M, Q8_0, Q4_0, F16 or BF16")->required();
  app.add_option("-t,--threads", args->threads, "worker threads (default: all cores)");
  app.add_flag("-q,--quiet", args->quiet, "no progress output");
  return [args] { return Run(*args); };
});

}  // namespace
}  // namespace md::cli
