// `moondream pull [--models DIR] [--variant q4_k_m|f16] [--base-url URL]`: fetches the
// Moondream2 GGUF pair (text model + vision projector) into the models directory.
//
// Upstream publishes the pair in F16 only (vikhyatk/moondream2 on Hugging Face, the
// 2024 files that llama.cpp and ollama run). The q4_k_m variant downloads the F16 text
// model and quantizes it here with `moondream quantize`'s code (llama.cpp's Q4_K_M rules).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/command.h"
#include "formats/download.h"
#include "model/quantize.h"

namespace md::cli {
namespace {

namespace fs = std::filesystem;

// Revision of vikhyatk/moondream2 that holds the 2024 GGUF pair (the files the
// moondream-ggml runner and llama.cpp's docs point at). Sizes and SHA-256 are taken from
// Hugging Face's X-Linked-Size / X-Linked-Etag headers at download time; fill them in
// here to pin the files independently of the server.
constexpr const char* kDefaultBaseUrl =
    "https://huggingface.co/vikhyatk/moondream2/resolve/fa8398d264205ac3890b62e97d3c588268ed9ec4";

struct ModelFile {
  const char* name;
  const char* role;
  uint64_t size;       // 0: as the server says
  const char* sha256;  // "": as the server says
};

constexpr ModelFile kTextF16 = {"moondream2-text-model-f16.gguf", "text model (phi2, F16)", 0, ""};
constexpr ModelFile kMmprojF16 = {"moondream2-mmproj-f16.gguf", "vision projector (clip, F16)", 0,
                                  ""};
constexpr const char* kTextQ4KM = "moondream2-text-model-q4_k_m.gguf";

struct PullOptions {
  std::string models_dir = "models";
  std::string variant = "q4_k_m";
  std::string base_url = kDefaultBaseUrl;
  bool keep_f16 = false;
  int threads = 0;
};

std::string HumanBytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

// A one-line progress bar on stderr, redrawn at most 10 times a second on a terminal;
// elsewhere (logs, CI) one line per 10%.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label)
      : label_(std::move(label)), tty_(::isatty(STDERR_FILENO) != 0) {}

  void Update(const DownloadProgress& p) {
    auto now = std::chrono::steady_clock::now();
    const int decile = p.total ? static_cast<int>(10 * p.done / p.total) : -1;
    if (tty_) {
      if (now - last_ < std::chrono::milliseconds(100) && p.done != p.total) return;
    } else if (decile == last_decile_ || decile < 0) {
      return;
    }
    last_ = now;
    last_decile_ = decile;
    std::string line = "  " + label_ + "  ";
    if (p.total > 0) {
      const double frac = static_cast<double>(p.done) / static_cast<double>(p.total);
      const int width = 24, filled = static_cast<int>(frac * width);
      line += "[" + std::string(filled, '#') + std::string(width - filled, '-') + "] ";
      char pct[16];
      std::snprintf(pct, sizeof pct, "%5.1f%% ", 100 * frac);
      line += pct + HumanBytes(static_cast<double>(p.done)) + " / " +
              HumanBytes(static_cast<double>(p.total));
      if (p.bytes_per_second > 0) {
        const double eta = static_cast<double>(p.total - p.done) / p.bytes_per_second;
        char rate[64];
        std::snprintf(rate, sizeof rate, "  %s/s  ETA %d:%02d",
                      HumanBytes(p.bytes_per_second).c_str(), static_cast<int>(eta) / 60,
                      static_cast<int>(eta) % 60);
        line += rate;
      }
    } else {
      line += HumanBytes(static_cast<double>(p.done));
    }
    if (tty_) {
      std::fprintf(stderr, "\r%-100s", line.c_str());
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
    drawn_ = true;
  }

  void Finish() {
    if (tty_ && drawn_) std::fputs("\n", stderr);
  }

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
  int last_decile_ = -2;
  std::chrono::steady_clock::time_point last_{};
};

std::string Url(const PullOptions& o, const char* name) {
  std::string base = o.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + name;
}

int OfflineHelp(const PullOptions& o, const std::string& dir, const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  std::fprintf(stderr,
               "\nThis machine seems to be offline. On a machine with internet access, download\n"
               "these files and place them in %s:\n\n",
               dir.c_str());
  for (const ModelFile* f : {&kTextF16, &kMmprojF16}) {
    std::fprintf(stderr, "  %s\n    -> %s/%s   (%s)\n", Url(o, f->name).c_str(), dir.c_str(),
                 f->name, f->role);
  }
  std::fprintf(stderr, "\nThen check them with:  moondream info %s/%s %s/%s\n", dir.c_str(),
               kTextF16.name, dir.c_str(), kMmprojF16.name);
  if (o.variant == "q4_k_m") {
    std::fprintf(stderr, "and make the smaller text model with:\n  moondream quantize %s/%s %s/%s Q4_K_M\n",
                 dir.c_str(), kTextF16.name, dir.c_str(), kTextQ4KM);
  }
  std::fprintf(stderr, "(Running `moondream pull` again later resumes any partial download.)\n");
  return 1;
}

int RunPull(const PullOptions& o) {
  if (o.variant != "q4_k_m" && o.variant != "f16") {
    return Fail("--variant must be q4_k_m or f16, not \"" + o.variant + "\"");
  }
  std::error_code ec;
  fs::create_directories(o.models_dir, ec);
  if (ec) return Fail("cannot create " + o.models_dir + ": " + ec.message());
  const std::string dir = fs::absolute(o.models_dir).lexically_normal().string();
  const std::string final_text = dir + "/" + kTextQ4KM;
  const bool need_text_f16 = o.variant == "f16" || !fs::exists(final_text);

  std::vector<const ModelFile*> files;
  if (need_text_f16) files.push_back(&kTextF16);
  files.push_back(&kMmprojF16);
  for (const ModelFile* f : files) {
    DownloadRequest req;
    req.url = Url(o, f->name);
    req.dest = dir + "/" + f->name;
    req.expected_size = f->size;
    req.expected_sha256 = f->sha256;
    ProgressBar bar(f->name);
    DownloadOptions opt;
    opt.progress = [&bar](const DownloadProgress& p) { bar.Update(p); };
    std::fprintf(stderr, "%s: %s\n", f->role, req.url.c_str());
    StatusOr<DownloadResult> r = DownloadFile(req, opt);
    bar.Finish();
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kUnavailable) return OfflineHelp(o, dir, r.status());
      return Fail(r.status().message());
    }
    std::printf("%s  %s  sha256 %s%s%s\n", req.dest.c_str(), HumanBytes(static_cast<double>(r->bytes)).c_str(),
                r->sha256.c_str(), r->checksum_verified ? " (verified)" : " (not published; computed)",
                r->already_present ? ", already present" : "");
  }

  if (o.variant == "q4_k_m") {
    if (need_text_f16) {
      std::fprintf(stderr, "quantizing the text model to Q4_K_M\n");
      ProgressBar bar(kTextQ4KM);
      QuantizeOptions qo;
      qo.threads = o.threads;
      qo.progress = [&bar](size_t, size_t, uint64_t done, uint64_t total) {
        bar.Update({done, total, 0});
      };
      Status s = QuantizeGguf(dir + "/" + kTextF16.name, final_text, QuantPreset::kQ4_K_M, qo);
      bar.Finish();
      if (!s.ok()) return Fail(s.message());
      if (!o.keep_f16) fs::remove(dir + "/" + kTextF16.name, ec);
    }
    std::printf("%s  %s\n", final_text.c_str(),
                HumanBytes(static_cast<double>(fs::file_size(final_text, ec))).c_str());
  }
  std::printf("ready: moondream serve --model %s --mmproj %s/%s\n",
              o.variant == "q4_k_m" ? final_text.c_str() : (dir + "/" + kTextF16.name).c_str(),
              dir.c_str(), kMmprojF16.name);
  return 0;
}

CommandRegistration kPull("pull", 15, [](CLI::App& app) -> RunFn {
  auto o = std::make_shared<PullOptions>();
  app.description(
      "Download the Moondream2 GGUF pair (text model + vision projector) from Hugging Face: "
      "resumable, size and SHA-256 checked, written atomically");
  app.add_option("--models", o->models_dir, "directory for the model files (default: models)");
  app.add_option("--variant", o->variant,
                 "q4_k_m (default: F16 download, quantized here) or f16");
  app.add_option("--base-url", o->base_url, "where the files live (default: Hugging Face)");
  app.add_flag("--keep-f16", o->keep_f16, "q4_k_m: keep the downloaded F16 text model too");
  app.add_option("-t,--threads", o->threads, "quantization threads (default: all cores)");
  return [o] { return RunPull(*o); };
});

}  // namespace
}  // namespace md::cli
