// Encode throughput of the tokenizer on one thread, 1 MB each of English prose, code
// and Chinese (generated here, deterministically), plus inputs that would expose
// quadratic behaviour: one 1 MB word, 100k spaces, 1 MB of digits.
//
//   build/tokenizer_bench [--benchmark_filter=...]
// Reports bytes_per_second (MB/s = 1e6 bytes/s as Google Benchmark prints "M/s" in
// 2^20 units; both are shown). Target (issue 4): >= 20 MB/s on prose.
// "cold" runs use a fresh tokenizer per iteration, so the word cache starts empty.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace md {
namespace {

constexpr size_t kTargetBytes = 1 << 20;

struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  // Roughly Zipf: small indices are much more likely.
  size_t Zipf(size_t n) {
    const double u = static_cast<double>(Next() % 1000000) / 1000000.0;
    return static_cast<size_t>(static_cast<double>(n) * u * u * u) % n;
  }
};

const char* const kCommonWords[] = {
    "the",        "of",         "and",        "to",       "a",         "in",      "is",
    "it",         "that",       "was",        "for",      "on",        "are",     "with",
    "as",         "his",        "they",       "be",       "at",        "one",     "have",
    "this",       "from",       "by",         "hot",      "word",      "but",     "what",
    "some",       "we",         "can",        "out",      "other",     "were",    "all",
    "there",      "when",       "up",         "use",      "your",      "how",     "said",
    "an",         "each",       "she",        "which",    "do",        "their",   "time",
    "if",         "will",       "way",        "about",    "many",      "then",    "them",
    "write",      "would",      "like",       "so",       "these",     "her",     "long",
    "make",       "thing",      "see",        "him",      "two",       "has",     "look",
    "more",       "day",        "could",      "go",       "come",      "did",     "number",
    "sound",      "no",         "most",       "people",   "my",        "over",    "know",
    "water",      "than",       "call",       "first",    "who",       "may",     "down",
    "side",       "been",       "now",        "find",     "picture",   "image",   "shows",
    "photograph", "window",     "light",      "morning",  "table",     "yellow",  "green",
    "building",   "street",     "mountain",   "river",    "children",  "playing", "standing",
    "wearing",    "background", "foreground", "colorful", "beautiful", "wooden",  "landscape",
    "sky",        "clouds",
};
const char* const kSyllables[] = {"con",  "ter", "ing", "pro", "ver", "ment", "al",
                                  "tion", "re",  "de",  "com", "ex",  "ble",  "ous",
                                  "ly",   "ar",  "an",  "im",  "ic",  "ate",  "ful",
                                  "ness", "sub", "tra", "mo",  "lu",  "vi",   "qua"};

std::string MakeProse() {
  Rng r{0x9E3779B97F4A7C15ull};
  std::string out;
  while (out.size() < kTargetBytes) {
    const size_t words = 6 + r.Below(18);
    for (size_t w = 0; w < words; ++w) {
      std::string word;
      if (r.Below(10) == 0) {  // a rarer, made-up word
        for (size_t k = 0, n = 2 + r.Below(3); k < n; ++k) word += kSyllables[r.Below(28)];
      } else if (r.Below(40) == 0) {
        word = std::to_string(r.Below(3000));
      } else {
        word = kCommonWords[r.Zipf(sizeof(kCommonWords) / sizeof(kCommonWords[0]))];
      }
      if (w == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      if (w > 0) out += ' ';
      out += word;
      if (w + 1 < words && r.Below(9) == 0) out += ',';
    }
    out += r.Below(8) == 0 ? "?" : ".";
    out += r.Below(6) == 0 ? "\n\n" : " ";
  }
  return out;
}

std::string MakeCode() {
  Rng r{12345};
  const char* const idents[] = {"count",  "index", "buffer", "size",    "result", "value", "node",
                                "left",   "right", "data",   "offset",  "tokens", "image", "width",
                                "height", "scale", "pixels", "weights", "bias",   "output"};
  const char* const types[] = {"int", "float", "size_t", "auto", "std::string", "uint8_t"};
  std::string out;
  int fn = 0;
  while (out.size() < kTargetBytes) {
    out += "// Computes the " + std::string(idents[r.Below(20)]) + " of the " +
           idents[r.Below(20)] + " (see issue " + std::to_string(r.Below(500)) + ").\n";
    out += std::string(types[r.Below(6)]) + " Function" + std::to_string(fn++) + "(const " +
           types[r.Below(6)] + "& " + idents[r.Below(20)] + ", int " + idents[r.Below(20)] +
           ") {\n";
    for (size_t k = 0, n = 3 + r.Below(8); k < n; ++k) {
      const std::string indent(4 * (1 + r.Below(3)), ' ');
      switch (r.Below(4)) {
        case 0:
          out += indent + "for (int i = 0; i < " + idents[r.Below(20)] + ".size(); ++i) {\n";
          break;
        case 1:
          out += indent + idents[r.Below(20)] + " += " + idents[r.Below(20)] + "[i] * " +
                 std::to_string(r.Below(100)) + ";\n";
          break;
        case 2:
          out += indent + "if (" + idents[r.Below(20)] + " == nullptr) return " +
                 std::to_string(r.Below(10)) + ";\n";
          break;
        default:
          out += indent + "}\n";
      }
    }
    out += "    return " + std::string(idents[r.Below(20)]) + ";\n}\n\n";
  }
  return out;
}

std::string MakeChinese() {
  // Common characters and punctuation (UTF-8).
  const std::string chars =
      "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对"
      "着"
      "事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又"
      "定见"
      "只主没公从图片中有一只猫坐在窗台上阳光照进房间里桌子旁边放着一本书";
  std::vector<std::string> cps;
  for (size_t i = 0; i < chars.size();) {
    const unsigned char c = static_cast<unsigned char>(chars[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    cps.push_back(chars.substr(i, len));
    i += len;
  }
  Rng r{777};
  std::string out;
  while (out.size() < kTargetBytes) {
    for (size_t k = 0, n = 8 + r.Below(30); k < n; ++k) out += cps[r.Zipf(cps.size())];
    out += r.Below(4) == 0 ? "。" : "，";
    if (r.Below(10) == 0) out += "\n";
  }
  return out;
}

std::unique_ptr<Tokenizer> LoadTokenizer() {
  const std::string path =
      std::string(MD_SOURCE_DIR) + "/testdata/fixtures/tokenizer-moondream2.gguf";
  auto file = GgufFile::Open(path);
  if (!file.ok()) {
    std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
    std::abort();
  }
  auto tok = Tokenizer::FromGguf(**file);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
    std::abort();
  }
  return std::move(*tok);
}

const Tokenizer& SharedTokenizer() {
  static const std::unique_ptr<Tokenizer> tok = LoadTokenizer();
  return *tok;
}

void RunEncode(benchmark::State& state, const std::string& text, bool cold) {
  size_t tokens = 0;
  std::unique_ptr<Tokenizer> fresh;
  for (auto _ : state) {
    const Tokenizer* tok = &SharedTokenizer();
    if (cold) {
      state.PauseTiming();
      fresh = LoadTokenizer();
      state.ResumeTiming();
      tok = fresh.get();
    }
    const std::vector<int32_t> ids = tok->Encode(text, false);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["MB_per_s"] = benchmark::Counter(static_cast<double>(text.size()) / 1e6,
                                                  benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes_per_token"] =
      static_cast<double>(text.size()) / static_cast<double>(tokens);
}

void BM_EncodeProse(benchmark::State& s) {
  static const std::string t = MakeProse();
  RunEncode(s, t, false);
}
void BM_EncodeProseCold(benchmark::State& s) {
  static const std::string t = MakeProse();
  RunEncode(s, t, true);
}
void BM_EncodeCode(benchmark::State& s) {
  static const std::string t = MakeCode();
  RunEncode(s, t, false);
}
void BM_EncodeChinese(benchmark::State& s) {
  static const std::string t = MakeChinese();
  RunEncode(s, t, false);
}
void BM_EncodeOneLongWord(benchmark::State& s) {
  static const std::string t(kTargetBytes, 'a');
  RunEncode(s, t, false);
}
void BM_Encode100kSpaces(benchmark::State& s) {
  static const std::string t = "x" + std::string(100000, ' ') + "y";
  RunEncode(s, t, false);
}
void BM_EncodeDigits(benchmark::State& s) {
  static const std::string t = [] {
    std::string d;
    for (size_t i = 0; i < kTargetBytes; ++i)
      d.push_back(static_cast<char>('0' + (i * 7 + i / 3) % 10));
    return d;
  }();
  RunEncode(s, t, false);
}

void BM_DecodeProse(benchmark::State& state) {
  static const std::string text = MakeProse();
  const Tokenizer& tok = SharedTokenizer();
  const std::vector<int32_t> ids = tok.Encode(text, false);
  for (auto _ : state) {
    std::string out = tok.Decode(ids);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK(BM_EncodeProse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeProseCold)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_EncodeCode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeChinese)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeOneLongWord)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Encode100kSpaces)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeDigits)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeProse)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace md

BENCHMARK_MAIN();
