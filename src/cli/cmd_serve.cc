// `moondream serve`: the web page on :7860 and the Moondream / OpenAI APIs.
#include <signal.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "cli/command.h"
#include "server/config.h"
#include "server/server.h"

namespace md::cli {
namespace {

namespace fs = std::filesystem;

struct ServeOptions {
  std::string config_path;
  std::string model, mmproj, host, api_key, log_level;
  int port = -1, threads = -1, queue_length = -1, request_timeout = -1, max_image_size = -1;
  double max_upload_mb = -1, cache_mb = -1;
  std::vector<std::string> cors_origins, sets;
  bool demo = false;
};

// Finds the two GGUF files in `dir`: the one whose name holds "mmproj" (or "vision",
// "clip") is the projector, the other the text model.
void FindModels(const std::string& dir, std::string* text, std::string* mmproj) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> ggufs;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".gguf") ggufs.push_back(e.path());
  }
  std::sort(ggufs.begin(), ggufs.end());
  for (const fs::path& p : ggufs) {
    std::string name = p.filename().string();
    bool proj = name.find("mmproj") != std::string::npos ||
                name.find("vision") != std::string::npos || name.find("clip") != std::string::npos;
    if (proj && mmproj->empty()) *mmproj = p.string();
    if (!proj && text->empty()) *text = p.string();
  }
}

std::string MissingModelsHelp(const server::ServerConfig& c) {
  return "no model files found.\n"
         "Put the two Moondream2 GGUF files (from the vikhyatk/moondream2 model repository,\n"
         "or ollama's moondream blobs) here:\n"
         "  " + c.models_dir + "/moondream2-text-model-f16.gguf    (text model, architecture phi2)\n"
         "  " + c.models_dir + "/moondream2-mmproj-f16.gguf        (vision projector; name must contain 'mmproj')\n"
         "or pass them: moondream serve --model TEXT.gguf --mmproj MMPROJ.gguf\n"
         "or set model.text / model.mmproj in config.yaml (--config config.yaml).\n"
         "To try the page without a model: moondream serve --demo (random weights, nonsense answers).";
}

int RunServe(const ServeOptions& o) {
  server::ServerConfig c;
  if (!o.config_path.empty()) {
    Status s = server::LoadConfigFile(o.config_path, &c);
    if (!s.ok()) return Fail(s.message());
  } else if (fs::exists("config.yaml")) {
    Status s = server::LoadConfigFile("config.yaml", &c);
    if (!s.ok()) return Fail(s.message());
  }
  for (const std::string& set : o.sets) {
    Status s = server::ApplyOverride(set, &c);
    if (!s.ok()) return Fail(s.message());
  }
  if (!o.model.empty()) c.text_model = o.model;
  if (!o.mmproj.empty()) c.mmproj = o.mmproj;
  if (!o.host.empty()) c.host = o.host;
  if (o.port >= 0) c.port = o.port;
  if (o.threads >= 0) c.threads = o.threads;
  if (!o.api_key.empty()) c.api_key = o.api_key;
  if (!o.log_level.empty()) c.log_level = o.log_level;
  if (o.queue_length >= 0) c.queue_length = o.queue_length;
  if (o.request_timeout >= 0) c.request_timeout_s = o.request_timeout;
  if (o.max_image_size >= 0) c.max_image_size = o.max_image_size;
  if (o.max_upload_mb > 0) c.max_upload_bytes = static_cast<uint64_t>(o.max_upload_mb * 1048576);
  if (o.cache_mb >= 0) c.image_cache_bytes = static_cast<uint64_t>(o.cache_mb * 1048576);
  if (!o.cors_origins.empty()) c.cors_origins = o.cors_origins;
  if (o.demo) c.demo = true;
  if (const char* key = std::getenv("MOONDREAM_API_KEY"); key != nullptr && c.api_key.empty()) {
    c.api_key = key;
  }
  Status valid = server::ValidateConfig(c);
  if (!valid.ok()) return Fail(valid.message());
  spdlog::set_level(spdlog::level::from_str(c.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  if (c.demo) {
    c.text_model = std::string(MD_SOURCE_DIR) + "/testdata/fixtures/moondream2-tiny-text-f32.gguf";
    c.mmproj = std::string(MD_SOURCE_DIR) + "/testdata/fixtures/moondream2-tiny-mmproj-f32.gguf";
    if (!fs::exists(c.text_model) || !fs::exists(c.mmproj)) {
      return Fail("--demo needs the random-weight fixtures of the source tree, missing: " +
                  c.text_model);
    }
  } else if (c.text_model.empty() || c.mmproj.empty()) {
    FindModels(c.models_dir, &c.text_model, &c.mmproj);
  }
  if (c.text_model.empty() || c.mmproj.empty()) return Fail(MissingModelsHelp(c));
  for (const std::string* p : {&c.text_model, &c.mmproj}) {
    if (!fs::exists(*p)) {
      return Fail("model file not found: " + *p + "\n" + MissingModelsHelp(c));
    }
  }

  // SIGTERM / SIGINT are taken by one thread (sigwait), so the handlers stay simple.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  LoadOptions load;
  load.text_model_path = c.text_model;
  load.mmproj_path = c.mmproj;
  load.threads = c.threads;
  load.context_length = c.context_length;
  load.cache_type = c.kv_cache == "f16" ? KvCacheType::kF16 : KvCacheType::kF32;
  bool demo = c.demo;
  std::string host = c.host;
  server::HttpServer srv(c);
  auto bound = srv.Bind();
  if (!bound.ok()) return Fail(bound.status().message());
  std::string url = "http://" + (host == "0.0.0.0" ? std::string("127.0.0.1") : host) + ":" +
                    std::to_string(*bound) + "/";
  spdlog::info("moondream-local {} listening on {} (loading the model...)", MD_VERSION, url);

  std::atomic<int> exit_code{0};
  std::thread loader([&] {
    auto engine = Engine::Load(load);
    if (!engine.ok()) {
      spdlog::error("cannot load the model: {}", engine.status().message());
      srv.SetLoadError(engine.status().message());
      exit_code = 1;
      kill(getpid(), SIGTERM);
      return;
    }
    srv.SetEngine(std::shared_ptr<Engine>(std::move(engine).value()), demo);
    spdlog::info("model ready{}: open {}", demo ? " (demo: random weights)" : "", url);
  });
  std::thread signal_waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}; finishing running requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    srv.Shutdown();
  });
  srv.Serve();
  loader.join();
  signal_waiter.join();
  srv.Shutdown();
  spdlog::info("stopped");
  return exit_code;
}

CommandRegistration registration("serve", 20, [](CLI::App& app) -> RunFn {
  auto o = std::make_shared<ServeOptions>();
  app.description("Start the web page and the Moondream / OpenAI APIs (default http://127.0.0.1:7860)");
  app.add_option("--config", o->config_path, "config.yaml (default: ./config.yaml if present)");
  app.add_option("--model", o->model, "text model GGUF");
  app.add_option("--mmproj", o->mmproj, "vision projector GGUF");
  app.add_option("--host", o->host, "address to listen on (default 127.0.0.1)");
  app.add_option("--port", o->port, "port (default 7860; 0 = any free port)");
  app.add_option("--threads", o->threads, "compute threads (0 = every core)");
  app.add_option("--api-key", o->api_key, "require this key (X-Moondream-Auth or Bearer)");
  app.add_option("--queue-length", o->queue_length, "requests queued before 503 (default 32)");
  app.add_option("--request-timeout", o->request_timeout, "seconds per request (default 120)");
  app.add_option("--max-upload-mb", o->max_upload_mb, "largest request body in MB (default 20)");
  app.add_option("--max-image-size", o->max_image_size, "downscale pictures to this side (1280)");
  app.add_option("--cache-mb", o->cache_mb, "memory for encoded pictures in MB (default 1024)");
  app.add_option("--cors-origin", o->cors_origins, "allow this browser origin ('*' = any)");
  app.add_option("--log-level", o->log_level, "trace, debug, info, warn, error, off");
  app.add_option("--set", o->sets, "any config key: --set queue.length=64 (repeatable)");
  app.add_flag("--demo", o->demo, "serve the built-in random-weight model to try the page");
  return [o] { return RunServe(*o); };
});

}  // namespace
}  // namespace md::cli
