// `moondream make-test-model --preset tiny|full --out DIR [--seed N] [--quant PRESET]`:
// a random-weight Moondream2 text + mmproj pair in the real formats, for tests and
// benchmarks where the real weights are not available.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/command.h"
#include "model/quantize.h"
#include "model/test_model.h"

namespace md::cli {
namespace {

struct MakeOptions {
  std::string preset;
  std::string out;
  uint64_t seed = 1;
  std::string quant;
  std::string tokenizer = std::string(MD_SOURCE_DIR) + "/testdata/fixtures/tokenizer-moondream2.gguf";
  bool no_pre = false;
  int threads = 0;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "  name  [####------]  42%" on one line of stderr (a line per file off a terminal).
void ShowProgress(const std::string& path, size_t done, size_t total, uint64_t bytes,
                  uint64_t total_bytes) {
  static const bool tty = ::isatty(STDERR_FILENO) != 0;
  const std::string name = std::filesystem::path(path).filename().string();
  const double frac = total_bytes ? static_cast<double>(bytes) / static_cast<double>(total_bytes)
                                  : static_cast<double>(done) / static_cast<double>(total);
  if (!tty) {
    if (done == total) std::fprintf(stderr, "  wrote %s (%zu tensors)\n", name.c_str(), total);
    return;
  }
  const int width = 30, filled = static_cast<int>(frac * width);
  std::fprintf(stderr, "\r  %-40s [%s%s] %5.1f%%", name.c_str(), std::string(filled, '#').c_str(),
               std::string(width - filled, '-').c_str(), 100 * frac);
  if (done == total) std::fputs("\n", stderr);
  std::fflush(stderr);
}

int RunMake(const MakeOptions& o) {
  StatusOr<TestModelSpec> spec = TestModelPreset(o.preset);
  if (!spec.ok()) return Fail(spec.status().message());
  std::optional<QuantPreset> quant;
  if (!o.quant.empty()) {
    quant = ParseQuantPreset(o.quant);
    if (!quant) return Fail("unknown --quant \"" + o.quant + "\" (" + QuantPresetList() + ")");
  }
  if (!std::filesystem::exists(o.tokenizer)) {
    return Fail("tokenizer file " + o.tokenizer +
                " not found; pass --tokenizer testdata/fixtures/tokenizer-moondream2.gguf");
  }
  TestModelOptions opt;
  opt.seed = o.seed;
  opt.threads = o.threads;
  opt.tokenizer_path = o.tokenizer;
  opt.write_pre = !o.no_pre;
  opt.progress = ShowProgress;
  const auto start = std::chrono::steady_clock::now();
  StatusOr<TestModelFiles> files = WriteTestModel(*spec, o.out, opt);
  if (!files.ok()) return Fail(files.status().message());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string text = files->text, mmproj = files->mmproj;
  if (quant) {
    const std::string q = Lower(std::string(QuantPresetName(*quant)));
    auto quantize = [&](const std::string& in, const std::string& kind) -> StatusOr<std::string> {
      const std::string out = o.out + "/moondream2-" + spec->name + "-" + kind + "-" + q + ".gguf";
      QuantizeOptions qo;
      qo.threads = o.threads;
      qo.progress = [&](size_t a, size_t b, uint64_t c, uint64_t d) { ShowProgress(out, a, b, c, d); };
      MD_RETURN_IF_ERROR(QuantizeGguf(in, out, *quant, qo));
      std::filesystem::remove(in);
      return out;
    };
    StatusOr<std::string> t = quantize(text, "text");
    if (!t.ok()) return Fail(t.status().message());
    text = *t;
    // Projectors take F16 and Q8_0 only; other presets leave the mmproj as written.
    if (*quant == QuantPreset::kQ8_0 || (*quant == QuantPreset::kF16 && !spec->f16_matrices)) {
      StatusOr<std::string> m = quantize(mmproj, "mmproj");
      if (!m.ok()) return Fail(m.status().message());
      mmproj = *m;
    }
  }
  std::error_code ec;
  std::printf("%s  %.1f MB\n%s  %.1f MB\n", text.c_str(),
              static_cast<double>(std::filesystem::file_size(text, ec)) / 1e6, mmproj.c_str(),
              static_cast<double>(std::filesystem::file_size(mmproj, ec)) / 1e6);
  std::fprintf(stderr, "generated in %.1f s (seed %llu)\n", secs,
               static_cast<unsigned long long>(o.seed));
  return 0;
}

CommandRegistration kMake("make-test-model", 60, [](CLI::App& app) -> RunFn {
  auto o = std::make_shared<MakeOptions>();
  app.description(
      "Write a random-weight Moondream2 text + mmproj GGUF pair: 'tiny' has the test "
      "fixtures' layout, 'full' the real 2024 files' sizes and layout (F16)");
  app.add_option("--preset", o->preset, "tiny or full")->required();
  app.add_option("--out", o->out, "output directory")->required();
  app.add_option("--seed", o->seed, "random seed (default 1); same seed, same bytes");
  app.add_option("--quant", o->quant, "then quantize: " + QuantPresetList());
  app.add_option("--tokenizer", o->tokenizer, "GGUF with the full Moondream2 vocabulary");
  app.add_flag("--no-pre", o->no_pre, "leave out tokenizer.ggml.pre, as the 2024 files do");
  app.add_option("-t,--threads", o->threads, "threads (default: all cores)");
  return [o] { return RunMake(*o); };
});

}  // namespace
}  // namespace md::cli
