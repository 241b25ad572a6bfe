#include "server/server.h"

#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <random>

#include <spdlog/spdlog.h>

#include "server/server_state.h"
#include "server/sha256.h"
#include "server/web_assets.h"

namespace md::server {

// httplib's listener with a deeper accept backlog (its own is 5, too few for 40 clients
// connecting at once).
class Listener : public httplib::Server {
 public:
  void SetBacklog(int backlog) {
    socket_t s = svr_sock_;
    if (s != INVALID_SOCKET) ::listen(s, backlog);
  }
  // Stops accepting. Unlike stop(), requests already accepted (streams included) go on:
  // httplib ends its accept loop and waits for its threads.
  void CloseListener() {
    socket_t s = svr_sock_;
    if (s != INVALID_SOCKET) ::shutdown(s, SHUT_RDWR);
  }
  // After the drain: idle keep-alive connections end now instead of at their timeout.
  void MarkStopped() { svr_sock_ = INVALID_SOCKET; }
};

namespace {

using nlohmann::json;

thread_local Clock::time_point t_request_start;
thread_local uint64_t t_request_bytes_in = 0;

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Route label for metrics: the known routes by name, everything else "other" (so a
// scan of random URLs cannot grow the metric set without bound).
std::string RouteLabel(const std::string& path) {
  static const char* kRoutes[] = {
      "/",           "/health",      "/v1/health", "/metrics",  "/v1/caption",
      "/v1/query",   "/v1/detect",   "/v1/point",  "/v1/segment", "/v1/chat/completions",
      "/v1/models",  "/v1/version",  "/api/info",  "/models",   "/chat/completions"};
  for (const char* r : kRoutes) {
    if (path == r) return r;
  }
  if (path.size() > 1 && path.find('/', 1) == std::string::npos) {
    for (const web::Asset* a = web::kAssets; a->name != nullptr; ++a) {
      if (path.substr(1) == a->name) return "/static";
    }
  }
  return "other";
}

std::string NewRequestId(ServerState& state) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "req-%06llx-%08llx",
                static_cast<unsigned long long>(state.next_request_id.fetch_add(1) & 0xFFFFFF),
                static_cast<unsigned long long>(rng() & 0xFFFFFFFF));
  return buf;
}

bool OriginAllowed(const ServerConfig& c, const std::string& origin) {
  for (const std::string& o : c.cors_origins) {
    if (o == "*" || o == origin) return true;
  }
  return false;
}

bool AuthOk(const ServerConfig& c, const httplib::Request& req) {
  if (c.api_key.empty()) return true;
  if (req.get_header_value("X-Moondream-Auth") == c.api_key) return true;
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0 && auth.substr(7) == c.api_key) return true;
  return false;
}

bool IsPublicPath(const std::string& path) {
  if (path == "/" || path == "/health" || path == "/v1/health" || path == "/api/info" ||
      path == "/favicon.ico") {
    return true;
  }
  return RouteLabel(path) == "/static";
}

std::string ContentTypeFor(const std::string& name) {
  auto ends = [&](const char* ext) {
    std::string e = ext;
    return name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

void PruneAndAdd(ServerState& state, const std::shared_ptr<Job>& job) {
  std::lock_guard<std::mutex> lock(state.jobs_mu);
  state.jobs.remove_if([](const std::weak_ptr<Job>& w) { return w.expired(); });
  state.jobs.push_back(job);
}

ApiError LoadingError(const ServerState& state) {
  std::lock_guard<std::mutex> lock(state.mu);
  if (!state.load_error.empty()) {
    return {503, "the model failed to load: " + state.load_error, "model_load_failed", ""};
  }
  return {503, "the model is still loading; retry in a few seconds", "model_loading", ""};
}

}  // namespace

std::string RequestId(const httplib::Response& res) { return res.get_header_value("X-Request-Id"); }

std::string SseData(const json& j) { return "data: " + j.dump() + "\n\n"; }

json MetricsJson(const Job& job) {
  const GenerationStats& s = job.answer().stats;
  return {{"input_tokens", s.prompt_tokens + job.prefix_positions()},
          {"output_tokens", s.generated_tokens},
          {"prefill_time_ms", s.prefill_ms},
          {"decode_time_ms", s.decode_ms},
          {"ttft_ms", s.time_to_first_token_ms},
          {"image_encode_ms", s.image_encode_ms},
          {"image_cached", job.cache_hit()}};
}

bool SamplingFrom(const ModeConfig& mode, const json& o, SamplingParams* p, ApiError* error) {
  p->temperature = mode.temperature;
  p->top_p = mode.top_p;
  p->max_tokens = mode.max_tokens;
  if (!o.is_object()) return true;
  auto number = [&](const char* key, double lo, double hi, bool lo_open, double* out) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return true;
    if (!it->is_number()) {
      *error = {400, std::string("'") + key + "' must be a number", "invalid_parameter", key};
      return false;
    }
    double v = it->get<double>();
    if (!(lo_open ? v > lo : v >= lo) || !(v <= hi)) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "'%s' must be in %c%g, %g]", key, lo_open ? '(' : '[', lo, hi);
      *error = {400, buf, "invalid_parameter", key};
      return false;
    }
    *out = v;
    return true;
  };
  double t = p->temperature, tp = p->top_p, mt = p->max_tokens, tk = 0;
  if (!number("temperature", 0, 10, false, &t)) return false;
  if (!number("top_p", 0, 1, true, &tp)) return false;
  if (!number("max_tokens", 1, 100000, false, &mt)) return false;
  if (!number("top_k", 0, 1e6, false, &tk)) return false;
  p->temperature = static_cast<float>(t);
  p->top_p = static_cast<float>(tp);
  p->max_tokens = static_cast<int>(mt);
  p->top_k = static_cast<int>(tk);
  auto seed = o.find("seed");
  if (seed != o.end() && seed->is_number_integer()) p->seed = seed->get<uint64_t>();
  return true;
}

void PostJson(httplib::Server& svr, ServerState& state, const std::string& path,
              JsonHandler handler) {
  svr.Post(path, [&state, handler](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
    // Over the limit is refused from the Content-Length before reading anything, and
    // while reading for chunked uploads.
    const uint64_t limit = state.config.max_upload_bytes;
    bool too_big = false;
    if (req.has_header("Content-Length") &&
        std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > limit) {
      too_big = true;
    }
    std::string body;
    bool read_ok = !too_big && reader([&](const char* data, size_t n) {
      if (body.size() + n > limit) {
        too_big = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    t_request_bytes_in = body.size();
    if (!read_ok) {
      if (too_big || res.status == 413) {
        res.set_header("Connection", "close");
        WriteError(res,
                   {413,
                    "the request body is larger than the upload limit of " +
                        std::to_string(state.config.max_upload_bytes >> 20) +
                        " MB (limits.max_upload_mb)",
                    "payload_too_large", ""});
      } else {
        // The connection is useless now: end it instead of waiting for a next request.
        int fd = FindConnectionSocket(req);
        if (fd >= 0) ::shutdown(fd, SHUT_RD);
        // Slow or vanished uploads are a fact of networks, not a server error.
        spdlog::info("req={} upload ended after {} bytes (client timed out or disconnected)",
                     RequestId(res), body.size());
        WriteError(res, {400, "the request body was not received completely", "incomplete_body", ""});
      }
      return;
    }
    json j;
    ApiError error;
    if (!ParseJsonBody(req, body, &j, &error)) {
      WriteError(res, error);
      return;
    }
    body.clear();
    body.shrink_to_fit();
    handler(req, res, j);
  });
}

std::shared_ptr<Job> StartJob(ServerState& state, GenerationInput input,
                              const httplib::Request& req, httplib::Response& res, int* fd) {
  *fd = -1;
  std::shared_ptr<Engine> engine = state.engine();
  if (engine == nullptr) {
    WriteError(res, LoadingError(state), state.config.retry_after_s);
    return nullptr;
  }
  if (state.draining) {
    WriteError(res, {503, "the server is shutting down", "shutting_down", ""},
               state.config.retry_after_s);
    return nullptr;
  }
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(state.config.request_timeout_s);
  auto job = std::make_shared<Job>(std::move(input), deadline);
  ImageOptions image_options = ImageOptionsFrom(state.config);
  Status queued = state.queue.Submit([job, engine, &state, image_options] {
    job->Run(*engine, state.cache, image_options, state.metrics);
  });
  if (!queued.ok()) {
    state.metrics.RecordQueueRejected();
    WriteError(res, ErrorFromStatus(queued, Stage::kGeneration), state.config.retry_after_s);
    return nullptr;
  }
  PruneAndAdd(state, job);
  *fd = FindConnectionSocket(req);
  int sock = *fd;
  bool gone = false;
  bool started = job->WaitStarted([&] {
    gone = PeerClosed(sock);
    return gone || Clock::now() > deadline + std::chrono::seconds(1);
  });
  if (!started) {
    if (gone) {
      spdlog::info("req={} client disconnected while waiting; request cancelled", RequestId(res));
      res.status = 499;
      return nullptr;
    }
    state.metrics.RecordTimeout();
    WriteError(res,
               {503, "the request waited longer than the request timeout (" +
                         std::to_string(state.config.request_timeout_s) + " s); the server is busy",
                "timeout", ""},
               state.config.retry_after_s);
    return nullptr;
  }
  if (job->FailedBeforeOutput()) {
    job->WaitDone();
    ApiError e = ErrorFromStatus(job->status(), job->stage());
    if (job->status().code() == StatusCode::kCancelled) {
      res.status = 499;
      return nullptr;
    }
    WriteError(res, e, state.config.retry_after_s);
    return nullptr;
  }
  return job;
}

bool CollectJob(ServerState& state, Job& job, int fd, httplib::Response& res, std::string* text) {
  for (;;) {
    bool done = false;
    *text += job.TakeText(std::chrono::milliseconds(50), &done);
    if (done) break;
    if (PeerClosed(fd)) {
      job.Cancel();
      spdlog::info("req={} client disconnected; generation cancelled", RequestId(res));
      res.status = 499;
      return false;
    }
  }
  if (!job.status().ok()) {
    WriteError(res, ErrorFromStatus(job.status(), job.stage()), state.config.retry_after_s);
    return false;
  }
  return true;
}

void StreamJob(ServerState& state, std::shared_ptr<Job> job, int fd, httplib::Response& res,
               SseFormat format) {
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  std::string request_id = RequestId(res);
  res.set_chunked_content_provider(
      "text/event-stream",
      [job, fd, format, request_id](size_t, httplib::DataSink& sink) {
        auto send = [&](const std::string& s) { return s.empty() || sink.write(s.data(), s.size()); };
        if (!send(format.first_event)) {
          job->Cancel();
          return false;
        }
        // The whole stream is written inside this one call, so that a server stop does
        // not cut it off between two calls.
        for (;;) {
          bool done = false;
          std::string text = job->TakeText(std::chrono::milliseconds(50), &done);
          if (!text.empty() && !send(format.chunk_event(text))) {
            job->Cancel();
            spdlog::info("req={} client disconnected while streaming; generation cancelled",
                         request_id);
            return false;
          }
          if (done) break;
          if (PeerClosed(fd)) {
            job->Cancel();
            spdlog::info("req={} client disconnected while streaming; generation cancelled",
                         request_id);
            return false;
          }
        }
        std::string end = job->status().ok()
                              ? format.end_events(*job)
                              : format.error_event(ErrorFromStatus(job->status(), job->stage()));
        send(end);
        sink.done();
        return true;
      });
}

HttpServer::HttpServer(ServerConfig config)
    : state_(std::make_unique<ServerState>(std::move(config))), svr_(std::make_unique<Listener>()) {
  // A write to a client that went away must be an error return, not a signal.
  signal(SIGPIPE, SIG_IGN);
  Routes();
}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::SetEngine(std::shared_ptr<Engine> engine, bool demo) {
  std::string label = engine ? engine->model_name() : "";
  if (label.empty()) label = "moondream2";
  state_->set_engine(std::move(engine), label, demo);
}

void HttpServer::SetLoadError(const std::string& message) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->load_error = message;
}

StatusOr<int> HttpServer::Bind() {
  const ServerConfig& c = state_->config;
  svr_->set_read_timeout(c.read_timeout_s, 0);
  svr_->set_write_timeout(c.write_timeout_s, 0);
  svr_->set_keep_alive_timeout(5);
  svr_->set_payload_max_length(c.max_upload_bytes);
  svr_->set_tcp_nodelay(true);
  int threads = c.http_threads > 0 ? c.http_threads : c.queue_length + 16;
  svr_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  int port = c.port;
  if (port == 0) {
    port = svr_->bind_to_any_port(c.host);
    if (port < 0) return Unavailable("cannot listen on " + c.host + ": no free port");
  } else if (!svr_->bind_to_port(c.host, port)) {
    return Unavailable("cannot listen on " + c.host + ":" + std::to_string(port) +
                       " (address in use or not available); pick another with --port");
  }
  svr_->SetBacklog(512);
  port_ = port;
  return port;
}

void HttpServer::Serve() {
  serving_ = true;
  if (!state_->draining) svr_->listen_after_bind();
  serving_ = false;
}

Status HttpServer::Start() {
  MD_ASSIGN_OR_RETURN(int port, Bind());
  (void)port;
  serve_thread_ = std::thread([this] { Serve(); });
  for (int i = 0; i < 500 && !svr_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return svr_->is_running() ? Status::Ok() : Internal("the HTTP server did not start");
}

void HttpServer::Shutdown() {
  if (shut_down_.exchange(true)) return;
  ServerState& s = *state_;
  s.draining = true;
  // Serve() may be between its draining check and listening; stop() only works once
  // the listener runs.
  while (serving_ && !svr_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  svr_->CloseListener();
  if (!s.queue.WaitIdle(std::chrono::seconds(s.config.drain_timeout_s))) {
    spdlog::warn("shutdown: requests still running after {} s; cancelling them",
                 s.config.drain_timeout_s);
    std::lock_guard<std::mutex> lock(s.jobs_mu);
    for (auto& w : s.jobs) {
      if (auto job = w.lock()) job->Cancel();
    }
    s.queue.WaitIdle(std::chrono::seconds(5));
  }
  // Let the HTTP threads write the last answers before idle connections are dropped.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  svr_->MarkStopped();
  if (serve_thread_.joinable()) serve_thread_.join();
  s.queue.Stop();
}

void HttpServer::Routes() {
  Listener& svr = *svr_;
  ServerState& state = *state_;

  svr.set_pre_routing_handler([&state](const httplib::Request& req, httplib::Response& res) {
    t_request_start = Clock::now();
    t_request_bytes_in = 0;
    res.set_header("X-Request-Id", NewRequestId(state));
    const ServerConfig& c = state.config;
    std::string origin = req.get_header_value("Origin");
    if (!origin.empty() && OriginAllowed(c, origin)) {
      bool any = c.cors_origins.size() == 1 && c.cors_origins[0] == "*";
      res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
      if (!any) res.set_header("Vary", "Origin");
      res.set_header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
    }
    if (req.method == "OPTIONS") {
      if (!origin.empty() && OriginAllowed(c, origin)) {
        res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        res.set_header("Access-Control-Allow-Headers",
                       "Content-Type, Authorization, X-Moondream-Auth");
        res.set_header("Access-Control-Max-Age", "600");
      }
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!IsPublicPath(req.path) && !AuthOk(c, req)) {
      WriteError(res, {401, "missing or wrong API key: send it as 'X-Moondream-Auth: KEY' or "
                            "'Authorization: Bearer KEY'",
                       "invalid_api_key", ""});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) -> httplib::Server::HandlerResponse {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 404) {
      WriteError(res, {404, "no route " + req.method + " " + req.path, "not_found", ""});
    } else if (res.status == 413) {
      WriteError(res, {413, "the request is larger than the upload limit", "payload_too_large", ""});
    } else if (res.status == 400) {
      WriteError(res, {400, "malformed HTTP request", "bad_request", ""});
    } else if (res.status == 499) {
      return httplib::Server::HandlerResponse::Unhandled;
    } else {
      WriteError(res, {res.status, "HTTP error " + std::to_string(res.status), "http_error", ""});
    }
    return httplib::Server::HandlerResponse::Handled;
  }));

  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                               std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("req={} internal error: {}", RequestId(res), what);
    WriteError(res, {500, "internal server error", "internal", ""});
  });

  // A client that asks before sending a big body learns about the limit right away.
  svr.set_expect_100_continue_handler([&state](const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("Content-Length") &&
        std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) >
            state.config.max_upload_bytes) {
      res.set_header("Connection", "close");
      res.status = 413;
      return 413;
    }
    return 100;
  });

  svr.set_logger([&state](const httplib::Request& req, const httplib::Response& res) {
    std::string route = RouteLabel(req.path);
    state.metrics.RecordHttp(route, res.status);
    double ms = t_request_start.time_since_epoch().count() ? MsSince(t_request_start) : 0;
    // Never the body, the query string or the picture: sizes, timings and status only.
    spdlog::info("req={} {} {} {} {:.1f}ms in={}B out={}B", RequestId(res), req.method, route,
                 res.status, ms, t_request_bytes_in, res.body.size());
    t_request_start = {};
  });

  auto health = [&state](const httplib::Request&, httplib::Response& res) {
    json j;
    res.set_header("Cache-Control", "no-store");
    if (state.draining) {
      res.status = 503;
      j = {{"status", "stopping"}};
    } else if (state.engine() != nullptr) {
      std::lock_guard<std::mutex> lock(state.mu);
      res.status = 200;
      j = {{"status", "ok"}, {"server", "moondream-local"}, {"model", state.model_label},
           {"demo", state.demo}};
    } else {
      std::lock_guard<std::mutex> lock(state.mu);
      res.status = 503;
      if (state.load_error.empty()) {
        j = {{"status", "loading"}};
      } else {
        j = {{"status", "error"}, {"error", state.load_error}};
      }
    }
    res.set_content(j.dump() + "\n", "application/json");
  };
  svr.Get("/health", health);
  svr.Get("/v1/health", health);

  svr.Get("/metrics", [&state](const httplib::Request&, httplib::Response& res) {
    Metrics::Gauges g;
    g.queue_depth = state.queue.depth();
    g.queue_capacity = state.queue.capacity();
    ImageCache::Stats cs = state.cache.stats();
    g.cache_hits = cs.hits;
    g.cache_misses = cs.misses;
    g.cache_evictions = cs.evictions;
    g.cache_bytes = cs.bytes;
    g.cache_entries = cs.entries;
    g.model_loaded = state.engine() != nullptr;
    res.set_content(state.metrics.Render(g), "text/plain; version=0.0.4; charset=utf-8");
  });

  svr.Get("/v1/version", [&state](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(state.mu);
    json j = {{"version", MD_VERSION}, {"server", "moondream-local"},
              {"model", state.model_label}, {"demo", state.demo}};
    res.set_content(j.dump() + "\n", "application/json");
  });

  // What the page needs to know: prompts and limits of each mode, model and demo flag.
  svr.Get("/api/info", [&state](const httplib::Request&, httplib::Response& res) {
    const ServerConfig& c = state.config;
    auto mode = [](const ModeConfig& m) {
      return json{{"prompt", m.prompt}, {"max_tokens", m.max_tokens},
                  {"temperature", m.temperature}, {"top_p", m.top_p}};
    };
    json j;
    {
      std::lock_guard<std::mutex> lock(state.mu);
      j = {{"version", MD_VERSION},
           {"model", state.model_label},
           {"demo", state.demo},
           {"loaded", state.engine_ != nullptr},
           {"auth_required", !c.api_key.empty()},
           {"max_upload_bytes", c.max_upload_bytes},
           {"max_question_chars", c.max_question_chars},
           {"modes", {{"long", mode(c.caption_long)}, {"normal", mode(c.caption_normal)},
                      {"short", mode(c.caption_short)}, {"query", mode(c.query)}}}};
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(j.dump() + "\n", "application/json");
  });

  // The page: embedded files, revalidated by ETag so a new binary shows its new page.
  for (const web::Asset* a = web::kAssets; a->name != nullptr; ++a) {
    std::string name = a->name;
    std::string path = name == "index.html" ? "/" : "/" + name;
    std::string etag =
        "\"" + ToHex(Sha256({a->data, a->size})).substr(0, 16) + "\"";
    const web::Asset* asset = a;
    auto serve = [asset, etag, name](const httplib::Request& req, httplib::Response& res) {
      res.set_header("ETag", etag);
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      if (req.get_header_value("If-None-Match") == etag) {
        res.status = 304;
        return;
      }
      res.set_content(reinterpret_cast<const char*>(asset->data), asset->size, ContentTypeFor(name));
    };
    svr.Get(path, serve);
    if (name == "index.html") svr.Get("/index.html", serve);
  }

  RegisterMoondreamApi(svr, state);
  RegisterOpenAiApi(svr, state);

  // Wrong method on a known route: 405 with Allow, not 404.
  auto method_not_allowed = [](const std::string& allow) {
    return [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      WriteError(res, {405, req.method + " is not allowed on " + req.path + "; use " + allow,
                       "method_not_allowed", ""});
    };
  };
  for (const char* p : {"/v1/caption", "/v1/query", "/v1/detect", "/v1/point", "/v1/segment",
                        "/v1/chat/completions", "/chat/completions"}) {
    svr.Get(p, method_not_allowed("POST"));
    svr.Put(p, method_not_allowed("POST"));
    svr.Delete(p, method_not_allowed("POST"));
  }
  for (const char* p : {"/health", "/v1/health", "/metrics", "/v1/models", "/models", "/api/info",
                        "/v1/version"}) {
    svr.Post(p, method_not_allowed("GET"));
    svr.Put(p, method_not_allowed("GET"));
    svr.Delete(p, method_not_allowed("GET"));
  }
}

}  // namespace md::server
