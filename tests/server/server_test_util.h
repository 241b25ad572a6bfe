// Helpers for the server tests: an in-process server on an ephemeral 127.0.0.1 port,
// a raw HTTP/1.1 client (exact bytes on the wire, chunked decoding), SSE parsing and
// fixture pictures as data URLs.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/config.h"
#include "server/http_util.h"
#include "server/server.h"
#include "server/server_state.h"
#include "server/fake_engine.h"
#include "support/test_support.h"

namespace md::test {

using nlohmann::json;

inline server::ServerConfig TestConfig() {
  server::ServerConfig c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.log_level = "warn";
  c.drain_timeout_s = 5;
  return c;
}

// A server with a fake (or given) engine, started on a free port, stopped at the end.
class TestServer {
 public:
  explicit TestServer(server::ServerConfig config = TestConfig(), FakeEngineOptions fake = {},
                      bool load = true)
      : engine(std::make_shared<FakeEngine>(fake)) {
    spdlog::set_level(spdlog::level::warn);
    server = std::make_unique<server::HttpServer>(config);
    Status s = server->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (load) server->SetEngine(engine, false);
  }
  ~TestServer() { server->Shutdown(); }

  int port() const { return server->port(); }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(30, 0);
    c.set_connection_timeout(5, 0);
    return c;
  }
  server::ServerState& state() { return server->state(); }

  std::shared_ptr<FakeEngine> engine;
  std::unique_ptr<server::HttpServer> server;
};

inline std::string FixtureBytes(const std::string& name) {
  std::vector<uint8_t> b = ReadFileBytes(TestData("fixtures/images/" + name));
  return std::string(b.begin(), b.end());
}

inline std::string DataUrl(const std::string& bytes, const std::string& mime = "image/png") {
  return "data:" + mime + ";base64," +
         server::EncodeBase64({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

inline std::string ScenePngUrl() { return DataUrl(FixtureBytes("scene_512x384.png")); }
inline std::string PortraitJpegUrl() {
  return DataUrl(FixtureBytes("portrait_320x480.jpg"), "image/jpeg");
}

// The JSON payloads of "data: ..." events in an SSE body ("[DONE]" kept as a string).
inline std::vector<json> SseEvents(const std::string& body, std::vector<std::string>* raw = nullptr) {
  std::vector<json> events;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    std::string block = body.substr(pos, end - pos);
    pos = end + 2;
    if (block.empty()) continue;
    if (raw) raw->push_back(block);
    if (block.rfind("data: ", 0) != 0) continue;
    std::string payload = block.substr(6);
    if (payload == "[DONE]") {
      events.push_back("[DONE]");
    } else {
      events.push_back(json::parse(payload, nullptr, false));
    }
  }
  return events;
}

// A response read off a raw socket.
struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  bool ok = false;                             // a complete response was read
};

inline int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

inline bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the server closes (requests are sent with Connection: close).
inline RawResponse ReadResponse(int fd) {
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  RawResponse r;
  size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string::npos) return r;
  std::string head = data.substr(0, head_end);
  std::string rest = data.substr(head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return r;
  r.status = std::atoi(status_line.substr(9, 3).c_str());
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = e + 2;
  }
  if (r.headers["transfer-encoding"] == "chunked") {
    size_t p = 0;
    for (;;) {
      size_t e = rest.find("\r\n", p);
      if (e == std::string::npos) return r;
      size_t len = std::strtoul(rest.substr(p, e - p).c_str(), nullptr, 16);
      p = e + 2;
      if (len == 0) break;
      if (p + len > rest.size()) return r;
      r.body += rest.substr(p, len);
      p += len + 2;
    }
    r.ok = true;
  } else {
    r.body = rest;
    size_t want = r.headers.count("content-length")
                      ? std::strtoul(r.headers["content-length"].c_str(), nullptr, 10)
                      : rest.size();
    r.ok = rest.size() == want;
  }
  return r;
}

// Sends `request` bytes as is on a new connection and reads the whole response.
inline RawResponse RawRequest(int port, const std::string& request) {
  int fd = ConnectTo(port);
  if (fd < 0) return {};
  SendAll(fd, request);
  RawResponse r = ReadResponse(fd);
  close(fd);
  return r;
}

// A POST with the given headers (Host, Content-Length and Connection: close are added).
inline std::string PostRequest(int port, const std::string& path, const std::string& body,
                               const std::vector<std::string>& headers) {
  std::string r = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const std::string& h : headers) r += h + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return r + body;
}

// Reads a metric's value from /metrics text (first line starting with `name`).
inline double MetricValue(const std::string& text, const std::string& name) {
  size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    if ((pos == 0 || text[pos - 1] == '\n') && text[pos + name.size()] == ' ') {
      return std::atof(text.c_str() + pos + name.size() + 1);
    }
    pos += name.size();
  }
  return -1;
}

}  // namespace md::test
