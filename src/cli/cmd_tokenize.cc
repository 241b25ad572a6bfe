// `moondream tokenize --model FILE [--parse-special] [--decode] [--pre auto|llama-compat]`
//
// Reads one input per line on stdin and writes one JSON line per input:
//   encode: a JSON string, or {"hex": "..."} for bytes that are not valid UTF-8
//           -> a JSON array of token ids
//   decode: a JSON array of ids -> {"text": ..., "hex": ...}; `hex` is the exact bytes
//           (llama_detokenize's, clean-up included), `text` the same with any invalid
//           UTF-8 shown as U+FFFD.
// A line that cannot be read gives {"error": ...} (the output stays line-aligned) and
// the exit status 1. Works on a vocabulary-only GGUF.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace md::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  bool parse_special = false;
  bool decode = false;
  std::string pre = "auto";
};

using nlohmann::json;

std::string ToHex(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 15]);
  }
  return out;
}

bool FromHex(const std::string& hex, std::string* out, std::string* error) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) {
    *error = "\"hex\" has an odd number of digits";
    return false;
  }
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      *error = "\"hex\" has a non-hex character at offset " + std::to_string(hi < 0 ? i : i + 1);
      return false;
    }
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// One input line -> the output line, or an error message.
bool EncodeLine(const Tokenizer& tok, const std::string& line, bool parse_special, std::string* out,
                std::string* error) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  std::string bytes;
  if (j.is_string()) {
    bytes = j.get<std::string>();
  } else if (j.is_object() && j.size() == 1 && j.contains("hex") && j["hex"].is_string()) {
    if (!FromHex(j["hex"].get<std::string>(), &bytes, error)) return false;
  } else {
    *error = "expected a JSON string or {\"hex\": \"...\"}";
    return false;
  }
  *out = json(tok.Encode(bytes, parse_special)).dump();
  return true;
}

bool DecodeLine(const Tokenizer& tok, const std::string& line, std::string* out,
                std::string* error) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    *error = "expected a JSON array of token ids";
    return false;
  }
  std::vector<int32_t> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& v = j[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= tok.n_tokens()) {
      *error = "element " + std::to_string(i) + " is not a token id in 0.." +
               std::to_string(tok.n_tokens() - 1);
      return false;
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  const std::string bytes = tok.Decode(ids, /*render_special=*/true);
  nlohmann::ordered_json o;
  o["text"] = bytes;
  o["hex"] = ToHex(bytes);
  *out = o.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return true;
}

int Run(const TokenizeArgs& a) {
  PretokenizerMode mode;
  if (a.pre == "auto") {
    mode = PretokenizerMode::kAuto;
  } else if (a.pre == "llama-compat") {
    mode = PretokenizerMode::kLlamaCompat;
  } else {
    return Fail("--pre must be auto or llama-compat, not \"" + a.pre + "\"");
  }
  auto file = GgufFile::Open(a.model);
  if (!file.ok()) return Fail(file.status().ToString());
  auto tok = Tokenizer::FromGguf(**file, mode);
  if (!tok.ok()) return Fail(tok.status().ToString());

  std::ios::sync_with_stdio(false);
  int status = 0;
  std::string line, out, error;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const bool ok = a.decode ? DecodeLine(**tok, line, &out, &error)
                             : EncodeLine(**tok, line, a.parse_special, &out, &error);
    if (!ok) {
      std::fprintf(stderr, "error: line %zu: %s\n", line_no, error.c_str());
      out = json({{"error", "line " + std::to_string(line_no) + ": " + error}}).dump();
      status = 1;
    }
    std::cout << out << '\n';
  }
  std::cout.flush();
  return status;
}

const CommandRegistration kRegistration("tokenize", 80, [](CLI::App& app) -> RunFn {
  auto args = std::make_shared<TokenizeArgs>();
  app.description(
      "Tokenize stdin lines (JSON strings or {\"hex\": ...}) into JSON id arrays, or with "
      "--decode turn id arrays back into {\"text\", \"hex\"}");
  app.add_option("--model", args->model, "GGUF file with the tokenizer (model or vocab-only)")
      ->required();
  app.add_flag("--parse-special", args->parse_special,
               "template text: special tokens such as <|endoftext|> written in the text "
               "become their ids (default: user text, they stay ordinary text)");
  app.add_flag("--decode", args->decode, "read arrays of ids and write the text");
  app.add_option("--pre", args->pre,
                 "pre-tokenizer for files without tokenizer.ggml.pre: auto (GPT-2 rules, "
                 "as the model was trained) or llama-compat (llama.cpp's fallback)")
      ->check(CLI::IsMember({"auto", "llama-compat"}));
  return [args] { return Run(*args); };
});

}  // namespace
}  // namespace md::cli
