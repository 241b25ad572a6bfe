// GGUF reader and writer: the fixtures read as their README describes, files re-write
// byte for byte, and hand-made lying files each get a clear error (never a crash).
#include "formats/gguf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "support/test_support.h"

namespace md {
namespace {

using ::testing::HasSubstr;

// ----------------------------------------------------------------- fixtures

struct FixtureCase {
  const char* file;
  size_t n_kv;
  size_t n_tensors;
  const char* arch;
};

constexpr FixtureCase kFixtures[] = {
    {"moondream2-tiny-text-f32.gguf", 20, 25, "phi2"},
    {"moondream2-tiny-text-q8_0.gguf", 21, 25, "phi2"},
    {"moondream2-tiny-text-q4_0.gguf", 21, 25, "phi2"},
    {"moondream2-tiny-text-q4_k_m.gguf", 21, 25, "phi2"},
    {"moondream2-tiny-text-q5_k_m.gguf", 21, 25, "phi2"},
    {"moondream2-tiny-mmproj-f32.gguf", 19, 57, "clip"},
    {"tokenizer-moondream2.gguf", 20, 0, "phi2"},
    {"tokenizer-moondream2-nopre.gguf", 19, 0, "phi2"},
};

std::string Fixture(const std::string& name) { return test::TestData("fixtures/" + name); }

std::unique_ptr<GgufFile> OpenOrDie(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return nullptr;
  return std::move(f).value();
}

// Reads every value and every tensor byte boundary, as a consumer would (ASan checks).
uint64_t TouchEverything(const GgufFile& f) {
  uint64_t sum = 0;
  for (const GgufKv& kv : f.kvs()) {
    sum += kv.key.size() + kv.value.u + kv.value.str.size();
    for (std::string_view s : kv.value.strs) sum += s.empty() ? 0 : static_cast<uint8_t>(s.back());
    for (uint8_t b : kv.value.raw) sum += b;
    sum += kv.value.AsI32Array().size() + kv.value.AsF32Array().size();
  }
  for (const GgufTensorInfo& t : f.tensors()) {
    sum += t.ShapeString().size() + t.n_elements();
    if (t.nbytes > 0) sum += t.data[0] + t.data[t.nbytes - 1];
  }
  return sum;
}

TEST(GgufFixtureTest, EveryFixtureHasTheDocumentedCounts) {
  for (const FixtureCase& c : kFixtures) {
    SCOPED_TRACE(c.file);
    auto f = OpenOrDie(Fixture(c.file));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_EQ(f->kvs().size(), c.n_kv);
    EXPECT_EQ(f->tensors().size(), c.n_tensors);
    EXPECT_EQ(f->GetString("general.architecture").value(), c.arch);
    TouchEverything(*f);
    // The data section is aligned, and every tensor lies inside the file.
    if (c.n_tensors > 0) {
      EXPECT_EQ(f->data_offset() % 32, 0u);
      for (const GgufTensorInfo& t : f->tensors()) {
        EXPECT_LE(f->data_offset() + t.offset + t.nbytes, f->file_size()) << t.name;
      }
    }
  }
}

TEST(GgufFixtureTest, TextModelKeysAndShapes) {
  auto f = OpenOrDie(Fixture("moondream2-tiny-text-f32.gguf"));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->GetU32("phi2.context_length").value(), 2048u);
  EXPECT_EQ(f->GetU32("phi2.embedding_length").value(), 256u);
  EXPECT_EQ(f->GetU32("phi2.feed_forward_length").value(), 1024u);
  EXPECT_EQ(f->GetU32("phi2.block_count").value(), 2u);
  EXPECT_EQ(f->GetU32("phi2.attention.head_count").value(), 8u);
  EXPECT_EQ(f->GetU32("phi2.attention.head_count_kv").value(), 8u);
  EXPECT_EQ(f->GetU32("phi2.rope.dimension_count").value(), 16u);
  EXPECT_FLOAT_EQ(f->GetF32("phi2.attention.layer_norm_epsilon").value(), 1e-5f);
  EXPECT_EQ(f->GetU32("general.file_type").value(), 0u);
  EXPECT_EQ(f->GetString("tokenizer.ggml.model").value(), "gpt2");
  EXPECT_EQ(f->GetString("tokenizer.ggml.pre").value(), "gpt-2");
  EXPECT_EQ(f->GetStringArray("tokenizer.ggml.tokens").value().size(), 1409u);
  EXPECT_EQ(f->GetStringArray("tokenizer.ggml.merges").value().size(), 1152u);
  EXPECT_EQ(f->GetI32Array("tokenizer.ggml.token_type").value().size(), 1409u);
  EXPECT_EQ(f->GetI32Array("tokenizer.ggml.token_type").value()[1408], 3);  // control
  EXPECT_EQ(f->GetStringArray("tokenizer.ggml.tokens").value()[1408], "<|endoftext|>");
  EXPECT_EQ(f->GetU32("tokenizer.ggml.bos_token_id").value(), 1408u);
  EXPECT_EQ(f->GetU32("tokenizer.ggml.eos_token_id").value(), 1408u);
  EXPECT_FALSE(f->GetBool("tokenizer.ggml.add_bos_token").value());
  EXPECT_EQ(f->FindKv("phi2.rope.freq_base"), nullptr);
  EXPECT_FLOAT_EQ(f->GetF32Or("phi2.rope.freq_base", 10000.f).value(), 10000.f);

  const GgufTensorInfo* emb = f->FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->ShapeString(), "[256, 1409]");
  EXPECT_EQ(emb->type, TensorType::kF32);
  EXPECT_EQ(emb->nbytes, 256u * 1409u * 4u);
  EXPECT_EQ(f->FindTensor("blk.1.attn_qkv.weight")->ShapeString(), "[256, 768]");
  EXPECT_EQ(f->FindTensor("blk.0.ffn_down.weight")->ShapeString(), "[1024, 256]");
  EXPECT_EQ(f->FindTensor("output.bias")->ShapeString(), "[1409]");
  EXPECT_EQ(f->FindTensor("blk.2.attn_qkv.weight"), nullptr);
  // Weights are real numbers of a sane size (random N(0, small)).
  float v[4];
  std::memcpy(v, emb->data, sizeof v);
  for (float x : v) EXPECT_TRUE(std::isfinite(x) && std::fabs(x) < 10.f) << x;
}

TEST(GgufFixtureTest, QuantizedFixturesCarryTheDocumentedTypes) {
  struct Case {
    const char* file;
    uint32_t file_type;
    TensorType matrix;
    TensorType output;
    TensorType blk1_qkv;
  };
  const Case cases[] = {
      {"moondream2-tiny-text-q8_0.gguf", 7, TensorType::kQ8_0, TensorType::kQ8_0, TensorType::kQ8_0},
      {"moondream2-tiny-text-q4_0.gguf", 2, TensorType::kQ4_0, TensorType::kQ6_K, TensorType::kQ4_0},
      {"moondream2-tiny-text-q4_k_m.gguf", 15, TensorType::kQ4_K, TensorType::kQ6_K, TensorType::kQ6_K},
      {"moondream2-tiny-text-q5_k_m.gguf", 17, TensorType::kQ5_K, TensorType::kQ6_K, TensorType::kQ6_K},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    auto f = OpenOrDie(Fixture(c.file));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->GetU32("general.file_type").value(), c.file_type);
    EXPECT_EQ(f->GetU32("general.quantization_version").value(), 2u);
    EXPECT_EQ(f->FindTensor("blk.0.attn_qkv.weight")->type, c.matrix);
    EXPECT_EQ(f->FindTensor("output.weight")->type, c.output);
    EXPECT_EQ(f->FindTensor("blk.1.attn_qkv.weight")->type, c.blk1_qkv);
    for (const GgufTensorInfo& t : f->tensors()) {
      if (t.n_dims == 1) EXPECT_EQ(t.type, TensorType::kF32) << t.name;
      const TensorTypeInfo& ti = TypeInfo(t.type);
      EXPECT_EQ(t.nbytes, t.n_elements() / ti.block_size * ti.block_bytes) << t.name;
    }
  }
}

TEST(GgufFixtureTest, ProjectorKeysAndShapes) {
  auto f = OpenOrDie(Fixture("moondream2-tiny-mmproj-f32.gguf"));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->GetString("clip.projector_type").value(), "mlp");
  EXPECT_TRUE(f->GetBool("clip.has_vision_encoder").value());
  EXPECT_FALSE(f->GetBool("clip.has_text_encoder").value());
  EXPECT_TRUE(f->GetBool("clip.use_gelu").value());
  EXPECT_EQ(f->GetU32("clip.vision.image_size").value(), 378u);
  EXPECT_EQ(f->GetU32("clip.vision.patch_size").value(), 14u);
  EXPECT_EQ(f->GetU32("clip.vision.embedding_length").value(), 64u);
  EXPECT_EQ(f->GetU32("clip.vision.feed_forward_length").value(), 128u);
  EXPECT_EQ(f->GetU32("clip.vision.projection_dim").value(), 256u);
  EXPECT_EQ(f->GetU32("clip.vision.block_count").value(), 3u);
  EXPECT_EQ(f->GetU32("clip.vision.attention.head_count").value(), 4u);
  EXPECT_FLOAT_EQ(f->GetF32("clip.vision.attention.layer_norm_epsilon").value(), 1e-6f);
  EXPECT_EQ(f->GetF32Array("clip.vision.image_mean").value(), (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(f->GetF32Array("clip.vision.image_std").value(), (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(f->FindTensor("v.patch_embd.weight")->ShapeString(), "[14, 14, 3, 64]");
  EXPECT_EQ(f->FindTensor("v.patch_embd.weight")->n_elements(), 14u * 14u * 3u * 64u);
  EXPECT_EQ(f->FindTensor("v.position_embd.weight")->ShapeString(), "[64, 729]");
  EXPECT_EQ(f->FindTensor("v.blk.2.ffn_down.weight")->ShapeString(), "[128, 64]");
  EXPECT_EQ(f->FindTensor("mm.0.weight")->ShapeString(), "[64, 256]");
  EXPECT_EQ(f->FindTensor("mm.2.weight")->ShapeString(), "[256, 256]");
  EXPECT_EQ(f->FindTensor("v.class_embd"), nullptr);
}

TEST(GgufFixtureTest, FullTokenizerFiles) {
  for (const char* name : {"tokenizer-moondream2.gguf", "tokenizer-moondream2-nopre.gguf"}) {
    SCOPED_TRACE(name);
    auto f = OpenOrDie(Fixture(name));
    ASSERT_NE(f, nullptr);
    auto tokens = f->GetStringArray("tokenizer.ggml.tokens").value();
    ASSERT_EQ(tokens.size(), 51200u);
    EXPECT_EQ(tokens[50256], "<|endoftext|>");
    EXPECT_EQ(tokens[50257], std::string(31, ' '));
    EXPECT_EQ(tokens[51199], "[PAD51199]");
    EXPECT_EQ(f->GetStringArray("tokenizer.ggml.merges").value().size(), 50000u);
    EXPECT_EQ(f->GetU32("tokenizer.ggml.bos_token_id").value(), 50256u);
    EXPECT_EQ(f->GetU32("phi2.embedding_length").value(), 2048u);
    EXPECT_EQ(f->GetU32("phi2.block_count").value(), 24u);
  }
  auto nopre = OpenOrDie(Fixture("tokenizer-moondream2-nopre.gguf"));
  EXPECT_EQ(nopre->GetString("tokenizer.ggml.pre").status().code(), StatusCode::kNotFound);
}

TEST(GgufFixtureTest, TypedGettersAreStrict) {
  auto f = OpenOrDie(Fixture("moondream2-tiny-text-f32.gguf"));
  ASSERT_NE(f, nullptr);
  auto wrong = f->GetF32("phi2.block_count");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.status().message(), HasSubstr("phi2.block_count"));
  EXPECT_THAT(wrong.status().message(), HasSubstr("has type u32, expected f32"));
  EXPECT_FALSE(f->GetU32("tokenizer.ggml.model").ok());
  EXPECT_FALSE(f->GetI32Array("tokenizer.ggml.tokens").ok());
  EXPECT_FALSE(f->GetStringArray("tokenizer.ggml.token_type").ok());
  EXPECT_FALSE(f->GetBool("phi2.block_count").ok());
  auto missing = f->GetU32("phi2.no_such_key");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("phi2.no_such_key"));
  EXPECT_EQ(f->GetU32Or("phi2.no_such_key", 7).value(), 7u);
  EXPECT_TRUE(f->GetBoolOr("x.y", true).value());
  // The fallback never hides a present key of the wrong type.
  EXPECT_FALSE(f->GetU32Or("tokenizer.ggml.model", 7).ok());
  // Element-wise conversion works for any numeric array.
  std::vector<float> tt = f->FindKv("tokenizer.ggml.token_type")->value.AsF32Array();
  ASSERT_EQ(tt.size(), 1409u);
  EXPECT_EQ(tt[1408], 3.f);
  EXPECT_TRUE(f->FindKv("tokenizer.ggml.tokens")->value.AsI32Array().empty());
}

// ----------------------------------------------------------------- writer

// A fresh directory removed when the test ends. (Not test::TempDir: its exit-time
// cleanup currently runs after its list of directories has been destroyed.)
class ScopedDir {
 public:
  ScopedDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "md_gguf_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "/tmp";
  }
  ~ScopedDir() {
    std::error_code ec;
    if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string TempDir() {
  static std::vector<std::unique_ptr<ScopedDir>> dirs;  // removed at exit
  dirs.push_back(std::make_unique<ScopedDir>());
  return dirs.back()->path();
}

std::string TempPath(const std::string& name) { return TempDir() + "/" + name; }

// Re-writes a file through CopyKv / AddTensorView.
Status Rewrite(const GgufFile& in, const std::string& out, const std::string& refuse = "") {
  GgufWriter w;
  for (const GgufKv& kv : in.kvs()) w.CopyKv(kv);
  for (const GgufTensorInfo& t : in.tensors()) {
    w.AddTensorView(std::string(t.name), t.type, std::vector<uint64_t>(t.ne, t.ne + t.n_dims),
                    std::span<const uint8_t>(t.data, t.nbytes));
  }
  return w.Write(out, refuse);
}

TEST(GgufWriterTest, RewriteIsByteIdentical) {
  // The nopre tokenizer was cut from the other one by hand and keeps 4 stray bytes.
  for (const FixtureCase& c : kFixtures) {
    if (std::string(c.file) == "tokenizer-moondream2-nopre.gguf") continue;
    SCOPED_TRACE(c.file);
    auto in = OpenOrDie(Fixture(c.file));
    ASSERT_NE(in, nullptr);
    const std::string out = TempPath(c.file);
    ASSERT_TRUE(Rewrite(*in, out).ok());
    EXPECT_EQ(test::ReadFileBytes(out), test::ReadFileBytes(Fixture(c.file)));
    std::filesystem::remove(out);
  }
}

TEST(GgufWriterTest, EveryValueTypeRoundTrips) {
  GgufWriter w;
  w.SetU32("a.u32", 4000000000u);
  w.SetI32("a.i32", -7);
  w.SetU64("a.u64", uint64_t{1} << 40);
  w.SetF32("a.f32", 0.25f);
  w.SetBool("a.bool", true);
  w.SetString("a.str", "hello");
  w.SetString("a.empty", "");
  w.SetStringArray("a.strs", {"x", "", "yz"});
  w.SetI32Array("a.i32s", {1, -2, 3});
  w.SetF32Array("a.f32s", {1.5f, -2.5f});
  w.SetI32Array("a.none", {});
  w.SetU32("a.replaced", 1);
  w.SetU32("a.replaced", 2);  // replaced in place
  w.SetU32("a.removed", 1);
  w.RemoveKv("a.removed");
  std::vector<uint8_t> f16(2 * 3, 0x3c);
  w.AddTensor("t.f16", TensorType::kF16, {3}, f16);
  std::vector<uint8_t> q8(34 * 2, 1);
  w.AddTensor("t.q8", TensorType::kQ8_0, {32, 2}, q8);
  w.AddTensorFill("t.fill", TensorType::kF32, {5, 1, 1, 2}, [](std::span<uint8_t> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i);
    return Status::Ok();
  });
  EXPECT_EQ(w.tensor_count(), 3u);
  size_t progress_calls = 0;
  uint64_t last_total = 0;
  w.SetProgress([&](size_t done, size_t total, uint64_t bytes, uint64_t total_bytes) {
    ++progress_calls;
    EXPECT_EQ(total, 3u);
    EXPECT_LE(bytes, total_bytes);
    last_total = total_bytes;
  });
  const std::string path = TempPath("types.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  EXPECT_EQ(progress_calls, 3u);
  EXPECT_EQ(last_total, 6u + 68u + 40u);

  auto f = OpenOrDie(path);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kvs().size(), 12u);
  EXPECT_EQ(f->kvs()[11].key, "a.replaced");
  EXPECT_EQ(f->GetU32("a.u32").value(), 4000000000u);
  EXPECT_EQ(f->FindKv("a.i32")->value.i, -7);
  EXPECT_EQ(f->FindKv("a.u64")->value.u, uint64_t{1} << 40);
  EXPECT_EQ(f->GetF32("a.f32").value(), 0.25f);
  EXPECT_TRUE(f->GetBool("a.bool").value());
  EXPECT_EQ(f->GetString("a.str").value(), "hello");
  EXPECT_EQ(f->GetString("a.empty").value(), "");
  EXPECT_EQ(f->GetStringArray("a.strs").value(), (std::vector<std::string_view>{"x", "", "yz"}));
  EXPECT_EQ(f->GetI32Array("a.i32s").value(), (std::vector<int32_t>{1, -2, 3}));
  EXPECT_EQ(f->GetF32Array("a.f32s").value(), (std::vector<float>{1.5f, -2.5f}));
  EXPECT_TRUE(f->GetI32Array("a.none").value().empty());
  EXPECT_EQ(f->GetU32("a.replaced").value(), 2u);
  EXPECT_EQ(f->FindKv("a.removed"), nullptr);
  ASSERT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->tensors()[1].offset, 32u);  // 6 bytes padded to 32
  EXPECT_EQ(f->tensors()[2].offset, 32u + 96u);
  EXPECT_EQ(f->tensors()[2].ShapeString(), "[5, 1, 1, 2]");
  EXPECT_EQ(f->tensors()[2].data[39], 39);
  // Copying every KV of this file gives the same bytes again (CopyKv of each type).
  const std::string again = TempPath("types2.gguf");
  ASSERT_TRUE(Rewrite(*f, again).ok());
  EXPECT_EQ(test::ReadFileBytes(again), test::ReadFileBytes(path));
}

TEST(GgufWriterTest, CustomAlignmentIsHonoured) {
  GgufWriter w;
  w.SetU32("general.alignment", 64);
  w.AddTensor("a", TensorType::kF32, {3}, std::vector<uint8_t>(12, 1));
  w.AddTensor("b", TensorType::kF32, {3}, std::vector<uint8_t>(12, 2));
  const std::string path = TempPath("align.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  auto f = OpenOrDie(path);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_EQ(f->tensors()[1].offset, 64u);
  GgufWriter bad;
  bad.SetU32("general.alignment", 48);
  EXPECT_EQ(bad.Write(TempPath("bad_align.gguf")).code(), StatusCode::kInvalidArgument);
}

TEST(GgufWriterTest, RefusesToOverwriteItsInput) {
  const std::string dir = TempDir();
  const std::string in_path = dir + "/in.gguf";
  std::filesystem::copy_file(Fixture("moondream2-tiny-mmproj-f32.gguf"), in_path);
  auto in = OpenOrDie(in_path);
  ASSERT_NE(in, nullptr);
  // Same file under another spelling and through a hard link.
  Status s = Rewrite(*in, dir + "/./in.gguf", in_path);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("input file"));
  ASSERT_EQ(::link(in_path.c_str(), (dir + "/alias.gguf").c_str()), 0);
  EXPECT_EQ(Rewrite(*in, dir + "/alias.gguf", in_path).code(), StatusCode::kInvalidArgument);
  // A different target is fine.
  EXPECT_TRUE(Rewrite(*in, dir + "/out.gguf", in_path).ok());
}

TEST(GgufWriterTest, FailedWriteLeavesNothingBehind) {
  const std::string dir = TempDir();
  GgufWriter w;
  w.AddTensorFill("a", TensorType::kF32, {4},
                  [](std::span<uint8_t>) { return Internal("generator failed"); });
  Status s = w.Write(dir + "/x.gguf");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("generator failed"));
  EXPECT_TRUE(std::filesystem::is_empty(dir));  // no final file, no temporary file

  GgufWriter wrong_size;
  wrong_size.AddTensor("a", TensorType::kF32, {4}, std::vector<uint8_t>(15));
  EXPECT_THAT(wrong_size.Write(dir + "/y.gguf").message(), HasSubstr("needs 16"));
  GgufWriter dup;
  dup.AddTensor("a", TensorType::kF32, {1}, std::vector<uint8_t>(4));
  dup.AddTensor("a", TensorType::kF32, {1}, std::vector<uint8_t>(4));
  EXPECT_THAT(dup.Write(dir + "/z.gguf").message(), HasSubstr("duplicate"));
  GgufWriter block;
  block.AddTensor("q", TensorType::kQ4_0, {31}, {});
  EXPECT_THAT(block.Write(dir + "/w.gguf").message(), HasSubstr("block size"));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  EXPECT_FALSE(w.Write("/nonexistent-dir/x.gguf").ok());
}

// ----------------------------------------------------------------- lying files

// A GGUF file assembled field by field, so each test can make one field lie.
struct RawKv {
  std::string key;
  uint32_t type;
  std::string payload;  // everything after the type
};

struct RawTensor {
  std::string name;
  std::vector<uint64_t> ne;
  uint32_t type = 0;
  std::optional<uint32_t> n_dims;    // default: ne.size()
  std::optional<uint64_t> offset;    // default: dense layout
  std::optional<uint64_t> data_len;  // default: size from ne and type
};

template <typename T>
std::string Le(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}
std::string Str(std::string_view s) { return Le<uint64_t>(s.size()) + std::string(s); }

struct RawFile {
  std::string magic = "GGUF";
  uint32_t version = 3;
  std::optional<uint64_t> n_tensors, n_kv;
  std::vector<RawKv> kvs = {
      {"general.architecture", 8, Str("test")},
      {"test.count", 4, Le<uint32_t>(7)},
      {"test.list", 9, Le<uint32_t>(5) + Le<uint64_t>(2) + Le<int32_t>(1) + Le<int32_t>(2)},
  };
  std::vector<RawTensor> tensors = {
      {"a", {8, 2}, 0},   // f32, 64 bytes
      {"b", {32, 3}, 8},  // q8_0, 102 bytes
      {"c", {5}, 1},      // f16, 10 bytes
  };
  uint64_t alignment = 32;

  std::vector<uint8_t> Build() const {
    std::string out = magic + Le(version) + Le<uint64_t>(n_tensors.value_or(tensors.size())) +
                      Le<uint64_t>(n_kv.value_or(kvs.size()));
    for (const RawKv& kv : kvs) out += Str(kv.key) + Le(kv.type) + kv.payload;
    std::string data;
    for (const RawTensor& t : tensors) {
      out += Str(t.name) + Le<uint32_t>(t.n_dims.value_or(t.ne.size()));
      for (uint64_t d : t.ne) out += Le(d);
      out += Le(t.type) + Le<uint64_t>(t.offset.value_or(data.size()));
      uint64_t len = 0;
      if (t.data_len) {
        len = *t.data_len;
      } else if (auto ti = LookupTensorType(t.type)) {
        len = 1;
        for (uint64_t d : t.ne) len *= d;
        len = len / ti->block_size * ti->block_bytes;
      }
      for (uint64_t k = 0; k < len; ++k) data += static_cast<char>(k * 7);
      data.append((alignment - data.size() % alignment) % alignment, '\0');
    }
    out.append((alignment - out.size() % alignment) % alignment, '\0');
    out += data;
    return std::vector<uint8_t>(out.begin(), out.end());
  }
};

Status Parse(const std::vector<uint8_t>& bytes) {
  auto f = GgufFile::FromBuffer(bytes, "lie.gguf");
  if (f.ok()) {
    TouchEverything(**f);
    return Status::Ok();
  }
  return f.status();
}

// Expects a failure whose message names the file and holds every fragment.
void ExpectError(const RawFile& raw, std::vector<std::string> fragments,
                 std::optional<StatusCode> code = std::nullopt) {
  Status s = Parse(raw.Build());
  ASSERT_FALSE(s.ok()) << "accepted a bad file; expected " << fragments[0];
  EXPECT_THAT(s.message(), HasSubstr("lie.gguf: "));
  for (const std::string& frag : fragments) EXPECT_THAT(s.message(), HasSubstr(frag));
  if (code) EXPECT_EQ(s.code(), *code) << s.ToString();
}

TEST(GgufLyingFileTest, TheBaseFileIsValid) {
  RawFile raw;
  const std::vector<uint8_t> bytes = raw.Build();  // the reader keeps views into it
  auto f = GgufFile::FromBuffer(bytes, "ok.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->tensors().size(), 3u);
  EXPECT_EQ((*f)->tensors()[1].offset, 64u);
  EXPECT_EQ((*f)->tensors()[2].offset, 64u + 128u);
  EXPECT_EQ((*f)->GetI32Array("test.list").value(), (std::vector<int32_t>{1, 2}));
  raw.version = 2;  // v2 has the same layout
  EXPECT_TRUE(Parse(raw.Build()).ok());
  raw.tensors.clear();  // a file of metadata alone
  EXPECT_TRUE(Parse(raw.Build()).ok());
}

TEST(GgufLyingFileTest, MagicAndVersion) {
  RawFile raw;
  raw.magic = "GGML";
  ExpectError(raw, {"not a GGUF file", "GGML"});
  EXPECT_FALSE(Parse({'G', 'G'}).ok());
  EXPECT_FALSE(Parse({}).ok());
  raw = RawFile();
  raw.version = 1;
  ExpectError(raw, {"version 1", "byte 4"}, StatusCode::kUnsupported);
  raw.version = 4;
  ExpectError(raw, {"version 4"}, StatusCode::kUnsupported);
  raw.version = 0x03000000;
  ExpectError(raw, {"big-endian"}, StatusCode::kUnsupported);
}

TEST(GgufLyingFileTest, EveryTruncationIsAnError) {
  const std::vector<uint8_t> full = RawFile().Build();
  auto f = GgufFile::FromBuffer(full);
  ASSERT_TRUE(f.ok());
  // Only the last tensor's trailing padding may be missing (llama.cpp's rule).
  const GgufTensorInfo& last = (*f)->tensors().back();
  const uint64_t needed = (*f)->data_offset() + last.offset + last.nbytes;
  for (uint64_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    Status s = Parse(cut);
    if (n < needed) {
      ASSERT_FALSE(s.ok()) << "prefix of " << n << " bytes accepted";
      EXPECT_THAT(s.message(), HasSubstr("byte")) << s.message();
    } else {
      EXPECT_TRUE(s.ok()) << n << ": " << s.message();
    }
  }
  std::vector<uint8_t> cut(full.begin(), full.begin() + needed - 1);
  EXPECT_THAT(Parse(cut).message(),
              HasSubstr("tensor c ends at byte " + std::to_string(needed) + ", file has " +
                        std::to_string(needed - 1)));
}

TEST(GgufLyingFileTest, CountsLargerThanTheFile) {
  RawFile raw;
  raw.n_kv = uint64_t{1} << 62;
  ExpectError(raw, {"metadata pairs", "byte 16"}, StatusCode::kDataLoss);
  raw.n_kv = uint64_t{1} << 63;  // negative when read as llama.cpp does
  ExpectError(raw, {"metadata pairs"});
  raw = RawFile();
  raw.n_tensors = ~uint64_t{0};
  ExpectError(raw, {"tensors", "byte 8"});
  raw.n_tensors = 1000;  // fits the 14-byte check of the header, not the tensor infos
  ExpectError(raw, {"1000 tensors"});
  raw = RawFile();
  raw.n_kv = 4;  // one more pair than present: reads tensor infos as a KV and fails
  EXPECT_FALSE(Parse(raw.Build()).ok());
  raw.n_kv = 2;  // one fewer: the third KV is read as a tensor info
  EXPECT_FALSE(Parse(raw.Build()).ok());
}

TEST(GgufLyingFileTest, StringAndArrayLengths) {
  RawFile raw;
  raw.kvs[0].payload = Le<uint64_t>(uint64_t{1} << 40) + "test";
  ExpectError(raw, {"key general.architecture", "string value", "length 1099511627776"});
  raw.kvs[0].payload = Le<uint64_t>(~uint64_t{0}) + "test";
  ExpectError(raw, {"general.architecture"});
  raw = RawFile();
  raw.kvs[0].key = "";
  ExpectError(raw, {"empty key", "byte 24"});
  raw = RawFile();
  raw.kvs[2].payload = Le<uint32_t>(5) + Le<uint64_t>(uint64_t{1} << 31);
  ExpectError(raw, {"key test.list", "2147483648 elements", "limit"});
  raw.kvs[2].payload = Le<uint32_t>(5) + Le<uint64_t>(100000);
  ExpectError(raw, {"key test.list", "100000 elements of type i32"});
  raw.kvs[2].payload = Le<uint32_t>(8) + Le<uint64_t>(100000) + Str("x");
  ExpectError(raw, {"key test.list", "elements of type string"});
  raw.kvs[2].payload = Le<uint32_t>(8) + Le<uint64_t>(2) + Str("x") + Le<uint64_t>(999999) + "y";
  ExpectError(raw, {"key test.list", "array string", "element 1 of 2"});
  // A key whose length runs over the end of the file.
  std::string cut = std::string("GGUF") + Le<uint32_t>(3) + Le<uint64_t>(0) + Le<uint64_t>(1) +
                    Le<uint64_t>(20) + "general.ar";
  EXPECT_THAT(Parse(std::vector<uint8_t>(cut.begin(), cut.end())).message(),
              HasSubstr("metadata pair #0: key at byte 24 has length 20 but only 10 bytes remain"));
}

TEST(GgufLyingFileTest, ValueTypes) {
  RawFile raw;
  raw.kvs[1].type = 13;
  ExpectError(raw, {"key test.count", "unknown value type 13"});
  raw.kvs[1].type = 0xFFFFFFFF;
  ExpectError(raw, {"key test.count", "unknown value type"});
  raw = RawFile();
  raw.kvs[2].payload = Le<uint32_t>(9) + Le<uint64_t>(1) + Le<uint32_t>(4) + Le<uint64_t>(0);
  ExpectError(raw, {"key test.list", "nested arrays"});
  raw.kvs[2].payload = Le<uint32_t>(77) + Le<uint64_t>(0);
  ExpectError(raw, {"key test.list", "unknown element type 77"});
  raw = RawFile();
  raw.kvs[1].type = 10;  // u64 payload, but only 4 bytes given: the next key is misread
  EXPECT_FALSE(Parse(raw.Build()).ok());

  // Every scalar type decodes.
  raw = RawFile();
  raw.kvs = {{"k.u8", 0, Le<uint8_t>(200)},    {"k.i8", 1, Le<int8_t>(-3)},
             {"k.u16", 2, Le<uint16_t>(60000)}, {"k.i16", 3, Le<int16_t>(-300)},
             {"k.u32", 4, Le<uint32_t>(7)},     {"k.i32", 5, Le<int32_t>(-70000)},
             {"k.f32", 6, Le<float>(1.5f)},     {"k.bool", 7, Le<uint8_t>(2)},
             {"k.str", 8, Str("s")},            {"k.u64", 10, Le<uint64_t>(1ull << 50)},
             {"k.i64", 11, Le<int64_t>(-5)},    {"k.f64", 12, Le<double>(2.25)},
             {"k.u8s", 9, Le<uint32_t>(0) + Le<uint64_t>(3) + "\x01\x02\xff"},
             {"k.f64s", 9, Le<uint32_t>(12) + Le<uint64_t>(1) + Le<double>(-0.5)},
             {"k.bools", 9, Le<uint32_t>(7) + Le<uint64_t>(2) + std::string("\x00\x01", 2)}};
  const std::vector<uint8_t> bytes = raw.Build();  // the reader keeps views into it
  auto f = GgufFile::FromBuffer(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.FindKv("k.u8")->value.u, 200u);
  EXPECT_EQ(g.FindKv("k.i8")->value.i, -3);
  EXPECT_EQ(g.FindKv("k.u16")->value.u, 60000u);
  EXPECT_EQ(g.FindKv("k.i16")->value.i, -300);
  EXPECT_EQ(g.FindKv("k.i32")->value.i, -70000);
  EXPECT_EQ(g.FindKv("k.f32")->value.f, 1.5);
  EXPECT_TRUE(g.GetBool("k.bool").value());  // llama.cpp: any non-zero byte is true
  EXPECT_EQ(g.FindKv("k.u64")->value.u, 1ull << 50);
  EXPECT_EQ(g.FindKv("k.i64")->value.i, -5);
  EXPECT_EQ(g.FindKv("k.f64")->value.f, 2.25);
  EXPECT_EQ(g.FindKv("k.u8s")->value.AsI32Array(), (std::vector<int32_t>{1, 2, 255}));
  EXPECT_EQ(g.FindKv("k.f64s")->value.AsF32Array(), (std::vector<float>{-0.5f}));
  EXPECT_EQ(g.FindKv("k.bools")->value.AsI32Array(), (std::vector<int32_t>{0, 1}));
  for (GgufValueType t : {GgufValueType::kU8, GgufValueType::kString, GgufValueType::kF64}) {
    EXPECT_NE(GgufValueTypeName(t), "unknown");
  }
}

TEST(GgufLyingFileTest, DuplicateKeysAndAlignment) {
  RawFile raw;
  raw.kvs.push_back({"test.count", 4, Le<uint32_t>(8)});
  ExpectError(raw, {"duplicate key test.count", "byte"});
  raw = RawFile();
  raw.kvs.push_back({"general.alignment", 10, Le<uint64_t>(32)});
  ExpectError(raw, {"general.alignment", "has type u64, expected u32"});
  raw.kvs.back() = {"general.alignment", 4, Le<uint32_t>(0)};
  ExpectError(raw, {"general.alignment", "is 0, not a non-zero power of two"});
  raw.kvs.back() = {"general.alignment", 4, Le<uint32_t>(48)};
  ExpectError(raw, {"is 48"});
  // A valid non-default alignment changes the layout both ways.
  raw.kvs.back() = {"general.alignment", 4, Le<uint32_t>(64)};
  raw.alignment = 64;
  const std::vector<uint8_t> bytes = raw.Build();  // the reader keeps views into it
  auto f = GgufFile::FromBuffer(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ((*f)->tensors()[1].offset, 64u);
  EXPECT_EQ((*f)->tensors()[2].offset, 192u);
  // A 32-aligned layout under a 64 key: the data section starts later than written.
  raw.alignment = 32;
  ExpectError(raw, {"tensor c ends at byte", "file has"});
  // A 64-aligned layout whose offsets assumed 32.
  raw.alignment = 64;
  raw.tensors[2].offset = 224;  // 64 + pad(136, 32)
  raw.tensors[1].ne = {32, 4};
  raw.tensors[1].data_len = 136;
  ExpectError(raw, {"tensor c has data offset 224, expected 256"});
}

TEST(GgufLyingFileTest, TensorNamesAndDimensions) {
  RawFile raw;
  raw.tensors[1].name = "a";
  ExpectError(raw, {"duplicate tensor name a", "record at byte"});
  raw = RawFile();
  raw.tensors[0].name = std::string(64, 'n');
  ExpectError(raw, {"name is 64 bytes", "limit is 63"});
  raw.tensors[0].name = std::string(63, 'n');
  EXPECT_TRUE(Parse(raw.Build()).ok());
  raw = RawFile();
  raw.tensors[0].ne = {8, 2, 1, 1, 1};
  ExpectError(raw, {"tensor a", "has 5 dimensions, at most 4"});
  raw.tensors[0].n_dims = 0xFFFFFFFF;
  raw.tensors[0].ne = {8, 2};
  ExpectError(raw, {"tensor a", "dimensions"});
  raw = RawFile();
  raw.tensors[0].ne = {uint64_t{1} << 63, 1};
  raw.tensors[0].data_len = 0;
  ExpectError(raw, {"tensor a", "dimension 0", "larger than 2^63-1"});
  raw.tensors[0].ne = {uint64_t{1} << 32, uint64_t{1} << 32};
  ExpectError(raw, {"tensor a", "[4294967296, 4294967296]", "overflows a 64-bit element count"});
  raw.tensors[0].ne = {uint64_t{1} << 31, uint64_t{1} << 31, 2};  // 2^63 elements
  ExpectError(raw, {"overflows a 64-bit element count"});
  raw.tensors[0].ne = {uint64_t{1} << 31, uint64_t{1} << 30, 2};  // 2^62 f32: 2^64 bytes
  ExpectError(raw, {"overflows a 64-bit byte count"});
  raw.tensors[0].ne = {uint64_t{1} << 20, uint64_t{1} << 20};  // fits, but not in the file
  ExpectError(raw, {"tensor a ends at byte", "file has"});
  // Zero-sized tensors pass the GGUF layer (llama.cpp parity).
  raw = RawFile();
  raw.tensors[0].ne = {0, 2};
  EXPECT_TRUE(Parse(raw.Build()).ok());
}

TEST(GgufLyingFileTest, TensorTypes) {
  RawFile raw;
  raw.tensors[1].type = 16;
  raw.tensors[1].data_len = 66;
  ExpectError(raw, {"tensor b", "type id 16 (iq2_xxs)", "not supported"},
              StatusCode::kUnsupported);
  raw.tensors[1].type = 4;  // removed Q4_2
  ExpectError(raw, {"type id 4 (q4_2)"});
  raw.tensors[1].type = 1000;
  ExpectError(raw, {"type id 1000 (unknown)"});
  raw = RawFile();
  raw.tensors[1].ne = {33, 3};
  raw.tensors[1].data_len = 102;
  ExpectError(raw, {"tensor b", "row length 33", "q8_0 block size 32"});
  raw = RawFile();
  raw.tensors[1].type = 12;  // q4_K needs rows of 256
  ExpectError(raw, {"row length 32", "q4_K block size 256"});
}

TEST(GgufLyingFileTest, Offsets) {
  RawFile raw;
  raw.tensors[0].offset = 32;
  ExpectError(raw, {"tensor a has data offset 32, expected 0", "(record at byte "});
  raw = RawFile();
  raw.tensors[2].offset = 96;  // overlaps b
  ExpectError(raw, {"tensor c has data offset 96, expected 192"});
  raw.tensors[2].offset = 200;  // a gap, and not aligned
  ExpectError(raw, {"tensor c has data offset 200"});
  raw.tensors[2].offset = ~uint64_t{0} - 8;
  ExpectError(raw, {"tensor c"});
  raw = RawFile();
  raw.tensors[0].data_len = 0;  // the data of later tensors shifts down: file is short
  raw.tensors[2].data_len = 0;
  EXPECT_FALSE(Parse(raw.Build()).ok());
}

// Random bit flips in the header region of real files must never crash or read out of
// bounds (ASan build), whatever the reader decides.
TEST(GgufLyingFileTest, RandomBitFlipsNeverCrash) {
  std::mt19937_64 rng(12345);
  for (const char* name : {"moondream2-tiny-mmproj-f32.gguf", "moondream2-tiny-text-q4_k_m.gguf"}) {
    std::vector<uint8_t> bytes = test::ReadFileBytes(Fixture(name));
    auto good = GgufFile::FromBuffer(bytes);
    ASSERT_TRUE(good.ok());
    const uint64_t region = (*good)->data_offset();
    good = Status(StatusCode::kInternal, "released");
    int accepted = 0, rejected = 0;
    for (int iter = 0; iter < 1500; ++iter) {
      const int flips = 1 + static_cast<int>(rng() % 3);
      std::vector<std::pair<size_t, uint8_t>> undo;
      for (int k = 0; k < flips; ++k) {
        size_t pos = rng() % region;
        undo.push_back({pos, bytes[pos]});
        bytes[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
      }
      auto f = GgufFile::FromBuffer(bytes, "flip.gguf");
      if (f.ok()) {
        TouchEverything(**f);
        ++accepted;
      } else {
        EXPECT_FALSE(f.status().message().empty());
        ++rejected;
      }
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) bytes[it->first] = it->second;
    }
    // Flips in names and values are accepted; flips in lengths and counts are caught.
    EXPECT_GT(accepted, 0) << name;
    EXPECT_GT(rejected, 0) << name;
  }
}

TEST(GgufOpenTest, MissingFileAndDirectory) {
  auto f = GgufFile::Open("/nonexistent/model.gguf");
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(f.status().message(), HasSubstr("/nonexistent/model.gguf"));
  EXPECT_FALSE(GgufFile::Open(TempDir()).ok());
  auto empty_path = TempPath("empty.gguf");
  { std::ofstream(empty_path).flush(); }
  auto e = GgufFile::Open(empty_path);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr(empty_path + ": not a GGUF file"));
}

}  // namespace
}  // namespace md
