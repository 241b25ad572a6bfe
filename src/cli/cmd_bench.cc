// `moondream bench`: end-to-end speed on a model pair (meant for the full-size
// random-weight files of `make-test-model --preset full`): image encode, prefill of the
// picture prompt (BOS + 729 picture rows + question), decode with an empty context and
// after the picture, a follow-up question on the cached picture prefix, peak RSS, and
// memory bandwidth (STREAM triad and plain reads) that decode is compared with. Every phase reports wall time and CPU time (on a shared machine
// the second shows what the code does when it has the cores).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "common/cpu_info.h"
#include "model/generate.h"
#include "model/runtime.h"
#include "ops/cpu/dispatch.h"

namespace md::cli {
namespace {

struct BenchArgs {
  ModelArgs model;
  std::string image;
  int tokens = 32;
  bool json = false;
  int triad_mb = 256;
};

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Phase {
  double wall = 0, cpu = 0;
};
struct Timer {
  double w0 = Now(), c0 = CpuNow();
  Phase Stop() const { return {Now() - w0, CpuNow() - c0}; }
};

// Memory bandwidth with all threads, two ways, each the median of 7 passes (shared
// machines give occasional bursts; the median is what a sustained stream such as
// decode sees):
// - triad: a[i] = b[i] + s * c[i], bytes counted as STREAM does (3 arrays, no
//   write-allocate);
// - read: a sum over one array, the access pattern of decode (weights and the KV cache
//   are only read).
struct Bandwidth {
  double triad = 0, read = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Bandwidth MeasureBandwidth(ThreadPool& pool, size_t total_mb) {
  const size_t n = total_mb * (1u << 20) / 3 / sizeof(float);
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  const int64_t grain = 1 << 16;
  pool.ParallelFor(static_cast<int64_t>(n), grain, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; ++i) a[i] = 0.0f;
  });
  std::vector<double> triad, read;
  std::vector<uint64_t> sums(pool.size() * 8);
  for (int rep = 0; rep < 7; ++rep) {
    double t0 = Now();
    pool.ParallelFor(static_cast<int64_t>(n), grain, [&](int64_t i0, int64_t i1, int) {
      float* __restrict pa = a.data();
      const float* __restrict pb = b.data();
      const float* __restrict pc = c.data();
      for (int64_t i = i0; i < i1; ++i) pa[i] = pb[i] + 3.0f * pc[i];
    });
    triad.push_back(3.0 * n * sizeof(float) / (Now() - t0) / 1e9);
    // Reads b and c as 64-bit words (integer sums vectorise without reassociation).
    const size_t words = n * sizeof(float) / sizeof(uint64_t);
    t0 = Now();
    pool.ParallelFor(static_cast<int64_t>(words), grain / 2, [&](int64_t i0, int64_t i1, int t) {
      const uint64_t* pb = reinterpret_cast<const uint64_t*>(b.data());
      const uint64_t* pc = reinterpret_cast<const uint64_t*>(c.data());
      uint64_t s0 = 0, s1 = 0;
      for (int64_t i = i0; i < i1; ++i) {
        s0 += pb[i];
        s1 += pc[i];
      }
      sums[t * 8] += s0 ^ s1;
    });
    read.push_back(2.0 * n * sizeof(float) / (Now() - t0) / 1e9);
  }
  return {Median(triad), Median(read)};
}

double PeakRssMb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

int RunBench(const BenchArgs& a) {
  auto opts = ResolveModel(a.model, true);
  if (!opts.ok()) return Fail(opts.status().message());
  auto bytes = ReadWholeFile(a.image);
  if (!bytes.ok()) return Fail(bytes.status().message());
  std::fprintf(stderr, "loading %s + %s\n", opts->text_model_path.c_str(),
               opts->mmproj_path.c_str());
  Timer load_t;
  auto rt_or = Runtime::Load(*opts);
  if (!rt_or.ok()) return Fail(rt_or.status().message());
  const Phase load = load_t.Stop();
  Runtime& rt = **rt_or;
  const Tokenizer& tok = rt.tokenizer();
  const int threads = rt.pool().size();

  const Bandwidth bw = MeasureBandwidth(rt.pool(), a.triad_mb);
  std::fprintf(stderr, "memory: triad %.1f GB/s, read %.1f GB/s\n", bw.triad, bw.read);

  std::vector<float> logits(rt.text_config().n_vocab);
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_tokens = a.tokens + 1;  // the last sampled token is not fed
  greedy.ignore_eos = true;

  // 0. decode with an empty context (after BOS alone): the weights-only stream, what
  // llama-bench's tg figure measures.
  Phase dec0;
  int decoded0 = 0;
  {
    auto cache0 = rt.NewCache(rt.context_length());
    auto n0 = rt.Prefill({{{tok.bos_id() >= 0 ? tok.bos_id() : 0}, false}}, nullptr, *cache0, 0,
                         logits.data());
    if (!n0.ok()) return Fail(n0.status().message());
    int past = *n0;
    GenerateOutput out0;
    Timer t;
    Generate(rt, *cache0, &past, logits, greedy, GenerateOptions(), nullptr, nullptr, &out0);
    dec0 = t.Stop();
    decoded0 = out0.fed;
  }
  std::fprintf(stderr, "decode, empty context: %.1f tok/s\n", decoded0 / dec0.wall);

  // 1. picture -> embeddings
  Timer enc_t;
  PictureInfo info;
  auto embd = rt.EncodePicture(*bytes, ImageOptions(), &info);
  if (!embd.ok()) return Fail(embd.status().message());
  const Phase enc = enc_t.Stop();
  std::fprintf(stderr, "image encode %.0f ms\n", enc.wall * 1e3);

  // 2. prefill BOS + picture + question (model-gguf.md 4.1)
  std::vector<PromptItem> prefix;
  if (tok.bos_id() >= 0) prefix.push_back({{tok.bos_id()}, false});
  prefix.push_back({{}, true});
  std::vector<PromptItem> prompt = prefix;
  prompt.push_back({tok.Encode("\n\nQuestion: Describe this image.\n\nAnswer:", false), false});
  auto cache = rt.NewCache(rt.context_length());
  Timer pre_t;
  auto n_prompt = rt.Prefill(prompt, embd->data(), *cache, 0, logits.data());
  if (!n_prompt.ok()) return Fail(n_prompt.status().message());
  const Phase pre = pre_t.Stop();
  std::fprintf(stderr, "prefill %d positions %.0f ms\n", *n_prompt, pre.wall * 1e3);

  // 3. decode after the picture prompt
  int n_past = *n_prompt;
  GenerateOutput out;
  Timer dec_t;
  Generate(rt, *cache, &n_past, logits, greedy, GenerateOptions(), nullptr, nullptr, &out);
  const Phase dec = dec_t.Stop();
  const int decoded = out.fed;

  // 4. follow-up on the same picture: the prefix KV cache (BOS + picture) is kept, as
  // sessions do; only the question is prefilled.
  auto prefix_cache = rt.NewCache(731);
  auto pn = rt.Prefill(prefix, embd->data(), *prefix_cache, 0, logits.data());
  if (!pn.ok()) return Fail(pn.status().message());
  Timer reuse_t;
  auto session_cache = rt.NewCache(rt.context_length());
  session_cache->CopyPrefix(*prefix_cache, *pn);
  auto qn = rt.Prefill({{tok.Encode("\n\nQuestion: What colour is the sky?\n\nAnswer:", false),
                         false}},
                       nullptr, *session_cache, *pn, logits.data());
  if (!qn.ok()) return Fail(qn.status().message());
  const Phase reuse = reuse_t.Stop();
  const double fresh_first_token = enc.wall + pre.wall;

  const double rss = PeakRssMb();
  const double weights_mb =
      (rt.text_model().file->file_size() + rt.vision_model()->file->file_size()) / 1048576.0;
  // Bytes of weights read per decoded token (all matrices of the text model).
  double per_token_bytes = 0;
  for (const GgufTensorInfo& t : rt.text_model().file->tensors()) {
    if (std::string_view(t.name) != "token_embd.weight") per_token_bytes += t.nbytes;
  }
  // Decode after the picture also reads the cached keys and values of every earlier
  // position, every layer (on average the positions at the middle of the decode).
  const TextConfig& tc = rt.text_config();
  const double mid_positions = *n_prompt + decoded / 2.0;
  const double kv_bytes = 2.0 * mid_positions * tc.kv_dim() * tc.n_layer *
                          static_cast<double>(cache->elem_bytes());
  const double dec_tps = decoded / dec.wall;
  const double dec_tps_cpu = decoded / (dec.cpu / threads);
  const double dec_gbs = (per_token_bytes + kv_bytes) * dec_tps / 1e9;
  const double dec0_tps = decoded0 / dec0.wall;
  const double dec0_gbs = per_token_bytes * dec0_tps / 1e9;
  const double kv_mb = static_cast<double>(cache->memory_bytes()) / 1048576.0;

  nlohmann::json j;
  j["threads"] = threads;
  j["kernel_set"] = std::string(cpu::KernelSetName(cpu::ActiveKernelSet()));
  j["text_model"] = opts->text_model_path;
  j["mmproj"] = opts->mmproj_path;
  j["load_ms"] = load.wall * 1e3;
  j["image_encode_ms"] = enc.wall * 1e3;
  j["image_encode_cpu_ms_per_thread"] = enc.cpu / threads * 1e3;
  j["prefill_positions"] = *n_prompt;
  j["prefill_tokens_per_s"] = *n_prompt / pre.wall;
  j["prefill_tokens_per_cpu_s_per_thread"] = *n_prompt / (pre.cpu / threads);
  j["decode_empty_context_tokens_per_s"] = dec0_tps;
  j["decode_empty_context_gb_per_s"] = dec0_gbs;
  j["decode_tokens"] = decoded;
  j["decode_tokens_per_s"] = dec_tps;
  j["decode_tokens_per_cpu_s_per_thread"] = dec_tps_cpu;
  j["decode_gb_per_s"] = dec_gbs;
  j["triad_gb_per_s"] = bw.triad;
  j["read_gb_per_s"] = bw.read;
  j["decode_empty_context_fraction_of_triad"] = dec0_gbs / bw.triad;
  j["decode_fraction_of_triad"] = dec_gbs / bw.triad;
  j["first_token_fresh_ms"] = fresh_first_token * 1e3;
  j["follow_up_prefill_ms"] = reuse.wall * 1e3;
  j["follow_up_positions"] = *qn;
  j["session_reuse_saving_ms"] = (fresh_first_token - reuse.wall) * 1e3;
  j["peak_rss_mb"] = rss;
  j["weights_mb"] = weights_mb;
  j["kv_cache_reserved_mb"] = kv_mb;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("moondream bench: %d threads, kernels %s, CPU %s\n", threads,
              j["kernel_set"].get<std::string>().c_str(), CpuFeatureString().c_str());
  std::printf("  %-40s %10.0f ms   (CPU %.0f ms per thread)\n", "image encode (decode+vision+proj)",
              enc.wall * 1e3, enc.cpu / threads * 1e3);
  std::printf("  %-40s %10.1f tok/s (%d positions; per CPU-s %.1f)\n", "prefill (picture prompt)",
              *n_prompt / pre.wall, *n_prompt, *n_prompt / (pre.cpu / threads));
  std::printf("  %-40s %10.1f tok/s (%d tokens; %.1f GB/s of weights = %.0f%% of triad, %.0f%% of "
              "read)\n",
              "decode, empty context", dec0_tps, decoded0, dec0_gbs, 100 * dec0_gbs / bw.triad,
              100 * dec0_gbs / bw.read);
  std::printf("  %-40s %10.1f tok/s (%d tokens; per CPU-s %.1f; %.1f GB/s of weights + KV = %.0f%% "
              "of triad)\n",
              "decode after the picture prompt", dec_tps, decoded, dec_tps_cpu, dec_gbs,
              100 * dec_gbs / bw.triad);
  std::printf("  %-40s %10.1f GB/s triad, %.1f GB/s read (median of 7, all threads)\n",
              "memory bandwidth", bw.triad, bw.read);
  std::printf("  %-40s %10.0f ms -> %.0f ms with the cached picture prefix (saves %.0f ms)\n",
              "first answer token: fresh picture", fresh_first_token * 1e3, reuse.wall * 1e3,
              (fresh_first_token - reuse.wall) * 1e3);
  std::printf("  %-40s %10.0f MB (weights %.0f MB mmapped, KV reserved %.0f MB)\n", "peak RSS",
              rss, weights_mb, kv_mb);
  return 0;
}

CommandRegistration kBench("bench", 60, [](CLI::App& app) -> RunFn {
  auto a = std::make_shared<BenchArgs>();
  app.description(
      "Measure image encode, prefill, decode, follow-up reuse, peak RSS and memory bandwidth "
      "on a model pair (e.g. make-test-model --preset full)");
  AddModelOptions(app, a->model);
  app.add_option("--image", a->image, "picture to encode")
      ->capture_default_str();
  a->image = "testdata/fixtures/images/scene_512x384.png";
  app.add_option("--tokens", a->tokens, "tokens to decode")->capture_default_str();
  app.add_option("--triad-mb", a->triad_mb, "memory for the bandwidth measurements (MB)")
      ->capture_default_str();
  app.add_flag("--json", a->json, "print JSON");
  return [a] { return RunBench(*a); };
});

}  // namespace
}  // namespace md::cli
