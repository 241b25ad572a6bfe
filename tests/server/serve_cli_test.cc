// `moondream serve` as a user meets it: no model files, a bad config, and the logs of a
// running server (request ids; never a picture or a question).
#include <spdlog/sinks/ostream_sink.h>

#include <fstream>
#include <sstream>

#include "server/server_test_util.h"

namespace md::test {
namespace {

TEST(ServeCli, WithoutModelFilesItSaysWhichFilesToPutWhere) {
  std::string dir = TempDir();
  std::string out;
  int rc = RunCommand("cd " + dir + " && " + MoondreamBinary() + " serve --port 0 2>&1", &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("no model files found"), std::string::npos) << out;
  EXPECT_NE(out.find("models/moondream2-text-model-f16.gguf"), std::string::npos) << out;
  EXPECT_NE(out.find("mmproj"), std::string::npos) << out;
  EXPECT_NE(out.find("--demo"), std::string::npos) << out;

  rc = RunCommand("cd " + dir + " && " + MoondreamBinary() +
                      " serve --port 0 --model nothere.gguf --mmproj nothere2.gguf 2>&1",
                  &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("model file not found: nothere.gguf"), std::string::npos) << out;
}

TEST(ServeCli, BadConfigNamesTheKey) {
  std::string dir = TempDir();
  std::ofstream(dir + "/config.yaml") << "queue:\n  length: -4\n";
  std::string out;
  int rc = RunCommand("cd " + dir + " && " + MoondreamBinary() + " serve --demo 2>&1", &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("queue.length"), std::string::npos) << out;
  std::ofstream(dir + "/other.yaml") << "qeueu: 3\n";
  rc = RunCommand(MoondreamBinary() + " serve --demo --config " + dir + "/other.yaml 2>&1", &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("unknown config key 'qeueu'"), std::string::npos) << out;
  rc = RunCommand(MoondreamBinary() + " serve --demo --set http.threads=-1 2>&1", &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("http.threads"), std::string::npos) << out;
}

TEST(ServeLogs, RequestIdsAndNoPrivateData) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  {
    server::ServerConfig cfg = TestConfig();
    cfg.read_timeout_s = 1;
    TestServer ts(cfg);
    spdlog::set_level(spdlog::level::info);
    auto c = ts.Client();
    const std::string secret_question = "What is the secret 7f3a9 in this picture?";
    auto r = c.Post("/v1/query",
                    json{{"image_url", PortraitJpegUrl()}, {"question", secret_question}}.dump(),
                    "application/json");
    ASSERT_EQ(r->status, 200);
    std::string id = r->get_header_value("X-Request-Id");
    // An upload that stops halfway: an INFO line, not an error.
    int fd = ConnectTo(ts.port());
    SendAll(fd, "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 5000\r\n\r\n{\"image_url\": \"data:");
    ReadResponse(fd);
    close(fd);
    spdlog::default_logger()->flush();
    std::string logs = captured.str();
    EXPECT_NE(logs.find("req=" + id + " POST /v1/query 200"), std::string::npos) << logs;
    EXPECT_EQ(logs.find("7f3a9"), std::string::npos) << "the question text was logged";
    std::string jpeg64 = PortraitJpegUrl().substr(30, 40);
    EXPECT_EQ(logs.find(jpeg64), std::string::npos) << "picture bytes were logged";
    size_t upload = logs.find("upload ended after");
    ASSERT_NE(upload, std::string::npos) << logs;
    size_t line_start = logs.rfind('\n', upload);
    std::string line = logs.substr(line_start == std::string::npos ? 0 : line_start + 1,
                                   logs.find('\n', upload) - line_start);
    EXPECT_NE(line.find("[info]"), std::string::npos) << line;
  }
  spdlog::set_default_logger(previous);
}

}  // namespace
}  // namespace md::test
