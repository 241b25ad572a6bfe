// A byte-exact replay of what the official Python client (PyPI `moondream`, cloud_vl.py;
// ../shared/spec/api.md 6.1 and 8.9) sends, since that client cannot be installed here:
// urllib's request line and header spelling ("Content-type", "User-agent",
// "X-moondream-auth": urllib capitalises names), json.dumps' ", " / ": " separators and
// key order, Connection: close; and its readers: json.loads of the whole body reading
// one key, and the SSE loop (lines starting "data: ", yield "chunk", stop at completed).
#include "server/server_test_util.h"

namespace md::test {
namespace {

const char kAnswer[] = "A small red box on the grass.";

// json.dumps(payload) with Python's default separators, keys in insertion order.
std::string PyDumps(const std::vector<std::pair<std::string, json>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += json(items[i].first).dump() + ": ";
    const json& v = items[i].second;
    if (v.is_object()) {
      std::string inner = "{";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) inner += ", ";
        first = false;
        inner += json(it.key()).dump() + ": " + it.value().dump();
      }
      out += inner + "}";
    } else {
      out += v.dump();
    }
  }
  return out + "}";
}

// urllib.request.urlopen(Request(url, data, headers)) on the wire (http.client order).
std::string UrllibPost(int port, const std::string& path, const std::string& body,
                       const std::string& version, const std::string& api_key = "") {
  std::string r = "POST " + path + " HTTP/1.1\r\n";
  r += "Accept-Encoding: identity\r\n";
  r += "Content-Type: application/json\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  r += "User-Agent: moondream-python/" + version + "\r\n";
  if (!api_key.empty()) r += "X-Moondream-Auth: " + api_key + "\r\n";
  r += "Connection: close\r\n\r\n";
  // urllib's Request.add_header capitalises: "Content-type", "User-agent", ...
  for (const char* name : {"Content-Type", "User-Agent", "X-Moondream-Auth"}) {
    std::string n = name;
    std::string cap = n.substr(0, 1);
    for (size_t i = 1; i < n.size(); ++i) cap += static_cast<char>(std::tolower(n[i]));
    size_t pos = r.find(n + ": ");
    if (pos != std::string::npos) r.replace(pos, n.size(), cap);
  }
  return r + body;
}

// cloud_vl._stream_response: for line in response: if line.startswith("data: "): ...
std::string PyStream(const std::string& body, bool* saw_completed) {
  std::string text;
  *saw_completed = false;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t e = body.find('\n', pos);
    std::string line = body.substr(pos, e == std::string::npos ? std::string::npos : e - pos + 1);
    pos = e == std::string::npos ? body.size() : e + 1;
    if (line.rfind("data: ", 0) != 0) continue;
    json data = json::parse(line.substr(6));  // json.loads tolerates the trailing "\n"
    if (data.contains("chunk")) text += data["chunk"].get<std::string>();
    if (data.value("completed", false)) {
      *saw_completed = true;
      break;
    }
  }
  return text;
}

class PythonClientReplay : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Jpeg() { return PortraitJpegUrl(); }  // the client always sends RGB JPEG
};

TEST_P(PythonClientReplay, CaptionEveryLengthPlainAndStreamed) {
  const std::string version = GetParam();
  TestServer ts;
  for (const char* length : {"short", "normal", "long"}) {
    SCOPED_TRACE(length);
    std::vector<std::pair<std::string, json>> payload = {
        {"image_url", Jpeg()}, {"length", length}, {"stream", false}};
    if (version >= "1.") payload.push_back({"model", "moondream-2"});
    RawResponse r = RawRequest(ts.port(), UrllibPost(ts.port(), "/v1/caption", PyDumps(payload), version));
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("caption"), kAnswer);  // KeyError in the client otherwise

    payload[2].second = true;
    r = RawRequest(ts.port(), UrllibPost(ts.port(), "/v1/caption", PyDumps(payload), version));
    ASSERT_EQ(r.status, 200) << r.body;
    bool completed = false;
    EXPECT_EQ(PyStream(r.body, &completed), kAnswer);
    EXPECT_TRUE(completed);
  }
}

TEST_P(PythonClientReplay, CaptionWithAllSettingsAndVariant) {
  const std::string version = GetParam();
  TestServer ts;
  std::vector<std::pair<std::string, json>> payload = {
      {"image_url", Jpeg()},
      {"length", "normal"},
      {"stream", false},
      {"settings", {{"temperature", 0.0}, {"top_p", 1.0}, {"max_tokens", 4}, {"max_objects", 5}}},
      {"variant", "my-finetune"}};
  RawResponse r = RawRequest(ts.port(), UrllibPost(ts.port(), "/v1/caption", PyDumps(payload), version));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("caption"), "A small red box");
  EXPECT_EQ(ts.engine->last_params().max_tokens, 4);
  EXPECT_FLOAT_EQ(ts.engine->last_params().temperature, 0.0f);
}

TEST_P(PythonClientReplay, QueryWithAndWithoutPictureStreamAndReasoning) {
  const std::string version = GetParam();
  TestServer ts;
  auto post = [&](const std::vector<std::pair<std::string, json>>& p) {
    return RawRequest(ts.port(), UrllibPost(ts.port(), "/v1/query", PyDumps(p), version));
  };
  RawResponse r = post({{"question", "What is this?"}, {"stream", false}, {"image_url", Jpeg()}});
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j.at("answer"), kAnswer);
  // The client copies "reasoning" only when present and not null.
  EXPECT_TRUE(!j.contains("reasoning") || j["reasoning"].is_null());

  r = post({{"question", "Say hi."}, {"stream", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("answer"), kAnswer);

  r = post({{"question", "What is this?"}, {"stream", true}, {"image_url", Jpeg()}});
  ASSERT_EQ(r.status, 200);
  bool completed = false;
  EXPECT_EQ(PyStream(r.body, &completed), kAnswer);
  EXPECT_TRUE(completed);

  r = post({{"question", "Why?"}, {"stream", false}, {"image_url", Jpeg()}, {"reasoning", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("answer"), kAnswer);
}

TEST_P(PythonClientReplay, DetectAndPointAreRefusedHonestly) {
  const std::string version = GetParam();
  TestServer ts;
  for (const char* skill : {"/v1/detect", "/v1/point"}) {
    RawResponse r = RawRequest(
        ts.port(), UrllibPost(ts.port(), skill, PyDumps({{"image_url", Jpeg()}, {"object", "face"}}), version));
    EXPECT_EQ(r.status, 501) << skill;  // urllib raises HTTPError: no silent wrong answer
    EXPECT_TRUE(json::parse(r.body)["error"]["message"].is_string());
  }
}

TEST_P(PythonClientReplay, BareBase64UnknownFieldAndBadPicture) {
  const std::string version = GetParam();
  TestServer ts;
  std::string jpeg = FixtureBytes("portrait_320x480.jpg");
  std::string bare = server::EncodeBase64({reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size()});
  RawResponse r = RawRequest(
      ts.port(), UrllibPost(ts.port(), "/v1/caption",
                            PyDumps({{"image_url", bare}, {"length", "short"}, {"stream", false},
                                     {"future_option", {{"a", 1}}}}),
                            version));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string broken = jpeg.substr(0, 1500);
  r = RawRequest(ts.port(),
                 UrllibPost(ts.port(), "/v1/caption",
                            PyDumps({{"image_url", DataUrl(broken, "image/jpeg")}, {"length", "normal"},
                                     {"stream", false}}),
                            version));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "invalid_image");
}

TEST_P(PythonClientReplay, ApiKeyHeaderAsUrllibSpellsIt) {
  const std::string version = GetParam();
  server::ServerConfig cfg = TestConfig();
  cfg.api_key = "k-123";
  TestServer ts(cfg);
  std::string body = PyDumps({{"question", "hi"}, {"stream", false}});
  RawResponse r = RawRequest(ts.port(), UrllibPost(ts.port(), "/v1/query", body, version, "k-123"));
  EXPECT_EQ(r.status, 200) << r.body;
  r = RawRequest(ts.port(), UrllibPost(ts.port(), "/v1/query", body, version));
  EXPECT_EQ(r.status, 401);
  r = RawRequest(ts.port(), UrllibPost(ts.port(), "/v1/query", body, version, "wrong"));
  EXPECT_EQ(r.status, 401);
}

// 0.1.x (June 2025) and 1.2.x (2026) differ only in optional fields.
INSTANTIATE_TEST_SUITE_P(Versions, PythonClientReplay, ::testing::Values("0.1.1", "1.2.0"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (c == '.') c = '_';
                           return "v" + n;
                         });

}  // namespace
}  // namespace md::test
