// Server throughput and latency on the tiny random-weight model, in-process over
// loopback: requests/s and p50/p99 latency with 1 and 40 concurrent clients, the share
// of 503s under overload, and resident memory before/after many requests.
//
//   server_bench [--requests N] [--tokens T] [--soak N] [--overload-clients N]
//
// Each request is POST /v1/query with the same fixture picture (cached after the first),
// "settings": {"max_tokens": T, "temperature": 0}.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "moondream/engine.h"
#include "server/http_util.h"
#include "server/metrics.h"
#include "server/server.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct RunResult {
  int ok = 0, busy = 0, other = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // of 200s
};

RunResult Run(int port, const std::string& body, int clients, int total) {
  RunResult r;
  std::atomic<int> next{0}, ok{0}, busy{0}, other{0};
  std::vector<std::vector<double>> lat(clients);
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_read_timeout(300, 0);
      while (next.fetch_add(1) < total) {
        auto s = Clock::now();
        auto res = cli.Post("/v1/query", body, "application/json");
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
        if (!res) {
          ++other;
        } else if (res->status == 200) {
          ++ok;
          lat[c].push_back(ms);
        } else if (res->status == 503) {
          ++busy;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.ok = ok;
  r.busy = busy;
  r.other = other;
  for (auto& v : lat) r.latency_ms.insert(r.latency_ms.end(), v.begin(), v.end());
  std::sort(r.latency_ms.begin(), r.latency_ms.end());
  return r;
}

double Percentile(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 200, tokens = 8, soak = 0, overload_clients = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--requests")) requests = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--tokens")) tokens = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--soak")) soak = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--overload-clients")) overload_clients = std::atoi(argv[i + 1]);
  }
  spdlog::set_level(spdlog::level::warn);
  const std::string fixtures = std::string(MD_SOURCE_DIR) + "/testdata/fixtures/";
  md::LoadOptions lo;
  lo.text_model_path = fixtures + "moondream2-tiny-text-f32.gguf";
  lo.mmproj_path = fixtures + "moondream2-tiny-mmproj-f32.gguf";
  auto engine = md::Engine::Load(lo);
  if (!engine.ok()) {
    std::fprintf(stderr, "cannot load the tiny model: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  std::shared_ptr<md::Engine> shared(std::move(engine).value());
  std::string png = ReadFile(fixtures + "images/scene_512x384.png");
  std::string body =
      json{{"image_url", "data:image/png;base64," +
                             md::server::EncodeBase64({reinterpret_cast<const uint8_t*>(png.data()), png.size()})},
           {"question", "What is in the picture?"},
           {"settings", {{"max_tokens", tokens}, {"temperature", 0}}}}
          .dump();
  std::printf("tiny model (random weights), POST /v1/query, cached picture, max_tokens %d, %u cores\n",
              tokens, std::thread::hardware_concurrency());
  {
    // Latency: a queue long enough for 40 clients, so every request is answered.
    md::server::ServerConfig cfg;
    cfg.port = 0;
    cfg.log_level = "warn";
    cfg.queue_length = 64;
    md::server::HttpServer srv(cfg);
    srv.SetEngine(shared, true);
    if (!srv.Start().ok()) return 1;
    Run(srv.port(), body, 1, 3);  // warm up: encodes the picture once
    for (int clients : {1, 40}) {
      RunResult r = Run(srv.port(), body, clients, requests);
      std::printf("%2d clients (queue 64): %4d requests, %.1f req/s, p50 %.1f ms, p99 %.1f ms, 503s %d, other %d\n",
                  clients, requests, r.ok / r.seconds, Percentile(r.latency_ms, 0.5),
                  Percentile(r.latency_ms, 0.99), r.busy, r.other);
    }
    if (soak > 0) {
      uint64_t before = md::server::ResidentMemoryBytes();
      RunResult r = Run(srv.port(), body, 8, soak);
      uint64_t after = md::server::ResidentMemoryBytes();
      std::printf("soak: %d requests by 8 clients in %.0f s (%d ok, %d 503, %d other); RSS before %.1f MB, after %.1f MB\n",
                  soak, r.seconds, r.ok, r.busy, r.other, before / 1048576.0, after / 1048576.0);
    }
    srv.Shutdown();
  }
  {
    // Default config (queue 32): 40 clients, then an overload of many clients sending
    // back to back without honouring Retry-After.
    md::server::ServerConfig cfg;
    cfg.port = 0;
    cfg.log_level = "warn";
    md::server::HttpServer srv(cfg);
    srv.SetEngine(shared, true);
    if (!srv.Start().ok()) return 1;
    Run(srv.port(), body, 1, 1);
    RunResult r = Run(srv.port(), body, 40, requests);
    std::printf("40 clients (queue 32, default): %d requests, %.1f req/s, p50 %.1f ms, p99 %.1f ms, 503s %d (%.1f%%), other %d\n",
                requests, r.ok / r.seconds, Percentile(r.latency_ms, 0.5), Percentile(r.latency_ms, 0.99),
                r.busy, 100.0 * r.busy / requests, r.other);
    r = Run(srv.port(), body, overload_clients, overload_clients * 4);
    int total = r.ok + r.busy + r.other;
    std::printf("overload: %d clients (queue %d), %d requests: %d ok, %d refused with 503 (%.1f%%), %d other\n",
                overload_clients, cfg.queue_length, total, r.ok, r.busy, 100.0 * r.busy / total, r.other);
    srv.Shutdown();
  }
  return 0;
}
