// What every handler shares: the config, the engine (once loaded), the queue and worker,
// the picture cache and the metrics. Handlers are free functions over a ServerState.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <list>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "moondream/engine.h"
#include "server/config.h"
#include "server/generation.h"
#include "server/http_util.h"
#include "server/image_cache.h"
#include "server/metrics.h"
#include "server/work_queue.h"

namespace md::server {

struct ServerState {
  explicit ServerState(ServerConfig c)
      : config(std::move(c)),
        cache(config.image_cache_bytes),
        queue(config.queue_length) {}

  const ServerConfig config;
  Metrics metrics;
  ImageCache cache;
  WorkQueue queue;

  std::shared_ptr<Engine> engine() const {
    std::lock_guard<std::mutex> lock(mu);
    return engine_;
  }
  void set_engine(std::shared_ptr<Engine> e, std::string label, bool demo_model) {
    std::lock_guard<std::mutex> lock(mu);
    engine_ = std::move(e);
    model_label = std::move(label);
    demo = demo_model;
  }

  mutable std::mutex mu;  // guards engine_, model_label, demo, load_error
  std::shared_ptr<Engine> engine_;
  std::string model_label;  // shown in /v1/models and the page
  bool demo = false;
  std::string load_error;

  std::atomic<bool> draining{false};
  std::atomic<uint64_t> next_request_id{1};

  // Jobs handed to the queue, so that a shutdown past its drain time can cancel them.
  std::mutex jobs_mu;
  std::list<std::weak_ptr<Job>> jobs;
};

// The id given to this request (also in the X-Request-Id header).
std::string RequestId(const httplib::Response& res);

// A POST route taking a JSON object: reads the body (the size limit applies while
// reading), answers 413 / 415 / 400 itself, then calls `handler` with the parsed body
// (mutable, so that handlers can drop a big picture string once decoded).
using JsonHandler =
    std::function<void(const httplib::Request&, httplib::Response&, nlohmann::json&)>;
void PostJson(httplib::Server& svr, ServerState& state, const std::string& path,
              JsonHandler handler);

// Queues `input` and waits for its first output. On any failure before the first
// output (queue full, bad picture, prompt too long, client gone), writes the error
// response and returns null. `*fd` receives the connection's socket (or -1).
std::shared_ptr<Job> StartJob(ServerState& state, GenerationInput input,
                              const httplib::Request& req, httplib::Response& res, int* fd);

// Collects the whole answer of a started job (cancelling it if the client leaves).
// Returns false (response already written) if it ended in an error.
bool CollectJob(ServerState& state, Job& job, int fd, httplib::Response& res, std::string* text);

// Streams a started job as SSE: `chunk_event(text)` for each delta and `end_events(job)`
// at the end, `error_event(error)` if it fails midway. Each returns full "data: ...\n\n"
// text.
struct SseFormat {
  std::function<std::string(const std::string& text)> chunk_event;
  std::function<std::string(const Job& job)> end_events;
  std::function<std::string(const ApiError& error)> error_event;
  std::string first_event;  // sent before the first chunk (may be empty)
};
void StreamJob(ServerState& state, std::shared_ptr<Job> job, int fd, httplib::Response& res,
               SseFormat format);

// "data: <json>\n\n"
std::string SseData(const nlohmann::json& j);

// Sampling from a mode's defaults, overridden by request fields (temperature, top_p,
// max_tokens); a bad value writes a 400 into *error and returns false.
bool SamplingFrom(const ModeConfig& mode, const nlohmann::json& overrides, SamplingParams* out,
                  ApiError* error);

// Routes of each API (api_moondream.cc, api_openai.cc).
void RegisterMoondreamApi(httplib::Server& svr, ServerState& state);
void RegisterOpenAiApi(httplib::Server& svr, ServerState& state);

// {"input_tokens", "output_tokens", "prefill_time_ms", "decode_time_ms", "ttft_ms"}
nlohmann::json MetricsJson(const Job& job);

}  // namespace md::server
