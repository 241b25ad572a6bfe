// The server on the real engine with the tiny random-weight fixtures
// (testdata/fixtures/moondream2-tiny-*.gguf): answers are nonsense but every path runs
// for real (decoder, vision tower, cache, sessions, sampling, streaming). Skipped with a
// message if the engine is not built.
#include <atomic>
#include <thread>

#include "server/server_test_util.h"

namespace md::test {
namespace {

class RealEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LoadOptions o;
    o.text_model_path = TestData("fixtures/moondream2-tiny-text-f32.gguf");
    o.mmproj_path = TestData("fixtures/moondream2-tiny-mmproj-f32.gguf");
    o.threads = 2;
    auto e = Engine::Load(o);
    if (e.ok()) {
      engine_ = std::shared_ptr<Engine>(std::move(e).value());
    } else {
      load_error_ = e.status().ToString();
    }
  }
  static void TearDownTestSuite() { engine_.reset(); }

  void SetUp() override {
    if (engine_ == nullptr) GTEST_SKIP() << "the engine cannot load the tiny fixtures: " << load_error_;
  }

  std::unique_ptr<TestServer> Start(server::ServerConfig cfg = TestConfig()) {
    auto ts = std::make_unique<TestServer>(cfg, FakeEngineOptions{}, /*load=*/false);
    ts->server->SetEngine(engine_, /*demo=*/true);
    return ts;
  }

  static std::shared_ptr<Engine> engine_;
  static std::string load_error_;
};
std::shared_ptr<Engine> RealEngine::engine_;
std::string RealEngine::load_error_;

json Post(httplib::Client& c, const std::string& path, const json& body, int* status) {
  auto r = c.Post(path.c_str(), body.dump(), "application/json");
  *status = r ? r->status : -1;
  return r ? (r->get_header_value("Content-Type") == "text/event-stream" ? json(r->body)
                                                                          : json::parse(r->body, nullptr, false))
           : json();
}

TEST_F(RealEngine, GreedyCaptionPlainEqualsStreamed) {
  auto ts = Start();
  auto c = ts->Client();
  json settings = {{"temperature", 0}, {"max_tokens", 12}};
  int status = 0;
  json plain = Post(c, "/v1/caption", {{"image_url", ScenePngUrl()}, {"length", "short"}, {"settings", settings}}, &status);
  ASSERT_EQ(status, 200) << plain.dump();
  std::string caption = plain["caption"];
  EXPECT_FALSE(caption.empty());
  EXPECT_LE(plain["metrics"]["output_tokens"].get<int>(), 12);
  EXPECT_TRUE(plain["finish_reason"] == "length" || plain["finish_reason"] == "stop");
  EXPECT_EQ(plain["metrics"]["image_cached"], false);

  json streamed = Post(c, "/v1/caption",
                       {{"image_url", ScenePngUrl()}, {"length", "short"}, {"settings", settings}, {"stream", true}},
                       &status);
  ASSERT_EQ(status, 200);
  auto events = SseEvents(streamed.get<std::string>());
  ASSERT_FALSE(events.empty());
  std::string text;
  for (const json& e : events) {
    if (e.contains("chunk")) text += e["chunk"].get<std::string>();
  }
  EXPECT_EQ(events.back()["completed"], true);
  EXPECT_EQ(events.back()["metrics"]["image_cached"], true) << "second request: picture from the cache";
  EXPECT_EQ(events.back()["metrics"]["image_encode_ms"], 0.0);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  EXPECT_EQ(text, caption) << "greedy decoding: the stream spells the same answer";
}

TEST_F(RealEngine, QueryChatAndEveryFixturePicture) {
  auto ts = Start();
  auto c = ts->Client();
  int status = 0;
  for (const char* name : {"gray_200x150.jpg", "rgba_300x120.png", "portrait_320x480.jpg"}) {
    SCOPED_TRACE(name);
    std::string mime = std::string(name).find(".png") != std::string::npos ? "image/png" : "image/jpeg";
    json r = Post(c, "/v1/query",
                  {{"image_url", DataUrl(FixtureBytes(name), mime)}, {"question", "What is it?"},
                   {"settings", {{"max_tokens", 6}}}},
                  &status);
    ASSERT_EQ(status, 200) << r.dump();
    EXPECT_TRUE(r["answer"].is_string());
  }
  json chat = Post(c, "/v1/chat/completions",
                   {{"max_tokens", 6},
                    {"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}, {"image_url", {{"url", PortraitJpegUrl()}}}},
                                                                 {{"type", "text"}, {"text", "Describe."}}}}},
                                  {{"role", "assistant"}, {"content", "A person."}},
                                  {{"role", "user"}, {"content", "Where?"}}}}},
                   &status);
  ASSERT_EQ(status, 200) << chat.dump();
  EXPECT_GT(chat["usage"]["prompt_tokens"].get<int>(), 700) << "the picture's positions are prompt tokens";
  EXPECT_LE(chat["usage"]["completion_tokens"].get<int>(), 6);
  json text_only = Post(c, "/v1/query", {{"question", "Hello?"}, {"settings", {{"max_tokens", 4}}}}, &status);
  ASSERT_EQ(status, 200) << text_only.dump();
}

TEST_F(RealEngine, BadPicturesAndLimitsWithTheRealDecoder) {
  server::ServerConfig cfg = TestConfig();
  cfg.max_pixels = 160000;  // the 512x384 scene (196,608 pixels) is over it
  auto ts = Start(cfg);
  auto c = ts->Client();
  int status = 0;
  std::string jpeg = FixtureBytes("portrait_320x480.jpg");
  json r = Post(c, "/v1/caption", {{"image_url", DataUrl(jpeg.substr(0, jpeg.size() / 2), "image/jpeg")}}, &status);
  EXPECT_EQ(status, 400) << r.dump();
  r = Post(c, "/v1/caption", {{"image_url", DataUrl(jpeg.substr(2), "image/jpeg")}}, &status);
  EXPECT_EQ(status, 400) << r.dump();
  r = Post(c, "/v1/caption", {{"image_url", ScenePngUrl()}}, &status);
  EXPECT_EQ(status, 413) << r.dump();
  EXPECT_EQ(r["error"]["code"], "image_too_large");
  r = Post(c, "/v1/query", {{"question", "q"}, {"settings", {{"max_tokens", 4000}}}}, &status);
  EXPECT_EQ(status, 400) << r.dump();
  EXPECT_EQ(r["error"]["code"], "context_length_exceeded");
  r = Post(c, "/v1/caption", {{"image_url", DataUrl(FixtureBytes("gray_200x150.jpg"), "image/jpeg")},
                              {"settings", {{"max_tokens", 4}}}},
           &status);
  EXPECT_EQ(status, 200) << r.dump();
}

TEST_F(RealEngine, FortyClientsAtOnce) {
  auto ts = Start();  // queue 32
  const int kClients = 40;
  std::atomic<int> ok{0}, busy{0}, other{0}, incomplete{0};
  std::vector<std::thread> threads;
  std::string pictures[2] = {ScenePngUrl(), PortraitJpegUrl()};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = ts->Client();
      bool stream = i % 2 == 1;
      auto r = c.Post("/v1/query",
                      json{{"image_url", pictures[i % 2]}, {"question", "What?"}, {"stream", stream},
                           {"settings", {{"max_tokens", 8}}}}
                          .dump(),
                      "application/json");
      if (!r) {
        ++other;
      } else if (r->status == 503) {
        ++busy;
      } else if (r->status != 200) {
        ++other;
      } else {
        ++ok;
        if (stream) {
          auto ev = SseEvents(r->body);
          if (ev.empty() || ev.back()["completed"] != true || !ev.back().contains("finish_reason")) ++incomplete;
        } else {
          json j = json::parse(r->body, nullptr, false);
          if (!j.is_object() || !j["answer"].is_string() || !j.contains("finish_reason")) ++incomplete;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("real tiny model, 40 clients at once: %d ok, %d busy (503), %d other\n", ok.load(),
              busy.load(), other.load());
  EXPECT_EQ(other, 0);
  EXPECT_EQ(incomplete, 0);
  EXPECT_EQ(ok + busy, kClients);
  EXPECT_GE(ok, 32);
}

}  // namespace
}  // namespace md::test
