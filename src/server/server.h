// The HTTP server behind `moondream serve`: the web page, the official Moondream API,
// the OpenAI API, health and metrics (../shared/spec/api.md). One object owns the
// listener, the HTTP thread pool, the queue + engine worker and the picture cache.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "moondream/engine.h"
#include "server/config.h"

namespace md::server {

struct ServerState;
class Listener;

class HttpServer {
 public:
  explicit HttpServer(ServerConfig config);
  ~HttpServer();  // Shutdown()

  // Hands over the loaded engine: /health turns 200 and model routes start working.
  // `demo` marks random weights (shown on the page).
  void SetEngine(std::shared_ptr<Engine> engine, bool demo);
  // Loading failed: /health answers 503 {"status": "error", "error": message}.
  void SetLoadError(const std::string& message);

  // Binds host:port from the config (port 0 = any free port). Returns the port.
  StatusOr<int> Bind();
  // Serves until Shutdown() is called from another thread. Requires Bind().
  void Serve();
  // Bind() + Serve() on a background thread; returns once requests are accepted.
  Status Start();
  // Graceful stop: refuse new work, close the listener, let running requests finish
  // for up to http.drain_timeout_s, cancel the rest, wait for Serve() to return.
  void Shutdown();

  int port() const { return port_; }
  ServerState& state() { return *state_; }

 private:
  void Routes();

  std::unique_ptr<ServerState> state_;
  std::unique_ptr<Listener> svr_;
  std::thread serve_thread_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
  std::atomic<bool> serving_{false};
};

}  // namespace md::server
