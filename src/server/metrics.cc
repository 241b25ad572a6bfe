#include "server/metrics.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace md::server {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// Label values may hold anything; Prometheus wants \\, \" and \n escaped.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Scalar(const char* name, const char* type, const char* help, double value, std::string* out) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
          name + " " + Num(value) + "\n";
}

const std::vector<double> kLatencyBounds = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                            2.5,  5,     10,   30,  60,   120};

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::Render(const std::string& name, const std::string& help, std::string* out) const {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    *out += name + "_bucket{le=\"" + Num(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += counts_.back();
  *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  *out += name + "_sum " + Num(sum_) + "\n";
  *out += name + "_count " + std::to_string(count_) + "\n";
}

Metrics::Metrics() : ttft_(kLatencyBounds), latency_(kLatencyBounds), encode_(kLatencyBounds) {}

void Metrics::RecordHttp(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++http_[{route, status}];
}

void Metrics::RecordGeneration(double ttft_s, double total_s, int tokens, double decode_s,
                               const std::string& finish_reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (tokens > 0) ttft_.Observe(ttft_s);
  latency_.Observe(total_s);
  tokens_ += tokens;
  decode_seconds_ += decode_s;
  if (tokens > 1 && decode_s > 0) last_tokens_per_second_ = tokens / decode_s;
  ++finish_reasons_[finish_reason.empty() ? "error" : finish_reason];
}

void Metrics::RecordImageEncode(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  encode_.Observe(seconds);
}

void Metrics::RecordQueueRejected() {
  std::lock_guard<std::mutex> lock(mu_);
  ++queue_rejected_;
}

void Metrics::RecordTimeout() {
  std::lock_guard<std::mutex> lock(mu_);
  ++timeouts_;
}

uint64_t Metrics::CountStatus(int status) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [key, count] : http_) {
    if (key.second == status) n += count;
  }
  return n;
}

uint64_t Metrics::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = finish_reasons_.find("cancelled");
  return it == finish_reasons_.end() ? 0 : it->second;
}

std::string Metrics::Render(const Gauges& g) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP md_http_requests_total HTTP responses by route and status code.\n"
         "# TYPE md_http_requests_total counter\n";
  for (const auto& [key, count] : http_) {
    out += "md_http_requests_total{route=\"" + Escape(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  ttft_.Render("md_time_to_first_token_seconds",
               "Time from arrival to the first generated token.", &out);
  latency_.Render("md_generation_duration_seconds",
                  "Time from arrival to the end of generation (model requests).", &out);
  encode_.Render("md_image_encode_seconds", "Time to decode and encode a picture (cache misses).",
                 &out);
  out += "# HELP md_generations_total Finished generations by finish reason.\n"
         "# TYPE md_generations_total counter\n";
  for (const auto& [reason, count] : finish_reasons_) {
    out += "md_generations_total{finish_reason=\"" + Escape(reason) + "\"} " +
           std::to_string(count) + "\n";
  }
  Scalar("md_generated_tokens_total", "counter", "Tokens generated.", double(tokens_), &out);
  Scalar("md_decode_seconds_total", "counter", "Seconds spent generating tokens.",
         decode_seconds_, &out);
  Scalar("md_tokens_per_second", "gauge", "Decode speed of the last generation.",
         last_tokens_per_second_, &out);
  Scalar("md_queue_depth", "gauge", "Model requests waiting or running.", g.queue_depth, &out);
  Scalar("md_queue_capacity", "gauge", "Queue length before 503.", g.queue_capacity, &out);
  Scalar("md_queue_rejected_total", "counter", "Requests refused with 503 because the queue was full.",
         double(queue_rejected_), &out);
  Scalar("md_request_timeouts_total", "counter", "Requests that ran past queue.request_timeout_s.",
         double(timeouts_), &out);
  Scalar("md_image_cache_hits_total", "counter", "Encoded-picture cache hits.", double(g.cache_hits),
         &out);
  Scalar("md_image_cache_misses_total", "counter", "Encoded-picture cache misses.",
         double(g.cache_misses), &out);
  Scalar("md_image_cache_evictions_total", "counter", "Encoded pictures evicted.",
         double(g.cache_evictions), &out);
  Scalar("md_image_cache_bytes", "gauge", "Memory held by encoded pictures.", double(g.cache_bytes),
         &out);
  Scalar("md_image_cache_entries", "gauge", "Encoded pictures held.", double(g.cache_entries), &out);
  Scalar("md_model_loaded", "gauge", "1 once the model is loaded.", g.model_loaded ? 1 : 0, &out);
  Scalar("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         double(ResidentMemoryBytes()), &out);
  return out;
}

uint64_t ResidentMemoryBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace md::server
