// The server's building blocks alone: config.yaml parsing and overrides, SHA-256 (the
// cache key), base64 and data URLs, picture sniffing, the streaming chunker, the LRU
// picture cache and the bounded work queue.
#include <thread>

#include "server/server_test_util.h"
#include "server/sha256.h"

namespace md::test {
namespace {

using server::ServerConfig;

TEST(ServerConfig, DefaultsAreTheDocumentedOnes) {
  ServerConfig c;
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 7860);
  EXPECT_EQ(c.max_upload_bytes, 20u << 20);
  EXPECT_EQ(c.queue_length, 32);
  EXPECT_EQ(c.request_timeout_s, 120);
  EXPECT_EQ(c.max_image_size, 1280);
  EXPECT_TRUE(c.api_key.empty());
  EXPECT_TRUE(c.cors_origins.empty());
  EXPECT_TRUE(server::ValidateConfig(c).ok());
}

TEST(ServerConfig, ExampleFileParsesToTheDefaults) {
  // config.example.yaml documents every key with its default value.
  ServerConfig c;
  Status s = server::LoadConfigFile(std::string(MD_SOURCE_DIR) + "/config.example.yaml", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ServerConfig d;
  EXPECT_EQ(c.host, d.host);
  EXPECT_EQ(c.port, d.port);
  EXPECT_EQ(c.max_upload_bytes, d.max_upload_bytes);
  EXPECT_EQ(c.max_pixels, d.max_pixels);
  EXPECT_EQ(c.queue_length, d.queue_length);
  EXPECT_EQ(c.request_timeout_s, d.request_timeout_s);
  EXPECT_EQ(c.image_cache_bytes, d.image_cache_bytes);
  EXPECT_EQ(c.caption_long.prompt, d.caption_long.prompt);
  EXPECT_EQ(c.caption_short.max_tokens, d.caption_short.max_tokens);
  EXPECT_FLOAT_EQ(c.query.top_p, d.query.top_p);
  EXPECT_EQ(c.read_timeout_s, d.read_timeout_s);
  EXPECT_EQ(c.log_level, d.log_level);
}

TEST(ServerConfig, YamlOverridesAndErrors) {
  ServerConfig c;
  Status s = server::LoadConfigYaml(R"(
host: 0.0.0.0
port: 2020
api_key: abc
cors_origins: ["http://a", "http://b"]
model:
  text: models/t.gguf
  mmproj: models/m.gguf
  threads: 4
limits:
  max_upload_mb: 5
  max_question_chars: 99
queue:
  length: 8
  request_timeout_s: 30
cache:
  max_mb: 64
modes:
  short:
    prompt: "Caption briefly."
    max_tokens: 20
  query:
    temperature: 0
)", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 2020);
  EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"http://a", "http://b"}));
  EXPECT_EQ(c.text_model, "models/t.gguf");
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.max_upload_bytes, 5u << 20);
  EXPECT_EQ(c.max_question_chars, 99);
  EXPECT_EQ(c.queue_length, 8);
  EXPECT_EQ(c.image_cache_bytes, 64u << 20);
  EXPECT_EQ(c.caption_short.prompt, "Caption briefly.");
  EXPECT_EQ(c.caption_short.max_tokens, 20);
  EXPECT_FLOAT_EQ(c.query.temperature, 0.0f);
  EXPECT_EQ(c.caption_long.max_tokens, 512) << "keys not in the file keep their defaults";

  ASSERT_TRUE(server::ApplyOverride("queue.length=64", &c).ok());
  EXPECT_EQ(c.queue_length, 64);
  ASSERT_TRUE(server::ApplyOverride("cors_origins=[\"*\"]", &c).ok());
  EXPECT_EQ(c.cors_origins, std::vector<std::string>{"*"});
  ASSERT_TRUE(server::ApplyOverride("modes.long.prompt=Describe everything.", &c).ok());
  EXPECT_EQ(c.caption_long.prompt, "Describe everything.");

  ServerConfig e;
  Status bad = server::LoadConfigYaml("queue:\n  lenght: 3\n", &e);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("queue.lenght"), std::string::npos) << bad.message();
  bad = server::LoadConfigYaml("port: eighty\n", &e);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("port"), std::string::npos);
  EXPECT_FALSE(server::LoadConfigYaml("a: [unclosed\n", &e).ok());
  EXPECT_FALSE(server::LoadConfigYaml("- just\n- a list\n", &e).ok());
  EXPECT_FALSE(server::ApplyOverride("nonsense", &e).ok());
  EXPECT_FALSE(server::ApplyOverride("no.such.key=1", &e).ok());
  EXPECT_FALSE(server::LoadConfigFile("/nonexistent/config.yaml", &e).ok());

  ServerConfig v;
  v.queue_length = 0;
  EXPECT_NE(server::ValidateConfig(v).message().find("queue.length"), std::string::npos);
  v = ServerConfig();
  v.caption_short.top_p = 0;
  EXPECT_NE(server::ValidateConfig(v).message().find("modes.short.top_p"), std::string::npos);
  v = ServerConfig();
  v.log_level = "loud";
  EXPECT_FALSE(server::ValidateConfig(v).ok());
}

TEST(ServerParts, Sha256MatchesKnownDigests) {
  // Expected values from Python's hashlib for bytes i % 251, lengths around the
  // 55/56/64-byte padding boundaries.
  const std::pair<int, const char*> cases[] = {
      {0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
      {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
      {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
      {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
      {65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"},
      {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
      {1000, "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d"}};
  for (const auto& [n, hex] : cases) {
    std::vector<uint8_t> b(n);
    for (int i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i % 251);
    EXPECT_EQ(server::ToHex(server::Sha256(b)), hex) << n;
  }
  const std::string abc = "abc";
  EXPECT_EQ(server::ToHex(server::Sha256({reinterpret_cast<const uint8_t*>(abc.data()), 3})),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ServerParts, Base64AndDataUrls) {
  for (int n = 0; n < 20; ++n) {
    std::vector<uint8_t> b(n);
    for (int i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 37 + 5);
    std::string enc = server::EncodeBase64(b);
    EXPECT_EQ(enc.size() % 4, 0u);
    auto dec = server::DecodeBase64(enc);
    ASSERT_TRUE(dec.ok());
    EXPECT_EQ(*dec, b) << n;
  }
  EXPECT_EQ(server::EncodeBase64(std::vector<uint8_t>{'M', 'a', 'n'}), "TWFu");
  auto unpadded = server::DecodeBase64("TWE");
  ASSERT_TRUE(unpadded.ok());
  EXPECT_EQ(std::string(unpadded->begin(), unpadded->end()), "Ma");
  auto urlsafe = server::DecodeBase64("-_8");
  ASSERT_TRUE(urlsafe.ok());
  EXPECT_EQ(*urlsafe, (std::vector<uint8_t>{0xFB, 0xFF}));
  EXPECT_FALSE(server::DecodeBase64("TW=u").ok()) << "data after padding";
  EXPECT_FALSE(server::DecodeBase64("T").ok()) << "a lone sextet is no byte";
  EXPECT_FALSE(server::DecodeBase64("TW\x01u").ok());

  EXPECT_EQ(server::DecodeImageUrl("data:image/png;base64,TWFu").status().code(), StatusCode::kOk);
  EXPECT_EQ(server::DecodeImageUrl("DATA:image/png;base64,TWFu").status().code(), StatusCode::kOk);
  EXPECT_EQ(server::DecodeImageUrl("TWFu").status().code(), StatusCode::kOk);
  EXPECT_EQ(server::DecodeImageUrl("https://x/y.png").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server::DecodeImageUrl("file:///etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server::DecodeImageUrl("data:text/html;base64,TWFu").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(server::DecodeImageUrl("data:image/png;base64,").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server::DecodeImageUrl("data:image/png;base64").status().code(), StatusCode::kInvalidArgument);
}

TEST(ServerParts, SniffImage) {
  auto sniff = [](const std::string& s) {
    return server::SniffImage({reinterpret_cast<const uint8_t*>(s.data()), s.size()}).code();
  };
  EXPECT_EQ(sniff(FixtureBytes("scene_512x384.png")), StatusCode::kOk);
  EXPECT_EQ(sniff(FixtureBytes("portrait_320x480.jpg")), StatusCode::kOk);
  EXPECT_EQ(sniff(std::string("II*\0rest", 8)), StatusCode::kUnsupported);
  EXPECT_EQ(sniff("%PDF-1.7 ..."), StatusCode::kUnsupported);
  EXPECT_EQ(sniff(std::string("\0\0\0\x18" "ftypheic", 12)), StatusCode::kUnsupported);
  EXPECT_EQ(sniff("just some text"), StatusCode::kInvalidArgument);
  EXPECT_EQ(sniff(""), StatusCode::kInvalidArgument);
  EXPECT_EQ(sniff(std::string(3, '\0')), StatusCode::kInvalidArgument);
}

TEST(ServerParts, ChunkerFlushesAtWordsNewlinesAndCjk) {
  server::TextChunker c;
  std::vector<std::string> out;
  auto feed = [&](const std::string& p) {
    std::string s = c.Feed(p);
    if (!s.empty()) out.push_back(s);
  };
  for (const char* p : {" A", " cat", " sits", " on", " the", "\n", "mat", "."}) feed(p);
  out.push_back(c.Finish());
  // Leading whitespace of the answer is dropped; chunks end after a space or newline.
  EXPECT_EQ(out, (std::vector<std::string>{"A ", "cat ", "sits ", "on ", "the\n", "mat."}));

  server::TextChunker z;
  EXPECT_EQ(z.Feed("一只"), "一只");      // ends with a CJK character: flushed
  EXPECT_EQ(z.Feed("猫。"), "");          // ends with CJK punctuation (not in the ranges)
  EXPECT_EQ(z.Feed("很"), "猫。很");
  EXPECT_EQ(z.Finish(), "");
}

class SizedImage : public EncodedImage {
 public:
  explicit SizedImage(size_t b) : b_(b) {}
  size_t memory_bytes() const override { return b_; }
  int width() const override { return 1; }
  int height() const override { return 1; }
  double encode_ms() const override { return 0; }

 private:
  size_t b_;
};

TEST(ServerParts, ImageCacheIsLruBoundedByBytes) {
  server::ImageCache cache(100);
  cache.Put("a", std::make_shared<SizedImage>(40));
  cache.Put("b", std::make_shared<SizedImage>(40));
  EXPECT_NE(cache.Get("a"), nullptr);  // a is now the most recent
  cache.Put("c", std::make_shared<SizedImage>(40));  // evicts b
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_NE(cache.Get("a"), nullptr);
  EXPECT_NE(cache.Get("c"), nullptr);
  cache.Put("huge", std::make_shared<SizedImage>(101));  // larger than everything: not kept
  EXPECT_EQ(cache.Get("huge"), nullptr);
  cache.Put("a", std::make_shared<SizedImage>(10));  // replacing updates the bytes
  auto s = cache.stats();
  EXPECT_EQ(s.bytes, 50u);
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.hits, 3u);
  EXPECT_EQ(s.misses, 2u);
}

TEST(ServerParts, WorkQueueIsBoundedAndRunsOneAtATime) {
  server::WorkQueue q(2);
  std::atomic<int> running{0}, max_running{0}, done{0};
  std::atomic<bool> release{false};
  auto job = [&] {
    int r = ++running;
    if (r > max_running) max_running = r;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    --running;
    ++done;
  };
  ASSERT_TRUE(q.Submit(job).ok());
  ASSERT_TRUE(q.Submit(job).ok());
  Status full = q.Submit(job);
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(q.depth(), 2);
  release = true;
  EXPECT_TRUE(q.WaitIdle(std::chrono::seconds(5)));
  EXPECT_EQ(done, 2);
  EXPECT_EQ(max_running, 1);
  q.Stop();
  EXPECT_EQ(q.Submit(job).code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace md::test
