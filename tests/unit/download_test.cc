// The downloader and `moondream pull` against a local HTTP server on 127.0.0.1 that can
// advertise checksums as Hugging Face does, drop a connection half way, or lie.
#include "formats/download.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "formats/gguf.h"
#include "support/test_support.h"

namespace md {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct ServedFile {
  std::string bytes;
  std::string advertised_sha;   // sent as X-Linked-Etag (quoted) when non-empty
  uint64_t drop_once_at = 0;    // close the first GET's connection after this many bytes
  bool refuse_head = false;     // answer HEAD with 403 (as signed CDN URLs may)
};

// A file server on 127.0.0.1 in a background thread.
class TestServer {
 public:
  TestServer() {
    server_.Get("/(.*)", [this](const httplib::Request& req, httplib::Response& res) {
      Serve(req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServer() {
    server_.stop();
    thread_.join();
  }

  void Add(const std::string& name, ServedFile f) {
    std::lock_guard<std::mutex> lock(mu_);
    files_[name] = std::make_shared<ServedFile>(std::move(f));
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string url(const std::string& name) const { return base_url() + "/" + name; }
  // Range headers of the GETs seen so far ("" for a GET without one).
  std::vector<std::string> ranges() {
    std::lock_guard<std::mutex> lock(mu_);
    return ranges_;
  }
  int gets() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(ranges_.size());
  }

 private:
  void Serve(const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<ServedFile> f;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = files_.find(req.matches[1]);
      if (it != files_.end()) f = it->second;
      if (req.method == "GET") ranges_.push_back(req.get_header_value("Range"));
    }
    if (!f) {
      res.status = 404;
      res.set_content("no such file", "text/plain");
      return;
    }
    if (!f->advertised_sha.empty()) res.set_header("X-Linked-Etag", "\"" + f->advertised_sha + "\"");
    res.set_header("X-Linked-Size", std::to_string(f->bytes.size()));
    if (f->refuse_head && req.method == "HEAD") {
      res.status = 403;
      return;
    }
    const bool is_get = req.method == "GET";
    res.set_content_provider(
        f->bytes.size(), "application/octet-stream",
        [f, is_get](size_t offset, size_t length, httplib::DataSink& sink) {
          size_t n = std::min<size_t>(length, 65536);
          if (is_get && f->drop_once_at != 0 && offset + n > f->drop_once_at) {
            // Send up to the drop point, then hang up (once).
            sink.write(f->bytes.data() + offset, f->drop_once_at - offset);
            f->drop_once_at = 0;
            return false;
          }
          sink.write(f->bytes.data() + offset, n);
          return true;
        });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<ServedFile>> files_;
  std::vector<std::string> ranges_;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Sha(const std::string& s) {
  return Sha256Hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string t = (fs::temp_directory_path() / "md_pull_XXXXXX").string();
    if (::mkdtemp(t.data()) != nullptr) path_ = t;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

DownloadOptions FastRetries() {
  DownloadOptions o;
  o.retry_backoff_s = 0;
  o.max_attempts = 3;
  o.connect_timeout_s = 5;
  return o;
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ScratchDir dir;
  std::ofstream(dir / "abc") << "abc";
  EXPECT_EQ(Sha256OfFile(dir / "abc").value(), Sha("abc"));
  EXPECT_EQ(Sha256OfFile(dir / "missing").status().code(), StatusCode::kNotFound);
}

TEST(DownloadTest, DownloadsAndVerifies) {
  TestServer server;
  const std::string data = RandomBytes(3 << 20, 1);
  server.Add("model.gguf", {data, Sha(data)});
  ScratchDir dir;
  uint64_t last_done = 0, last_total = 0;
  DownloadOptions opt = FastRetries();
  opt.progress = [&](const DownloadProgress& p) {
    EXPECT_GE(p.done, last_done);
    last_done = p.done;
    last_total = p.total;
  };
  auto r = DownloadFile({server.url("model.gguf"), dir / "model.gguf"}, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bytes, data.size());
  EXPECT_EQ(r->sha256, Sha(data));
  EXPECT_TRUE(r->checksum_verified);
  EXPECT_FALSE(r->resumed);
  EXPECT_FALSE(r->already_present);
  EXPECT_EQ(ReadAll(dir / "model.gguf"), data);
  EXPECT_FALSE(fs::exists(dir / "model.gguf.part"));
  EXPECT_EQ(last_done, data.size());
  EXPECT_EQ(last_total, data.size());

  // A second run finds the verified file and fetches nothing.
  const int gets = server.gets();
  auto again = DownloadFile({server.url("model.gguf"), dir / "model.gguf"}, opt);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_present);
  EXPECT_EQ(server.gets(), gets);
}

TEST(DownloadTest, ResumesAfterADroppedConnection) {
  TestServer server;
  const std::string data = RandomBytes(2 << 20, 2);
  const uint64_t half = data.size() / 2;
  server.Add("m.gguf", {data, Sha(data), half});
  ScratchDir dir;
  auto r = DownloadFile({server.url("m.gguf"), dir / "m.gguf"}, FastRetries());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(ReadAll(dir / "m.gguf"), data);
  // First GET from 0, the second resumed exactly where the first stopped.
  std::vector<std::string> ranges = server.ranges();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], "");
  EXPECT_EQ(ranges[1], "bytes=" + std::to_string(half) + "-");
}

TEST(DownloadTest, ResumesAPartFileFromAnEarlierRun) {
  TestServer server;
  const std::string data = RandomBytes(1 << 20, 3);
  server.Add("m.gguf", {data, Sha(data)});
  ScratchDir dir;
  std::ofstream(dir / "m.gguf.part", std::ios::binary) << data.substr(0, 300000);
  auto r = DownloadFile({server.url("m.gguf"), dir / "m.gguf"}, FastRetries());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(ReadAll(dir / "m.gguf"), data);
  EXPECT_EQ(server.ranges(), std::vector<std::string>{"bytes=300000-"});
  // A complete .part needs no transfer at all.
  std::ofstream(dir / "n.gguf.part", std::ios::binary) << data;
  server.Add("n.gguf", {data, Sha(data)});
  auto n = DownloadFile({server.url("n.gguf"), dir / "n.gguf"}, FastRetries());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(ReadAll(dir / "n.gguf"), data);
}

TEST(DownloadTest, WrongChecksumLeavesNoFile) {
  TestServer server;
  const std::string data = RandomBytes(500000, 4);
  server.Add("bad.gguf", {data, Sha("something else")});
  ScratchDir dir;
  auto r = DownloadFile({server.url("bad.gguf"), dir / "bad.gguf"}, FastRetries());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("checksum mismatch"));
  EXPECT_THAT(r.status().message(), HasSubstr(Sha(data)));
  EXPECT_FALSE(fs::exists(dir / "bad.gguf"));
  EXPECT_FALSE(fs::exists(dir / "bad.gguf.part"));

  // A pinned checksum that the server contradicts is refused before any transfer.
  server.Add("ok.gguf", {data, Sha(data)});
  DownloadRequest req{server.url("ok.gguf"), dir / "ok.gguf", 0, Sha("pinned")};
  auto pinned = DownloadFile(req, FastRetries());
  EXPECT_EQ(pinned.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(pinned.status().message(), HasSubstr("advertises"));
  // A pinned checksum with a server that publishes none is still checked.
  server.Add("quiet.gguf", {data, ""});
  DownloadRequest quiet{server.url("quiet.gguf"), dir / "quiet.gguf", 0, Sha("pinned")};
  EXPECT_EQ(DownloadFile(quiet, FastRetries()).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(fs::exists(dir / "quiet.gguf"));
  // Without any checksum the file is kept and its SHA-256 reported, unverified.
  auto unpinned = DownloadFile({server.url("quiet.gguf"), dir / "quiet.gguf"}, FastRetries());
  ASSERT_TRUE(unpinned.ok());
  EXPECT_FALSE(unpinned->checksum_verified);
  EXPECT_EQ(unpinned->sha256, Sha(data));
}

TEST(DownloadTest, HeadRefusedAfterTheChecksumWasGiven) {
  TestServer server;
  const std::string data = RandomBytes(300000, 6);
  server.Add("signed.gguf", {data, Sha(data), 0, true});
  ScratchDir dir;
  auto r = DownloadFile({server.url("signed.gguf"), dir / "signed.gguf"}, FastRetries());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->checksum_verified);
  EXPECT_EQ(ReadAll(dir / "signed.gguf"), data);
  server.Add("lying.gguf", {data, Sha("x"), 0, true});
  EXPECT_EQ(DownloadFile({server.url("lying.gguf"), dir / "lying.gguf"}, FastRetries())
                .status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(fs::exists(dir / "lying.gguf"));
}

TEST(DownloadTest, HttpErrorsAndOffline) {
  TestServer server;
  ScratchDir dir;
  auto missing = DownloadFile({server.url("nope.gguf"), dir / "nope.gguf"}, FastRetries());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("HTTP 404"));
  // Nothing listens on port 1: the same answer as no network at all.
  auto offline = DownloadFile({"http://127.0.0.1:1/x.gguf", dir / "x.gguf"}, FastRetries());
  EXPECT_EQ(offline.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(offline.status().message(), HasSubstr("cannot reach 127.0.0.1"));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// The whole command: the pair is served under its real names from the tiny fixtures.
TEST(PullCommandTest, FetchesThePairAndQuantizes) {
  TestServer server;
  const std::string text = ReadAll(test::TestData("fixtures/moondream2-tiny-text-f32.gguf"));
  const std::string mmproj = ReadAll(test::TestData("fixtures/moondream2-tiny-mmproj-f32.gguf"));
  server.Add("moondream2-text-model-f16.gguf", {text, Sha(text), text.size() / 3});
  server.Add("moondream2-mmproj-f16.gguf", {mmproj, Sha(mmproj)});
  ScratchDir dir;
  const std::string bin = test::MoondreamBinary();
  std::string out;
  int rc = test::RunCommand(bin + " pull --variant f16 --models " + dir / "f16" +
                                " --base-url " + server.base_url() + " 2>&1",
                            &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(ReadAll(dir / "f16/moondream2-text-model-f16.gguf"), text);
  EXPECT_EQ(ReadAll(dir / "f16/moondream2-mmproj-f16.gguf"), mmproj);
  EXPECT_THAT(out, HasSubstr("(verified)"));
  EXPECT_THAT(out, HasSubstr("ready: moondream serve"));

  out.clear();
  rc = test::RunCommand(bin + " pull --models " + dir / "q4" + " --base-url " +
                            server.base_url() + " 2>&1",
                        &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_FALSE(fs::exists(dir / "q4/moondream2-text-model-f16.gguf"));  // quantized, removed
  auto q = GgufFile::Open(dir / "q4/moondream2-text-model-q4_k_m.gguf");
  ASSERT_TRUE(q.ok()) << q.status().ToString() << "\n" << out;
  EXPECT_EQ((*q)->GetU32("general.file_type").value(), 15u);
  EXPECT_EQ((*q)->FindTensor("blk.0.attn_qkv.weight")->type, TensorType::kQ4_K);
  EXPECT_TRUE(fs::exists(dir / "q4/moondream2-mmproj-f16.gguf"));
}

TEST(PullCommandTest, OfflineExplainsWhatToPlaceWhere) {
  ScratchDir dir;
  std::string out;
  int rc = test::RunCommand(test::MoondreamBinary() + " pull --models " + dir / "m" +
                                " --base-url http://127.0.0.1:1/repo 2>&1",
                            &out);
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out, HasSubstr("offline"));
  EXPECT_THAT(out, HasSubstr("http://127.0.0.1:1/repo/moondream2-text-model-f16.gguf"));
  EXPECT_THAT(out, HasSubstr(dir / "m" + "/moondream2-mmproj-f16.gguf"));
  EXPECT_THAT(out, HasSubstr("moondream quantize"));
  EXPECT_FALSE(fs::exists(dir / "m/moondream2-text-model-f16.gguf"));
}

}  // namespace
}  // namespace md
