#include "model/test_model.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>

#include "formats/gguf.h"
#include "model/tensor_table.h"
#include "ops/fp16.h"
#include "ops/thread_pool.h"

namespace md {
namespace {

// xoshiro256+ seeded through splitmix64: fast, and good enough for random weights.
uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& w : s_) w = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t result = s_[0] + s_[3];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = (s_[3] << 45) | (s_[3] >> 19);
    return result;
  }

 private:
  uint64_t s_[4];
};

uint64_t HashName(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return SplitMix(h);
}

// An approximately normal variate from one 64-bit draw: the sum of its four 16-bit
// quarters (Irwin-Hall), centred and scaled to unit variance. Tails stop at 3.46 sigma,
// which suits random weights well.
constexpr double kSumMean = 4 * 65535.0 / 2;
const double kSumStd = std::sqrt((65536.0 * 65536.0 - 1) / 3.0);

inline uint32_t QuarterSum(uint64_t r) {
  return static_cast<uint32_t>((r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) +
                               (r >> 48));
}

struct Distribution {
  double mean = 0;
  double std = 1;
};

// Weight scales: matrices N(0, gain^2 / fan_in) so each layer keeps its input's size,
// LayerNorm weights near 1, small biases.
Distribution ScaleFor(const TensorSpec& spec) {
  const std::string& n = spec.gguf_name;
  auto ends = [&](const char* suffix) {
    const size_t k = std::strlen(suffix);
    return n.size() >= k && n.compare(n.size() - k, k, suffix) == 0;
  };
  const bool one_d = spec.ne.size() == 1;
  if (one_d) {
    const bool norm = ends(".weight") && (n.find("norm") != std::string::npos ||
                                          n.find("ln") != std::string::npos);
    return norm ? Distribution{1.0, 0.1} : Distribution{0.0, 0.05};
  }
  if (n == "token_embd.weight") return {0.0, 1.0};
  if (n == "v.position_embd.weight") return {0.0, 0.3};
  double fan_in = static_cast<double>(spec.ne[0]);
  double gain = 1.0;
  if (n == "v.patch_embd.weight") {
    fan_in = static_cast<double>(spec.ne[0] * spec.ne[1] * spec.ne[2]);
    gain = 2.0;
  } else if (ends("attn_qkv.weight")) {
    gain = 1.2;
  } else if (ends("attn_q.weight") || ends("attn_k.weight")) {
    gain = 1.5;  // sharper attention than unit q.k
  } else if (ends("attn_output.weight") || ends("attn_out.weight")) {
    gain = 0.8;
  } else if (n == "output.weight") {
    gain = 3.0;  // logits spread over a few units
  } else if (n == "mm.2.weight") {
    gain = 1.5;
  }
  return {0.0, gain / std::sqrt(fan_in)};
}

constexpr int64_t kChunk = int64_t{1} << 20;  // elements per independently seeded chunk

// Fills `out` (n elements of F32 or F16) from the distribution; chunk k uses its own
// generator so the bytes do not depend on the thread count.
void FillRandom(std::span<uint8_t> out, TensorType type, int64_t n, Distribution d,
                uint64_t seed, ThreadPool& pool) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (type == TensorType::kF16) {
    // One table of 65536 F16 values: draw -> index -> value, no float math per element.
    std::vector<uint16_t> table(65536);
    for (int i = 0; i < 65536; ++i) {
      const double z = (4.0 * i + 1.5 - kSumMean) / kSumStd;
      table[i] = F32ToF16(static_cast<float>(d.mean + d.std * z));
    }
    auto* dst = reinterpret_cast<uint16_t*>(out.data());
    pool.ParallelFor(chunks, 1, [&](int64_t begin, int64_t end, int) {
      for (int64_t c = begin; c < end; ++c) {
        Rng rng(seed + static_cast<uint64_t>(c) * 0x9E3779B97F4A7C15ull);
        const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
        for (int64_t i = lo; i < hi; ++i) dst[i] = table[QuarterSum(rng.Next()) >> 2];
      }
    });
  } else {
    auto* dst = reinterpret_cast<float*>(out.data());
    const double scale = d.std / kSumStd;
    pool.ParallelFor(chunks, 1, [&](int64_t begin, int64_t end, int) {
      for (int64_t c = begin; c < end; ++c) {
        Rng rng(seed + static_cast<uint64_t>(c) * 0x9E3779B97F4A7C15ull);
        const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
        for (int64_t i = lo; i < hi; ++i) {
          dst[i] = static_cast<float>(d.mean + scale * (QuarterSum(rng.Next()) - kSumMean));
        }
      }
    });
  }
}

// Copies the vocabulary: the whole tokenizer for a 51200-token model, else GPT-2's first
// byte tokens and merges plus <|endoftext|> as the last id (the tiny fixture's scheme).
Status WriteTokenizer(const GgufFile& tok, int n_vocab, bool write_pre, GgufWriter& w) {
  MD_ASSIGN_OR_RETURN(std::vector<std::string_view> tokens,
                      tok.GetStringArray("tokenizer.ggml.tokens"));
  if (static_cast<size_t>(n_vocab) == tokens.size()) {
    for (const GgufKv& kv : tok.kvs()) {
      if (kv.key.substr(0, 10) != "tokenizer.") continue;
      if (!write_pre && kv.key == "tokenizer.ggml.pre") continue;
      w.CopyKv(kv);
    }
    return Status::Ok();
  }
  MD_ASSIGN_OR_RETURN(std::vector<std::string_view> merges,
                      tok.GetStringArray("tokenizer.ggml.merges"));
  const int n_merges = n_vocab - 1 - 256;
  if (n_merges < 0 || static_cast<size_t>(n_merges) > merges.size() || tokens.size() < 50257) {
    return InvalidArgument("cannot build a " + std::to_string(n_vocab) +
                           "-token vocabulary from " + tok.path());
  }
  std::vector<std::string> toks(tokens.begin(), tokens.begin() + n_vocab - 1);
  toks.emplace_back("<|endoftext|>");
  std::vector<int32_t> types(n_vocab, 1);
  types.back() = 3;
  const uint32_t eos = static_cast<uint32_t>(n_vocab - 1);
  w.SetString("tokenizer.ggml.model", "gpt2");
  if (write_pre) w.SetString("tokenizer.ggml.pre", "gpt-2");
  w.SetStringArray("tokenizer.ggml.tokens", std::move(toks));
  w.SetI32Array("tokenizer.ggml.token_type", std::move(types));
  w.SetStringArray("tokenizer.ggml.merges",
                   std::vector<std::string>(merges.begin(), merges.begin() + n_merges));
  w.SetU32("tokenizer.ggml.bos_token_id", eos);
  w.SetU32("tokenizer.ggml.eos_token_id", eos);
  w.SetU32("tokenizer.ggml.unknown_token_id", eos);
  w.SetBool("tokenizer.ggml.add_bos_token", false);
  return Status::Ok();
}

// Adds one tensor per spec, generated while the file is written.
void AddRandomTensors(const std::vector<TensorSpec>& specs, bool f16, uint64_t seed,
                      const std::string& copy_from, const std::string& copy_to,
                      ThreadPool& pool, GgufWriter& w) {
  for (const TensorSpec& spec : specs) {
    const TensorType type = f16 && spec.ne.size() >= 2 ? TensorType::kF16 : TensorType::kF32;
    std::vector<uint64_t> ne(spec.ne.begin(), spec.ne.end());
    int64_t n = 1;
    for (int64_t d : spec.ne) n *= d;
    // The copied block draws exactly what its source drew.
    std::string seed_name = spec.gguf_name;
    if (!copy_to.empty() && seed_name.rfind(copy_to, 0) == 0) {
      seed_name = copy_from + seed_name.substr(copy_to.size());
    }
    const uint64_t tensor_seed = HashName(seed_name, seed);
    const Distribution d = ScaleFor(spec);
    w.AddTensorFill(spec.gguf_name, type, ne,
                    [type, n, d, tensor_seed, &pool](std::span<uint8_t> out) {
                      FillRandom(out, type, n, d, tensor_seed, pool);
                      return Status::Ok();
                    });
  }
}

}  // namespace

StatusOr<TestModelSpec> TestModelPreset(const std::string& preset) {
  TestModelSpec s;
  s.name = preset;
  if (preset == "tiny") {
    s.text = TinyTextConfig();
    s.vision = TinyVisionConfig();
    s.f16_matrices = false;
    s.legacy_vision_layout = false;
  } else if (preset == "full") {
    s.text = Moondream2TextConfig();
    s.vision = Moondream2VisionConfig();
    s.f16_matrices = true;
    s.legacy_vision_layout = true;
  } else {
    return InvalidArgument("unknown preset \"" + preset + "\" (tiny or full)");
  }
  return s;
}

StatusOr<TestModelFiles> WriteTestModel(const TestModelSpec& spec, const std::string& out_dir,
                                        const TestModelOptions& options) {
  MD_RETURN_IF_ERROR(ValidateTextConfig(spec.text));
  MD_RETURN_IF_ERROR(ValidateVisionConfig(spec.vision));
  if (spec.vision.projection_dim != spec.text.n_embd) {
    return InvalidArgument("vision projection_dim must equal the text embedding_length");
  }
  MD_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> tok, GgufFile::Open(options.tokenizer_path));
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Internal("cannot create " + out_dir + ": " + ec.message());

  ThreadPool pool(options.threads);
  const std::string dtype = spec.f16_matrices ? "f16" : "f32";
  const uint32_t file_type = spec.f16_matrices ? 1 : 0;
  TestModelFiles files;
  files.text = out_dir + "/moondream2-" + spec.name + "-text-" + dtype + ".gguf";
  files.mmproj = out_dir + "/moondream2-" + spec.name + "-mmproj-" + dtype + ".gguf";

  {
    GgufWriter w;
    WriteTextConfig(spec.text, w);
    w.SetString("general.name", "moondream2-" + spec.name + "-random");
    w.SetU32("general.file_type", file_type);
    MD_RETURN_IF_ERROR(WriteTokenizer(*tok, spec.text.n_vocab, options.write_pre, w));
    AddRandomTensors(TextTensorSpecs(spec.text), spec.f16_matrices, options.seed, "", "", pool,
                     w);
    if (options.progress) {
      w.SetProgress([&](size_t a, size_t b, uint64_t c, uint64_t d) {
        options.progress(files.text, a, b, c, d);
      });
    }
    MD_RETURN_IF_ERROR(w.Write(files.text));
  }
  {
    GgufWriter w;
    WriteVisionConfig(spec.vision, w);
    w.SetString("general.name", "moondream2-" + spec.name + "-random-mmproj");
    w.SetString("general.description",
                "random-weight SigLIP-style vision tower + MLP projector (tests and benchmarks)");
    w.SetU32("general.file_type", file_type);
    TensorTableOptions o;
    o.vision_mlp_swapped = spec.legacy_vision_layout;
    o.vision_pos_3d = spec.legacy_vision_layout;
    std::string copy_from, copy_to;
    if (spec.legacy_vision_layout) {
      const int last = spec.vision.block_count - 1;
      copy_from = "v.blk." + std::to_string(last - 1) + ".";
      copy_to = "v.blk." + std::to_string(last) + ".";
    }
    AddRandomTensors(VisionTensorSpecs(spec.vision, o), spec.f16_matrices,
                     options.seed ^ 0x5EEDu, copy_from, copy_to, pool, w);
    if (options.progress) {
      w.SetProgress([&](size_t a, size_t b, uint64_t c, uint64_t d) {
        options.progress(files.mmproj, a, b, c, d);
      });
    }
    MD_RETURN_IF_ERROR(w.Write(files.mmproj));
  }
  return files;
}

}  // namespace md
