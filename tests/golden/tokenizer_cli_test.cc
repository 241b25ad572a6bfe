// `moondream tokenize` against the goldens: every case through the CLI in both modes
// (as {"hex": ...} lines), --decode, --pre llama-compat, and bad lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace md {
namespace {

using nlohmann::json;

std::vector<json> ReadJsonl(const std::string& relative) {
  std::ifstream in(test::TestData(relative));
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// The stdin file of the CLI runs (removed by the test environment at the end).
class InputFile : public ::testing::Environment {
 public:
  static std::string path() {
    static const std::string p = [] {
      std::string tmpl = "/tmp/md_tokenize_cli_XXXXXX";
      const int fd = ::mkstemp(tmpl.data());
      if (fd >= 0) ::close(fd);
      return tmpl;
    }();
    return p;
  }
  void TearDown() override { std::remove(path().c_str()); }
};
const auto* const kInputEnv = ::testing::AddGlobalTestEnvironment(new InputFile);

// Runs the CLI with `input` on stdin; returns its exit status and stdout lines.
int RunTokenize(const std::string& args, const std::string& input, std::vector<std::string>* out) {
  const std::string in_path = InputFile::path();
  std::ofstream(in_path, std::ios::trunc) << input;
  std::string stdout_text;
  const int rc = test::RunCommand(
      test::MoondreamBinary() + " tokenize " + args + " < " + in_path + " 2>/dev/null",
      &stdout_text);
  *out = Lines(stdout_text);
  return rc;
}

std::string Model(const char* name) {
  return "--model " + test::TestData(std::string("fixtures/") + name);
}

void CheckEncode(const std::string& args, const std::string& golden, const char* field) {
  const auto cases = ReadJsonl(golden);
  std::string input;
  for (const json& g : cases) input += json({{"hex", g["bytes_hex"]}}).dump() + "\n";
  std::vector<std::string> out;
  ASSERT_EQ(RunTokenize(args, input, &out), 0) << args;
  ASSERT_EQ(out.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(json::parse(out[i]), cases[i][field])
        << golden << " id " << cases[i]["id"] << " " << args;
  }
}

TEST(TokenizeCli, EncodesEveryGoldenCaseBothModes) {
  CheckEncode(Model("tokenizer-moondream2.gguf"), "golden/tokenizer/moondream2.jsonl", "ids");
  CheckEncode(Model("tokenizer-moondream2.gguf") + " --parse-special",
              "golden/tokenizer/moondream2.jsonl", "ids_parse_special");
}

TEST(TokenizeCli, KeylessFileDefaultAndLlamaCompat) {
  CheckEncode(Model("tokenizer-moondream2-nopre.gguf"), "golden/tokenizer/moondream2.jsonl", "ids");
  CheckEncode(Model("tokenizer-moondream2-nopre.gguf") + " --pre llama-compat",
              "golden/tokenizer/moondream2-nopre-llamacpp.jsonl", "ids");
  CheckEncode(Model("tokenizer-moondream2-nopre.gguf") + " --pre llama-compat --parse-special",
              "golden/tokenizer/moondream2-nopre-llamacpp.jsonl", "ids_parse_special");
}

TEST(TokenizeCli, DecodeGivesDetokHex) {
  const auto cases = ReadJsonl("golden/tokenizer/moondream2.jsonl");
  std::string input;
  for (const json& g : cases) input += g["ids"].dump() + "\n";
  std::vector<std::string> out;
  ASSERT_EQ(RunTokenize(Model("tokenizer-moondream2.gguf") + " --decode", input, &out), 0);
  ASSERT_EQ(out.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const json o = json::parse(out[i]);
    EXPECT_EQ(o["hex"], cases[i]["detok_hex"]) << "id " << cases[i]["id"];
    ASSERT_TRUE(o["text"].is_string());
    if (cases[i]["text"].is_string() && cases[i]["roundtrip_exact"].get<bool>()) {
      EXPECT_EQ(o["text"], cases[i]["text"]);
    }
  }
}

TEST(TokenizeCli, PlainJsonStringsAndBadLines) {
  std::vector<std::string> out;
  const std::string input =
      "\"Hello world\"\n"
      "not json\n"
      "{\"hex\": \"6x\"}\n"
      "\"<|endoftext|>\"\n";
  EXPECT_EQ(RunTokenize(Model("tokenizer-moondream2.gguf"), input, &out), 1);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(json::parse(out[0]), json({15496, 995}));
  EXPECT_TRUE(json::parse(out[1]).contains("error"));
  EXPECT_TRUE(json::parse(out[2]).contains("error"));
  EXPECT_EQ(json::parse(out[3]), json({27, 91, 437, 1659, 5239, 91, 29}));

  EXPECT_EQ(RunTokenize(Model("tokenizer-moondream2.gguf") + " --decode",
                        "[1, -3]\n[51200]\n\"x\"\n", &out),
            1);
  ASSERT_EQ(out.size(), 3u);
  for (const auto& line : out) EXPECT_TRUE(json::parse(line).contains("error")) << line;

  // A file that is not there, and a bad --pre value, fail cleanly.
  EXPECT_NE(RunTokenize("--model /nonexistent.gguf", "\"x\"\n", &out), 0);
  EXPECT_NE(RunTokenize(Model("tokenizer-moondream2.gguf") + " --pre bogus", "\"x\"\n", &out), 0);
}

}  // namespace
}  // namespace md
