// Counters and histograms for GET /metrics, rendered in the Prometheus text format
// (version 0.0.4). Thread-safe; cheap enough to update on every request.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace md::server {

// A cumulative histogram with fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket/_sum/_count lines of `name` (HELP/TYPE included).
  void Render(const std::string& name, const std::string& help, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative), last = +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();

  // One HTTP response: `route` is the matched route pattern (or "other").
  void RecordHttp(const std::string& route, int status);
  // One finished generation (answer delivered or not).
  void RecordGeneration(double ttft_s, double total_s, int tokens, double decode_s,
                        const std::string& finish_reason);
  void RecordImageEncode(double seconds);
  void RecordQueueRejected();
  void RecordTimeout();

  // Values read at render time from the other parts of the server.
  struct Gauges {
    int queue_depth = 0;
    int queue_capacity = 0;
    uint64_t cache_hits = 0, cache_misses = 0, cache_evictions = 0, cache_bytes = 0;
    uint64_t cache_entries = 0;
    bool model_loaded = false;
  };
  std::string Render(const Gauges& gauges) const;

  // Total requests answered with `status` (any route), for tests and the bench.
  uint64_t CountStatus(int status) const;
  uint64_t cancelled() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> http_;
  Histogram ttft_;
  Histogram latency_;
  Histogram encode_;
  uint64_t tokens_ = 0;
  double decode_seconds_ = 0;
  double last_tokens_per_second_ = 0;
  std::map<std::string, uint64_t> finish_reasons_;
  uint64_t queue_rejected_ = 0;
  uint64_t timeouts_ = 0;
};

// Resident set size of this process in bytes (0 where /proc is missing).
uint64_t ResidentMemoryBytes();

}  // namespace md::server
