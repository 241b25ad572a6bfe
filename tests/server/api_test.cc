// Every route, status code and streaming shape of the server, and every bad input of
// issue 7, against an in-process server with a fake engine (tests/server/fake_engine.h).
#include <thread>

#include "server/server_test_util.h"

namespace md::test {
namespace {

const char kAnswer[] = "A small red box on the grass.";

json Body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

// Every error body has the documented shape.
void ExpectErrorShape(const httplib::Result& r, int status, const std::string& code = "") {
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  json j = Body(r);
  ASSERT_TRUE(j.is_object()) << r->body;
  ASSERT_TRUE(j.contains("error")) << r->body;
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  EXPECT_TRUE(j["error"]["type"].is_string());
  EXPECT_TRUE(j["error"].contains("param"));
  EXPECT_TRUE(j["error"].contains("code"));
  if (!code.empty()) {
    EXPECT_EQ(j["error"]["code"], code) << r->body;
  }
}

httplib::Result PostJsonTo(httplib::Client& c, const std::string& path, const json& body) {
  return c.Post(path.c_str(), body.dump(), "application/json");
}

uint32_t Crc32(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char ch : data) {
    crc ^= ch;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// A PNG whose header claims 100000 x 100000 pixels (a decompression bomb's signature).
std::string BombPng() {
  std::string ihdr = "IHDR" + Be32(100000) + Be32(100000) + std::string("\x08\x02\x00\x00\x00", 5);
  std::string png = "\x89PNG\r\n\x1A\n";
  png += Be32(13) + ihdr + Be32(Crc32(ihdr));
  std::string idat = "IDAT" + std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
  png += Be32(8) + idat + Be32(Crc32(idat));
  std::string iend = "IEND";
  png += Be32(0) + iend + Be32(Crc32(iend));
  return png;
}

TEST(ServerApi, HealthSaysLoadingThenOk) {
  TestServer ts(TestConfig(), {}, /*load=*/false);
  auto c = ts.Client();
  auto r = c.Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Body(r)["status"], "loading");
  auto cap = PostJsonTo(c, "/v1/caption", {{"image_url", ScenePngUrl()}});
  ExpectErrorShape(cap, 503, "model_loading");
  EXPECT_FALSE(cap->get_header_value("Retry-After").empty());

  ts.server->SetEngine(ts.engine, false);
  for (const char* path : {"/health", "/v1/health"}) {
    r = c.Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(Body(r)["status"], "ok") << path;
  }
}

TEST(ServerApi, HealthReportsLoadError) {
  TestServer ts(TestConfig(), {}, /*load=*/false);
  ts.server->SetLoadError("model file truncated");
  auto c = ts.Client();
  auto r = c.Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Body(r)["status"], "error");
  EXPECT_EQ(Body(r)["error"], "model file truncated");
}

TEST(ServerApi, CaptionEachLength) {
  TestServer ts;
  auto c = ts.Client();
  const server::ServerConfig& cfg = ts.state().config;
  struct Case {
    const char* length;
    const server::ModeConfig* mode;
  } cases[] = {{"short", &cfg.caption_short}, {"normal", &cfg.caption_normal},
               {"long", &cfg.caption_long}};
  for (const Case& k : cases) {
    auto r = PostJsonTo(c, "/v1/caption", {{"image_url", ScenePngUrl()}, {"length", k.length}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = Body(r);
    EXPECT_EQ(j["caption"], kAnswer);
    EXPECT_TRUE(j["request_id"].is_string());
    EXPECT_EQ(j["request_id"], r->get_header_value("X-Request-Id"));
    EXPECT_EQ(j["finish_reason"], "stop");
    EXPECT_EQ(j["metrics"]["output_tokens"], 8);
    EXPECT_EQ(ts.engine->last_question(), k.mode->prompt);
    EXPECT_EQ(ts.engine->last_params().max_tokens, k.mode->max_tokens);
  }
  // Default length is "normal".
  auto r = PostJsonTo(c, "/v1/caption", {{"image_url", ScenePngUrl()}});
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ts.engine->last_question(), cfg.caption_normal.prompt);
}

TEST(ServerApi, CaptionStreamShape) {
  TestServer ts;
  auto c = ts.Client();
  auto r = PostJsonTo(c, "/v1/caption",
                      {{"image_url", ScenePngUrl()}, {"length", "short"}, {"stream", true}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
  std::vector<std::string> raw;
  std::vector<json> events = SseEvents(r->body, &raw);
  ASSERT_GE(events.size(), 2u);
  for (const std::string& block : raw) {
    EXPECT_EQ(block.rfind("data: {", 0), 0u) << "every event is one 'data: {json}' line";
    EXPECT_EQ(block.find('\n'), std::string::npos);
  }
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    ASSERT_TRUE(events[i].contains("chunk"));
    EXPECT_EQ(events[i]["completed"], false);
    std::string chunk = events[i]["chunk"];
    // Chunks end at a word boundary except the last one.
    if (i + 2 < events.size()) {
      EXPECT_EQ(chunk.back(), ' ') << chunk;
    }
    text += chunk;
  }
  EXPECT_EQ(text, kAnswer);
  const json& last = events.back();
  EXPECT_EQ(last["completed"], true);
  EXPECT_EQ(last["chunk"], "");
  EXPECT_EQ(last["finish_reason"], "stop");
  EXPECT_TRUE(last["request_id"].is_string());
  EXPECT_TRUE(last["metrics"].is_object());
}

TEST(ServerApi, QueryWithPictureTextOnlyAndSettings) {
  TestServer ts;
  auto c = ts.Client();
  auto r = PostJsonTo(c, "/v1/query", {{"image_url", PortraitJpegUrl()}, {"question", "What is it?"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["answer"], kAnswer);
  EXPECT_EQ(ts.engine->last_question(), "What is it?");
  EXPECT_EQ(ts.engine->encodes, 1);

  // Without a picture: a text-only question.
  r = PostJsonTo(c, "/v1/query", {{"question", "Hello?"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(ts.engine->encodes, 1);

  // settings: every key honoured; extra fields (model, variant, reasoning, unknown) tolerated.
  r = PostJsonTo(c, "/v1/query",
                 {{"image_url", PortraitJpegUrl()},
                  {"question", "Count."},
                  {"settings", {{"max_tokens", 3}, {"temperature", 0.0}, {"top_p", 0.9},
                                {"max_objects", 10}}},
                  {"model", "moondream-2B"},
                  {"variant", "abc"},
                  {"reasoning", true},
                  {"some_future_field", {1, 2}}});
  ASSERT_EQ(r->status, 200) << r->body;
  json j = Body(r);
  EXPECT_EQ(j["answer"], "A small red");
  EXPECT_EQ(j["finish_reason"], "length");
  EXPECT_EQ(ts.engine->last_params().max_tokens, 3);
  EXPECT_FLOAT_EQ(ts.engine->last_params().temperature, 0.0f);
  EXPECT_FLOAT_EQ(ts.engine->last_params().top_p, 0.9f);
}

TEST(ServerApi, BareBase64AndUrlSafeBase64Accepted) {
  TestServer ts;
  auto c = ts.Client();
  std::string png = FixtureBytes("scene_512x384.png");
  std::string b64 = server::EncodeBase64({reinterpret_cast<const uint8_t*>(png.data()), png.size()});
  auto r = PostJsonTo(c, "/v1/caption", {{"image_url", b64}});
  ASSERT_EQ(r->status, 200) << r->body;
  // Whitespace inside the payload (line-wrapped base64) is fine too.
  std::string wrapped;
  for (size_t i = 0; i < b64.size(); i += 76) wrapped += b64.substr(i, 76) + "\n";
  r = PostJsonTo(c, "/v1/query", {{"image_url", "data:image/png;base64," + wrapped}, {"question", "q"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(ts.engine->encodes, 1) << "the same bytes are one cache entry";
}

TEST(ServerApi, StreamQueryAndTextOnlyStream) {
  TestServer ts;
  auto c = ts.Client();
  auto r = PostJsonTo(c, "/v1/query", {{"question", "Hi"}, {"stream", true}});
  ASSERT_EQ(r->status, 200);
  auto events = SseEvents(r->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["completed"], true);
}

struct BadCase {
  std::string name;
  std::string path;
  std::string body;
  std::string content_type;
  int status;
  std::string code;
};

TEST(ServerApi, BadInputsGetClearJson4xxAndServerGoesOn) {
  server::ServerConfig cfg = TestConfig();
  cfg.max_question_chars = 100;
  TestServer ts(cfg);
  auto c = ts.Client();
  std::string jpeg = FixtureBytes("portrait_320x480.jpg");
  std::string truncated = jpeg.substr(0, jpeg.size() / 3);
  std::string corrupted = jpeg;
  for (size_t i = 600; i < corrupted.size() - 2; i += 7) corrupted[i] = static_cast<char>(0xFF);
  std::string headerless = jpeg.substr(20);
  std::string tiff = std::string("II*\0", 4) + std::string(100, '\1');
  auto cap = [](const std::string& url) { return json{{"image_url", url}}.dump(); };
  std::vector<BadCase> cases = {
      {"empty body", "/v1/caption", "", "application/json", 400, "empty_body"},
      {"malformed JSON", "/v1/caption", "{\"image_url\": ", "application/json", 400, "invalid_json"},
      {"JSON array", "/v1/caption", "[1,2]", "application/json", 400, "invalid_json"},
      {"missing image_url", "/v1/caption", "{\"length\":\"short\"}", "application/json", 400,
       "missing_field"},
      {"image_url not a string", "/v1/caption", "{\"image_url\":5}", "application/json", 400,
       "invalid_parameter"},
      {"missing question", "/v1/query", cap(ScenePngUrl()), "application/json", 400, "missing_field"},
      {"empty question", "/v1/query", json{{"question", "  "}}.dump(), "application/json", 400,
       "missing_field"},
      {"too-long question", "/v1/query", json{{"question", std::string(101, 'a')}}.dump(),
       "application/json", 400, "question_too_long"},
      {"unknown length", "/v1/caption",
       json{{"image_url", ScenePngUrl()}, {"length", "medium"}}.dump(), "application/json", 400,
       "invalid_parameter"},
      {"bad settings", "/v1/caption",
       json{{"image_url", ScenePngUrl()}, {"settings", {{"max_tokens", "many"}}}}.dump(),
       "application/json", 400, "invalid_parameter"},
      {"bad temperature", "/v1/caption",
       json{{"image_url", ScenePngUrl()}, {"settings", {{"temperature", -1}}}}.dump(),
       "application/json", 400, "invalid_parameter"},
      {"stream not bool", "/v1/caption", json{{"image_url", ScenePngUrl()}, {"stream", "yes"}}.dump(),
       "application/json", 400, "invalid_parameter"},
      {"remote URL", "/v1/caption", cap("https://example.com/cat.jpg"), "application/json", 400,
       "invalid_image"},
      {"bad base64", "/v1/caption", cap("data:image/png;base64,@@@@"), "application/json", 400,
       "invalid_image"},
      {"data URL not base64", "/v1/caption", cap("data:image/png,abc"), "application/json", 400,
       "invalid_image"},
      {"non-image data URL", "/v1/caption", cap("data:text/plain;base64,aGVsbG8="),
       "application/json", 415, "unsupported_image_type"},
      {"non-image file", "/v1/caption", cap(DataUrl("hello, this is a text file\n")),
       "application/json", 400, "invalid_image"},
      {"unsupported type (TIFF)", "/v1/caption", cap(DataUrl(tiff, "image/tiff")),
       "application/json", 415, "unsupported_image_type"},
      {"truncated JPEG", "/v1/caption", cap(DataUrl(truncated, "image/jpeg")), "application/json",
       400, "invalid_image"},
      {"headerless JPEG", "/v1/caption", cap(DataUrl(headerless, "image/jpeg")),
       "application/json", 400, "invalid_image"},
      {"decompression bomb", "/v1/caption", cap(DataUrl(BombPng())), "application/json", 413,
       "image_too_large"},
      {"wrong content type", "/v1/caption", cap(ScenePngUrl()), "text/plain", 415,
       "unsupported_media_type"},
      {"form upload", "/v1/caption", "image_url=abc", "application/x-www-form-urlencoded", 415,
       "unsupported_media_type"},
      {"prompt too long for context", "/v1/query",
       json{{"question", "q"}, {"settings", {{"max_tokens", 5000}}}}.dump(), "application/json",
       400, "context_length_exceeded"},
      {"chat without messages", "/v1/chat/completions", "{}", "application/json", 400,
       "missing_field"},
  };
  for (const BadCase& k : cases) {
    SCOPED_TRACE(k.name);
    auto r = c.Post(k.path.c_str(), k.body, k.content_type.c_str());
    ExpectErrorShape(r, k.status, k.code);
  }
  // A corrupted (not truncated) JPEG may still decode to a picture: never a 5xx.
  auto r = PostJsonTo(c, "/v1/caption", {{"image_url", DataUrl(corrupted, "image/jpeg")}});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->status == 200 || r->status == 400) << r->status << r->body;
  // The same bad picture streamed: the error comes as an HTTP status, not as SSE.
  r = PostJsonTo(c, "/v1/caption",
                 {{"image_url", DataUrl(truncated, "image/jpeg")}, {"stream", true}});
  ExpectErrorShape(r, 400, "invalid_image");
  // And the server goes on.
  r = PostJsonTo(c, "/v1/caption", {{"image_url", ScenePngUrl()}});
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ts.state().metrics.CountStatus(500), 0u);
}

TEST(ServerApi, OversizedBodyIs413BeforeTheBodyIsRead) {
  server::ServerConfig cfg = TestConfig();
  cfg.max_upload_bytes = 64 * 1024;
  TestServer ts(cfg);
  auto c = ts.Client();
  std::string big = json{{"image_url", DataUrl(std::string(200 * 1024, 'x'))}}.dump();
  ExpectErrorShape(c.Post("/v1/caption", big, "application/json"), 413, "payload_too_large");

  // Headers announcing 100 MB and no body: the answer comes without waiting for it.
  int fd = ConnectTo(ts.port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: 104857600\r\n\r\n");
  auto t0 = std::chrono::steady_clock::now();
  char buf[64] = {};
  ASSERT_GT(recv(fd, buf, sizeof(buf) - 1, 0), 12);
  EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 413");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  close(fd);

  // curl's way for big bodies: "Expect: 100-continue" gets the 413 instead of a 100.
  fd = ConnectTo(ts.port());
  SendAll(fd, "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: 104857600\r\nExpect: 100-continue\r\n\r\n");
  std::memset(buf, 0, sizeof(buf));
  ASSERT_GT(recv(fd, buf, sizeof(buf) - 1, 0), 12);
  EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 413");
  close(fd);
  RawResponse r;

  // Chunked upload over the limit: stopped while reading.
  fd = ConnectTo(ts.port());
  std::string head = "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n";
  std::string chunk(32 * 1024, 'a');
  std::string req = head;
  char len[16];
  std::snprintf(len, sizeof(len), "%zx\r\n", chunk.size());
  for (int i = 0; i < 4; ++i) req += len + chunk + "\r\n";
  req += "0\r\n\r\n";
  SendAll(fd, req);
  r = ReadResponse(fd);
  close(fd);
  EXPECT_EQ(r.status, 413);
  auto ok = PostJsonTo(c, "/v1/caption", {{"image_url", ScenePngUrl()}});
  EXPECT_EQ(ok->status, 200);
}

TEST(ServerApi, UnknownRouteWrongMethodAndUnsupportedSkills) {
  TestServer ts;
  auto c = ts.Client();
  ExpectErrorShape(c.Get("/v2/nothing"), 404, "not_found");
  ExpectErrorShape(c.Post("/v1/nothing", "{}", "application/json"), 404, "not_found");
  auto r = c.Get("/v1/caption");
  ExpectErrorShape(r, 405, "method_not_allowed");
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  ExpectErrorShape(c.Post("/health", "{}", "application/json"), 405, "method_not_allowed");
  for (const char* p : {"/v1/detect", "/v1/point", "/v1/segment"}) {
    SCOPED_TRACE(p);
    ExpectErrorShape(PostJsonTo(c, p, {{"image_url", ScenePngUrl()}, {"object", "box"}}), 501,
                     "not_implemented");
  }
}

TEST(ServerApi, ApiKeyWhenConfigured) {
  server::ServerConfig cfg = TestConfig();
  cfg.api_key = "s3cret";
  TestServer ts(cfg);
  auto c = ts.Client();
  json body = {{"question", "hi"}};
  ExpectErrorShape(PostJsonTo(c, "/v1/query", body), 401, "invalid_api_key");
  httplib::Headers wrong = {{"X-Moondream-Auth", "nope"}};
  auto r = c.Post("/v1/query", wrong, body.dump(), "application/json");
  ExpectErrorShape(r, 401, "invalid_api_key");
  httplib::Headers md = {{"X-Moondream-Auth", "s3cret"}};
  r = c.Post("/v1/query", md, body.dump(), "application/json");
  EXPECT_EQ(r->status, 200);
  httplib::Headers bearer = {{"Authorization", "Bearer s3cret"}};
  r = c.Post("/v1/query", bearer, body.dump(), "application/json");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(c.Get("/v1/models", bearer)->status, 200);
  ExpectErrorShape(c.Get("/metrics"), 401);
  // Health and the page stay public.
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(c.Get("/")->status, 200);
}

TEST(ServerApi, EmptyAuthHeaderAcceptedWhenAuthIsOff) {
  TestServer ts;
  auto c = ts.Client();
  httplib::Headers h = {{"X-Moondream-Auth", ""}};
  auto r = c.Post("/v1/query", h, json{{"question", "hi"}}.dump(), "application/json");
  EXPECT_EQ(r->status, 200);
}

TEST(ServerApi, Cors) {
  {
    TestServer ts;  // default: same origin only
    auto c = ts.Client();
    auto r = c.Get("/health", {{"Origin", "http://evil.example"}});
    EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  }
  server::ServerConfig cfg = TestConfig();
  cfg.cors_origins = {"http://app.example"};
  TestServer ts(cfg);
  auto c = ts.Client();
  auto r = c.Get("/health", {{"Origin", "http://app.example"}});
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "http://app.example");
  r = c.Get("/health", {{"Origin", "http://other.example"}});
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  r = c.Options("/v1/query", {{"Origin", "http://app.example"},
                              {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r->status, 204);
  EXPECT_NE(r->get_header_value("Access-Control-Allow-Headers").find("X-Moondream-Auth"),
            std::string::npos);

  server::ServerConfig any = TestConfig();
  any.cors_origins = {"*"};
  TestServer ts2(any);
  auto c2 = ts2.Client();
  EXPECT_EQ(c2.Get("/health", {{"Origin", "http://x"}})->get_header_value("Access-Control-Allow-Origin"),
            "*");
}

TEST(ServerApi, PictureCacheSkipsTheEncoderForRepeatedPictures) {
  TestServer ts;
  auto c = ts.Client();
  ASSERT_EQ(PostJsonTo(c, "/v1/caption", {{"image_url", ScenePngUrl()}})->status, 200);
  auto r = PostJsonTo(c, "/v1/query", {{"image_url", ScenePngUrl()}, {"question", "and?"}});
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["metrics"]["image_cached"], true);
  EXPECT_EQ(ts.engine->encodes, 1);
  ASSERT_EQ(PostJsonTo(c, "/v1/caption", {{"image_url", PortraitJpegUrl()}})->status, 200);
  EXPECT_EQ(ts.engine->encodes, 2);
  auto m = c.Get("/metrics");
  EXPECT_EQ(MetricValue(m->body, "md_image_cache_hits_total"), 1);
  EXPECT_EQ(MetricValue(m->body, "md_image_cache_misses_total"), 2);
  EXPECT_EQ(MetricValue(m->body, "md_image_cache_entries"), 2);
}

TEST(ServerApi, MetricsInPrometheusFormat) {
  TestServer ts;
  auto c = ts.Client();
  ASSERT_EQ(PostJsonTo(c, "/v1/caption", {{"image_url", ScenePngUrl()}})->status, 200);
  ASSERT_EQ(c.Get("/nope")->status, 404);
  // A response is counted just after it is written and the worker leaves the queue just
  // after the answer: wait for both.
  auto r = c.Get("/metrics");
  for (int i = 0; i < 200; ++i) {
    r = c.Get("/metrics");
    if (r->body.find("route=\"other\",status=\"404\"") != std::string::npos &&
        MetricValue(r->body, "md_queue_depth") == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& t = r->body;
  EXPECT_NE(t.find("md_http_requests_total{route=\"/v1/caption\",status=\"200\"} 1"), std::string::npos) << t;
  EXPECT_NE(t.find("md_http_requests_total{route=\"other\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(t.find("md_time_to_first_token_seconds_bucket{le=\"+Inf\"} 1"), std::string::npos);
  EXPECT_NE(t.find("md_generation_duration_seconds_count 1"), std::string::npos);
  EXPECT_EQ(MetricValue(t, "md_generated_tokens_total"), 8);
  EXPECT_EQ(MetricValue(t, "md_queue_depth"), 0);
  EXPECT_EQ(MetricValue(t, "md_queue_capacity"), 32);
  EXPECT_GT(MetricValue(t, "process_resident_memory_bytes"), 1e6);
  // Every non-comment line is "name{labels} value" or "name value".
  size_t pos = 0;
  while (pos < t.size()) {
    size_t e = t.find('\n', pos);
    std::string line = t.substr(pos, e - pos);
    pos = e + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    char* end = nullptr;
    std::strtod(line.c_str() + sp + 1, &end);
    EXPECT_EQ(*end, '\0') << line;
  }
}

TEST(ServerApi, OpenAiChatCompletion) {
  TestServer ts;
  auto c = ts.Client();
  json req = {{"model", "moondream-2B"},
              {"messages",
               {{{"role", "system"}, {"content", "Be brief."}},
                {{"role", "user"},
                 {"content",
                  {{{"type", "image_url"}, {"image_url", {{"url", ScenePngUrl()}, {"detail", "auto"}}}},
                   {{"type", "text"}, {"text", "What is this?"}}}}},
                {{"role", "assistant"}, {"content", "A box."}},
                {{"role", "user"}, {"content", "What colour?"}}}},
              {"max_tokens", 100},
              {"max_completion_tokens", 6},
              {"temperature", 0.2},
              {"tools", json::array()},
              {"stop", nullptr}};
  auto r = PostJsonTo(c, "/v1/chat/completions", req);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = Body(r);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(j["model"], "moondream-2B");
  EXPECT_TRUE(j["created"].is_number_integer());
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "A small red box on the");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  EXPECT_EQ(j["usage"]["total_tokens"],
            j["usage"]["prompt_tokens"].get<int>() + j["usage"]["completion_tokens"].get<int>());
  // Turns become Question/Answer pairs; the system text is folded into the first turn.
  EXPECT_EQ(ts.engine->last_question(),
            "Be brief.\n\nWhat is this?\n\nAnswer: A box.\n\nQuestion: What colour?");
  EXPECT_EQ(ts.engine->last_params().max_tokens, 6);
  EXPECT_FLOAT_EQ(ts.engine->last_params().temperature, 0.2f);
  EXPECT_EQ(ts.engine->encodes, 1);
}

TEST(ServerApi, OpenAiChatStream) {
  TestServer ts;
  auto c = ts.Client();
  json req = {{"model", "anything"},
              {"stream", true},
              {"stream_options", {{"include_usage", true}}},
              {"messages", {{{"role", "user"},
                             {"content", {{{"type", "text"}, {"text", "Describe."}},
                                          {{"type", "image_url"}, {"image_url", {{"url", PortraitJpegUrl()}}}}}}}}}};
  auto r = PostJsonTo(c, "/chat/completions", req);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  auto events = SseEvents(r->body);
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string id = events[0]["id"];
  EXPECT_EQ(events[0]["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  size_t i = 1;
  for (; i < events.size() && events[i].is_object() &&
         !events[i]["choices"].empty() && events[i]["choices"][0]["finish_reason"].is_null();
       ++i) {
    EXPECT_EQ(events[i]["object"], "chat.completion.chunk");
    EXPECT_EQ(events[i]["id"], id);
    text += events[i]["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, kAnswer);
  ASSERT_LT(i + 2, events.size());
  EXPECT_EQ(events[i]["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(events[i]["choices"][0]["delta"].empty());
  EXPECT_TRUE(events[i + 1]["choices"].empty());
  EXPECT_EQ(events[i + 1]["usage"]["completion_tokens"], 8);
  EXPECT_EQ(events[i + 2], "[DONE]");
}

TEST(ServerApi, OpenAiChatErrors) {
  TestServer ts;
  auto c = ts.Client();
  auto user = [](json content) { return json{{"messages", {{{"role", "user"}, {"content", content}}}}}; };
  auto image = [](const std::string& url) {
    return json{{"type", "image_url"}, {"image_url", {{"url", url}}}};
  };
  json text = {{"type", "text"}, {"text", "hi"}};
  ExpectErrorShape(PostJsonTo(c, "/v1/chat/completions", user({image("http://x/y.jpg"), text})), 400);
  ExpectErrorShape(PostJsonTo(c, "/v1/chat/completions",
                              user({image(ScenePngUrl()), image(PortraitJpegUrl()), text})),
                   400, "too_many_images");
  json n2 = user("hi");
  n2["n"] = 2;
  ExpectErrorShape(PostJsonTo(c, "/v1/chat/completions", n2), 400);
  ExpectErrorShape(PostJsonTo(c, "/v1/chat/completions",
                              {{"messages", {{{"role", "user"}, {"content", "q"}},
                                             {{"role", "assistant"}, {"content", "a"}}}}}),
                   400);
  ExpectErrorShape(PostJsonTo(c, "/v1/chat/completions", user({image(ScenePngUrl())})), 400);
  ExpectErrorShape(PostJsonTo(c, "/v1/chat/completions",
                              {{"messages", {{{"role", "wizard"}, {"content", "q"}}}}}),
                   400);
  ExpectErrorShape(PostJsonTo(c, "/v1/chat/completions", user({{{"type", "audio"}}})), 400);
  auto ok = PostJsonTo(c, "/v1/chat/completions", user("plain text question"));
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST(ServerApi, ModelsListHasOpenAiAndStationShapes) {
  TestServer ts;
  auto c = ts.Client();
  auto r = c.Get("/v1/models");
  ASSERT_EQ(r->status, 200);
  json j = Body(r);
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["id"], "fake-moondream");
  EXPECT_EQ(j["data"][0]["owned_by"], "moondream-local");
  EXPECT_EQ(j["models"][0]["id"], "fake-moondream");
  EXPECT_TRUE(j["models"][0].contains("version"));
}

TEST(ServerApi, WebPageIsServedWithCachingHeaders) {
  TestServer ts;
  auto c = ts.Client();
  auto r = c.Get("/");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<html"), std::string::npos);
  std::string etag = r->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = c.Get("/", {{"If-None-Match", etag}});
  EXPECT_EQ(again->status, 304);
  auto info = c.Get("/api/info");
  ASSERT_EQ(info->status, 200);
  json j = Body(info);
  EXPECT_EQ(j["modes"]["long"]["prompt"], ts.state().config.caption_long.prompt);
  EXPECT_EQ(j["demo"], false);
}

}  // namespace
}  // namespace md::test
