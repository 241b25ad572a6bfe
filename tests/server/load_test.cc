// Load and robustness: the bounded queue (503 + Retry-After), 40 concurrent clients,
// client disconnects cancelling generation, request timeouts, slow clients and the
// graceful stop. Uses the fake engine with a controlled delay per token.
#include <atomic>
#include <thread>

#include "server/server_test_util.h"

namespace md::test {
namespace {

using Ms = std::chrono::milliseconds;

std::string CaptionBody(bool stream = false) {
  return json{{"image_url", ScenePngUrl()}, {"length", "short"}, {"stream", stream}}.dump();
}

// Waits until `pred` holds (polling), up to `timeout`.
template <typename Pred>
bool WaitFor(Pred pred, Ms timeout = Ms(5000)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(Ms(5));
  }
  return pred();
}

TEST(ServerLoad, FullQueueAnswers503WithRetryAfter) {
  server::ServerConfig cfg = TestConfig();
  cfg.queue_length = 4;
  cfg.retry_after_s = 7;
  FakeEngineOptions fake;
  fake.token_delay_ms = 25;  // 8 tokens: ~200 ms per request, one at a time
  TestServer ts(cfg, fake);
  const int kClients = 20;
  std::vector<int> status(kClients);
  std::vector<std::string> retry(kClients), body(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = ts.Client();
      auto r = c.Post("/v1/caption", CaptionBody(), "application/json");
      status[i] = r ? r->status : -1;
      if (r) {
        retry[i] = r->get_header_value("Retry-After");
        body[i] = r->body;
      }
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, busy = 0;
  for (int i = 0; i < kClients; ++i) {
    if (status[i] == 200) {
      ++ok;
      EXPECT_EQ(json::parse(body[i])["caption"], "A small red box on the grass.");
    } else {
      ASSERT_EQ(status[i], 503) << body[i];
      ++busy;
      EXPECT_EQ(retry[i], "7");
      EXPECT_EQ(json::parse(body[i])["error"]["code"], "queue_full");
    }
  }
  std::printf("queue 4, 20 clients at once: %d answered, %d refused with 503 (%.0f%%)\n", ok, busy,
              100.0 * busy / kClients);
  EXPECT_GE(ok, 4);
  EXPECT_GE(busy, 1);
  EXPECT_EQ(ts.engine->max_running, 1) << "the engine runs one request at a time";
  auto m = ts.Client().Get("/metrics");
  EXPECT_EQ(MetricValue(m->body, "md_queue_rejected_total"), busy);
}

// 40 clients at once, each a mix of plain, streamed and chat requests: nothing but 200
// and 503, and every 200 is complete.
TEST(ServerLoad, FortyConcurrentClients) {
  server::ServerConfig cfg = TestConfig();  // queue 32
  FakeEngineOptions fake;
  fake.token_delay_ms = 1;
  TestServer ts(cfg, fake);
  const int kClients = 40, kRequests = 5;
  std::atomic<int> ok{0}, busy{0}, other{0}, incomplete{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = ts.Client();
      for (int k = 0; k < kRequests; ++k) {
        int kind = (i + k) % 3;
        httplib::Result r = kind == 0   ? c.Post("/v1/caption", CaptionBody(false), "application/json")
                            : kind == 1 ? c.Post("/v1/query",
                                                 json{{"image_url", PortraitJpegUrl()},
                                                      {"question", "What?"},
                                                      {"stream", true}}
                                                     .dump(),
                                                 "application/json")
                                        : c.Post("/v1/chat/completions",
                                                 json{{"messages", {{{"role", "user"}, {"content", "hi"}}}}}
                                                     .dump(),
                                                 "application/json");
        if (!r) {
          ++other;
          continue;
        }
        if (r->status == 503) {
          ++busy;
          continue;
        }
        if (r->status != 200) {
          ++other;
          continue;
        }
        ++ok;
        bool complete = false;
        if (kind == 0) {
          json j = json::parse(r->body, nullptr, false);
          complete = j.is_object() && j["caption"] == "A small red box on the grass." &&
                     j["finish_reason"] == "stop";
        } else if (kind == 1) {
          auto ev = SseEvents(r->body);
          std::string text;
          for (auto& e : ev) {
            if (e.is_object() && e.contains("chunk")) text += e["chunk"].get<std::string>();
          }
          complete = !ev.empty() && ev.back()["completed"] == true &&
                     text == "A small red box on the grass.";
        } else {
          json j = json::parse(r->body, nullptr, false);
          complete = j.is_object() && j["choices"][0]["finish_reason"] == "stop";
        }
        if (!complete) ++incomplete;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("40 clients x %d requests: %d ok, %d busy (503), %d other\n", kRequests, ok.load(),
              busy.load(), other.load());
  EXPECT_EQ(other, 0);
  EXPECT_EQ(incomplete, 0);
  EXPECT_EQ(ok + busy, kClients * kRequests);
  EXPECT_GT(ok, kClients);
  EXPECT_EQ(ts.engine->encodes, 2) << "two distinct pictures, each encoded once";
}

// A raw request whose connection is closed after `close_after`.
void SendAndHangUp(int port, const std::string& path, const std::string& body, Ms close_after) {
  int fd = ConnectTo(port);
  ASSERT_GE(fd, 0);
  SendAll(fd, PostRequest(port, path, body, {"Content-Type: application/json"}));
  std::this_thread::sleep_for(close_after);
  close(fd);
}

TEST(ServerLoad, ClientDisconnectCancelsGeneration) {
  FakeEngineOptions fake;
  fake.token_delay_ms = 400;  // 8 tokens = 3.2 s if nobody stops it
  TestServer ts(TestConfig(), fake);
  auto t0 = std::chrono::steady_clock::now();
  SendAndHangUp(ts.port(), "/v1/caption", CaptionBody(false), Ms(300));
  ASSERT_TRUE(WaitFor([&] { return ts.engine->cancelled == 1; }, Ms(5000)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, Ms(2500)) << "stopped well before the end";
  EXPECT_EQ(ts.engine->completed, 0);

  // Streaming: read the first event, then hang up.
  int fd = ConnectTo(ts.port());
  SendAll(fd, PostRequest(ts.port(), "/v1/caption", CaptionBody(true), {"Content-Type: application/json"}));
  char buf[512];
  ASSERT_GT(recv(fd, buf, sizeof(buf), 0), 0);
  close(fd);
  ASSERT_TRUE(WaitFor([&] { return ts.engine->cancelled == 2; }, Ms(5000)));
  EXPECT_EQ(ts.engine->completed, 0);
  // The server goes on.
  auto r = ts.Client().Post("/v1/query", json{{"question", "ok?"}}.dump(), "application/json");
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(WaitFor([&] { return ts.state().metrics.cancelled() == 2; }));
}

TEST(ServerLoad, ClientThatLeavesWhileQueuedNeverRuns) {
  FakeEngineOptions fake;
  fake.token_delay_ms = 100;  // the first request holds the engine ~0.8 s
  TestServer ts(TestConfig(), fake);
  std::thread first([&] {
    auto c = ts.Client();
    EXPECT_EQ(c.Post("/v1/query", json{{"question", "first"}}.dump(), "application/json")->status, 200);
  });
  ASSERT_TRUE(WaitFor([&] { return ts.engine->running == 1; }));
  SendAndHangUp(ts.port(), "/v1/query", json{{"question", "second"}}.dump(), Ms(200));
  first.join();
  ASSERT_TRUE(WaitFor([&] { return ts.state().queue.depth() == 0; }));
  EXPECT_EQ(ts.engine->asks, 1) << "the abandoned request was dropped before reaching the engine";
  EXPECT_EQ(ts.engine->last_question(), "first");
}

TEST(ServerLoad, RequestTimeout) {
  server::ServerConfig cfg = TestConfig();
  cfg.request_timeout_s = 1;
  FakeEngineOptions fake;
  fake.token_delay_ms = 400;  // 3.2 s > 1 s
  TestServer ts(cfg, fake);
  auto c = ts.Client();
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.Post("/v1/caption", CaptionBody(false), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, Ms(2800));
  // Streamed: the timeout arrives as an error event that completes the stream.
  r = c.Post("/v1/caption", CaptionBody(true), "application/json");
  ASSERT_EQ(r->status, 200);
  auto ev = SseEvents(r->body);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back()["completed"], true);
  EXPECT_EQ(ev.back()["error"]["code"], "timeout");
}

TEST(ServerLoad, SlowClientIsDroppedByTheReadTimeout) {
  server::ServerConfig cfg = TestConfig();
  cfg.read_timeout_s = 1;
  TestServer ts(cfg);
  int fd = ConnectTo(ts.port());
  // Announces 1000 bytes, sends 10, then nothing.
  SendAll(fd, "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: 1000\r\n\r\n{\"image_u");
  auto t0 = std::chrono::steady_clock::now();
  RawResponse r = ReadResponse(fd);  // returns when the server closes
  close(fd);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, Ms(800));
  EXPECT_LT(waited, Ms(4000));
  EXPECT_TRUE(r.status == 0 || r.status == 400) << r.status;
  EXPECT_EQ(ts.engine->asks, 0);
  EXPECT_EQ(ts.Client().Get("/health")->status, 200);
}

TEST(ServerLoad, GracefulShutdownFinishesRunningRequests) {
  FakeEngineOptions fake;
  fake.token_delay_ms = 60;  // ~0.5 s per request
  TestServer ts(TestConfig(), fake);
  int port = ts.port();
  std::atomic<int> status{0};
  std::string body;
  std::thread client([&] {
    auto c = ts.Client();
    auto r = c.Post("/v1/caption", CaptionBody(true), "application/json");
    status = r ? r->status : -1;
    if (r) body = r->body;
  });
  ASSERT_TRUE(WaitFor([&] { return ts.engine->running == 1; }));
  auto t0 = std::chrono::steady_clock::now();
  ts.server->Shutdown();
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, Ms(3000));
  ASSERT_EQ(status, 200);
  auto ev = SseEvents(body);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back()["completed"], true);
  EXPECT_EQ(ev.back()["finish_reason"], "stop") << "the running request finished normally";
  EXPECT_EQ(ts.engine->completed, 1);
  EXPECT_LT(ConnectTo(port), 0) << "no longer accepting connections";
}

TEST(ServerLoad, ShutdownCancelsWhatOutlivesTheDrainTime) {
  server::ServerConfig cfg = TestConfig();
  cfg.drain_timeout_s = 1;
  FakeEngineOptions fake;
  fake.token_delay_ms = 1000;  // 8 s per request
  TestServer ts(cfg, fake);
  std::thread client([&] {
    auto c = ts.Client();
    auto r = c.Post("/v1/caption", CaptionBody(true), "application/json");
    (void)r;
  });
  ASSERT_TRUE(WaitFor([&] { return ts.engine->running == 1; }));
  auto t0 = std::chrono::steady_clock::now();
  ts.server->Shutdown();
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, Ms(4000));
  EXPECT_EQ(ts.engine->cancelled, 1);
}

}  // namespace
}  // namespace md::test
