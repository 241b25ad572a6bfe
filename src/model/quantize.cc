// Quantizing a GGUF model file. The per-tensor type rules follow llama.cpp's
// src/llama-quant.cpp as of 2026 (quant.md 7, "current" column): tensors are sorted into
// categories by name; attn_qkv counts as "attn_v-like"; use_more_bits layers get Q6_K
// in the *_K_M presets; output.weight gets Q6_K unless the preset is Q8_0.
#include "model/quantize.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include "common/cpu_info.h"
#include "ops/quant.h"

namespace md {
namespace {

struct PresetInfo {
  QuantPreset preset;
  std::string_view name;
  TensorType default_type;
  uint32_t file_type;  // llama_ftype
};

constexpr PresetInfo kPresets[] = {
    {QuantPreset::kQ4_K_M, "Q4_K_M", TensorType::kQ4_K, 15},
    {QuantPreset::kQ5_K_M, "Q5_K_M", TensorType::kQ5_K, 17},
    {QuantPreset::kQ8_0, "Q8_0", TensorType::kQ8_0, 7},
    {QuantPreset::kQ4_0, "Q4_0", TensorType::kQ4_0, 2},
    {QuantPreset::kF16, "F16", TensorType::kF16, 1},
    {QuantPreset::kBF16, "BF16", TensorType::kBF16, 32},
};

const PresetInfo& Info(QuantPreset p) {
  for (const PresetInfo& i : kPresets) {
    if (i.preset == p) return i;
  }
  return kPresets[0];
}

enum class Category {
  kOutput,
  kTokenEmbd,
  kAttnQkv,
  kAttnV,
  kAttnK,
  kAttnQ,
  kAttnOutput,
  kFfnUp,
  kFfnGate,
  kFfnDown,
  kOther
};

bool Contains(std::string_view s, std::string_view part) { return s.find(part) != s.npos; }

// llama.cpp's tensor_get_category: first match wins, substrings as there.
Category CategoryOf(std::string_view name) {
  if (name == "output.weight") return Category::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight")
    return Category::kTokenEmbd;
  if (Contains(name, "attn_qkv.weight")) return Category::kAttnQkv;
  if (Contains(name, "attn_kv_b.weight")) return Category::kAttnV;  // attn_v-like as well
  if (Contains(name, "attn_v.weight")) return Category::kAttnV;
  if (Contains(name, "attn_k.weight")) return Category::kAttnK;
  if (Contains(name, "attn_q.weight")) return Category::kAttnQ;
  if (Contains(name, "attn_output.weight")) return Category::kAttnOutput;
  if (Contains(name, "ffn_up")) return Category::kFfnUp;
  if (Contains(name, "ffn_gate")) return Category::kFfnGate;
  if (Contains(name, "ffn_down")) return Category::kFfnDown;
  return Category::kOther;
}

bool IsAttnVLike(Category c) { return c == Category::kAttnQkv || c == Category::kAttnV; }

// ggml_n_dims: trailing dimensions of size 1 do not count.
int EffectiveDims(const GgufTensorInfo& t) {
  int n = 1;
  for (int i = 3; i >= 1; --i) {
    if (t.ne[i] > 1) {
      n = i + 1;
      break;
    }
  }
  return n;
}

// llama.cpp's tensor_allows_quantization, the parts that can apply to phi2 and clip
// files (plus the generic exclusions, so odd files are treated the same way).
bool AllowsQuantization(const GgufTensorInfo& t) {
  if (EffectiveDims(t) < 2) return false;
  const std::string_view name = t.name;
  if (name.size() < 6 || name.substr(name.size() - 6) != "weight") return false;
  for (std::string_view excluded :
       {"_norm.weight", "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "attn_rel_b.weight", ".position_embd",
        "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
        "time_mix_"}) {
    if (Contains(name, excluded)) return false;
  }
  if (name == "position_embd.weight" || name == "token_types.weight") return false;
  return true;
}

bool UseMoreBits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

// llama.cpp's tensor_type_fallback for rows whose length is not a multiple of the block.
TensorType Fallback(TensorType t, uint64_t ne0) {
  if (ne0 % TypeInfo(t).block_size == 0) return t;
  TensorType f = TensorType::kF16;
  switch (t) {
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
      f = TensorType::kQ4_0;
      break;
    case TensorType::kQ4_K:
      f = TensorType::kQ5_0;
      break;
    case TensorType::kQ5_K:
      f = TensorType::kQ5_1;
      break;
    case TensorType::kQ6_K:
      f = TensorType::kQ8_0;
      break;
    default:
      break;
  }
  return ne0 % TypeInfo(f).block_size == 0 ? f : TensorType::kF16;
}

struct Counters {
  int n_attn_wv = 0;
  int i_attn_wv = 0;
  int n_layer = 0;
  int i_ffn_down = 0;
  bool tied_embeddings = true;
};

TensorType ChooseType(const GgufTensorInfo& t, QuantPreset preset, Counters& c) {
  if (!AllowsQuantization(t)) return t.type;
  const TensorType def = Info(preset).default_type;
  if (!TypeInfo(def).quantized) return def;  // F16, BF16: every quantizable tensor
  const Category cat = CategoryOf(t.name);
  const bool k_m = preset == QuantPreset::kQ4_K_M || preset == QuantPreset::kQ5_K_M;
  TensorType type = def;
  if (cat == Category::kOutput || (c.tied_embeddings && cat == Category::kTokenEmbd)) {
    if (t.ne[0] % TypeInfo(type).block_size != 0) {
      type = TensorType::kQ8_0;
    } else if (type != TensorType::kQ8_0) {
      type = TensorType::kQ6_K;
    }
  } else if (cat == Category::kTokenEmbd) {
    // default type
  } else if (IsAttnVLike(cat)) {
    if (k_m && UseMoreBits(c.i_attn_wv, c.n_attn_wv)) type = TensorType::kQ6_K;
    ++c.i_attn_wv;
  } else if (cat == Category::kFfnDown) {
    if (k_m && UseMoreBits(c.i_ffn_down, c.n_layer)) type = TensorType::kQ6_K;
    ++c.i_ffn_down;
  }
  return Fallback(type, t.ne[0]);
}

// llama.cpp's weight_name_comparer: the number after "blk." (-1 if none), then the name.
int LayerOf(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int layer = 0;
  size_t i = 4;
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && layer < 100000000;
       ++i) {
    layer = layer * 10 + (name[i] - '0');
  }
  return layer;
}

bool IsFloat(TensorType t) {
  return t == TensorType::kF32 || t == TensorType::kF16 || t == TensorType::kBF16;
}

}  // namespace

std::optional<QuantPreset> ParseQuantPreset(std::string_view name) {
  std::string upper(name);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (const PresetInfo& i : kPresets) {
    if (i.name == upper) return i.preset;
  }
  return std::nullopt;
}

std::string_view QuantPresetName(QuantPreset preset) { return Info(preset).name; }

std::string QuantPresetList() {
  std::string s;
  for (const PresetInfo& i : kPresets) {
    if (!s.empty()) s += ", ";
    s += i.name;
  }
  return s;
}

uint32_t QuantPresetFileType(QuantPreset preset) { return Info(preset).file_type; }

StatusOr<std::vector<TensorQuantPlan>> PlanQuantization(const GgufFile& in, QuantPreset preset) {
  std::string arch = "?";
  if (auto a = in.GetString("general.architecture"); a.ok()) arch = *a;
  const bool mmproj = arch == "clip";
  if (mmproj && preset != QuantPreset::kF16 && preset != QuantPreset::kQ8_0) {
    return Unsupported(std::string("preset ") + std::string(QuantPresetName(preset)) +
                       " is not supported for vision projector (mmproj, architecture clip) files; "
                       "use F16 or Q8_0");
  }
  Counters c;
  MD_ASSIGN_OR_RETURN(c.n_layer, in.GetU32Or(arch + ".block_count", 0));
  for (const GgufTensorInfo& t : in.tensors()) {
    if (IsAttnVLike(CategoryOf(t.name))) ++c.n_attn_wv;
    if (CategoryOf(t.name) == Category::kOutput) c.tied_embeddings = false;
  }
  std::vector<size_t> order(in.tensors().size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const std::string_view na = in.tensors()[a].name, nb = in.tensors()[b].name;
    const int la = LayerOf(na), lb = LayerOf(nb);
    return la != lb ? la < lb : na < nb;
  });
  std::vector<TensorQuantPlan> plan;
  plan.reserve(in.tensors().size());
  for (size_t index : order) {
    const GgufTensorInfo& t = in.tensors()[index];
    const TensorType to = ChooseType(t, preset, c);
    if (to != t.type && !IsFloat(t.type)) {
      return Unsupported("tensor " + std::string(t.name) + " is already " +
                         std::string(TypeInfo(t.type).name) +
                         "; quantize from an F32, F16 or BF16 file");
    }
    plan.push_back({index, std::string(t.name), t.type, to});
  }
  return plan;
}

void ConvertRows(TensorType from, const uint8_t* src, TensorType to, uint8_t* dst, int64_t nrows,
                 int64_t ncols, int threads) {
  const uint64_t in_row = RowBytes(from, static_cast<uint64_t>(ncols));
  const uint64_t out_row = RowBytes(to, static_cast<uint64_t>(ncols));
  if (from == to) {
    std::copy(src, src + in_row * static_cast<uint64_t>(nrows), dst);
    return;
  }
  auto work = [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(ncols));
    for (int64_t r = r0; r < r1; ++r) {
      DequantizeRow(from, src + static_cast<uint64_t>(r) * in_row, row.data(), ncols);
      QuantizeRow(to, row.data(), dst + static_cast<uint64_t>(r) * out_row, ncols);
    }
  };
  threads = std::max<int64_t>(1, std::min<int64_t>(threads, nrows));
  if (threads == 1) return work(0, nrows);
  std::vector<std::thread> pool;
  const int64_t per = (nrows + threads - 1) / threads;
  for (int i = 0; i < threads; ++i) {
    const int64_t r0 = i * per, r1 = std::min(nrows, r0 + per);
    if (r0 >= r1) break;
    pool.emplace_back(work, r0, r1);
  }
  for (std::thread& th : pool) th.join();
}

Status QuantizeGguf(const std::string& in_path, const std::string& out_path, QuantPreset preset,
                    const QuantizeOptions& options) {
  MD_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> in, GgufFile::Open(in_path));
  MD_ASSIGN_OR_RETURN(std::vector<TensorQuantPlan> plan, PlanQuantization(*in, preset));
  const int threads = options.threads > 0 ? options.threads : HardwareThreads();

  GgufWriter w;
  for (const GgufKv& kv : in->kvs()) w.CopyKv(kv);
  // As gguf_set_val does in llama-quantize: both keys move to the end, in this order.
  for (std::string_view key : {"general.quantization_version", "general.file_type", "split.no",
                               "split.count", "split.tensors.count"}) {
    w.RemoveKv(key);
  }
  w.SetU32("general.quantization_version", 2);
  w.SetU32("general.file_type", QuantPresetFileType(preset));

  for (const TensorQuantPlan& p : plan) {
    const GgufTensorInfo& t = in->tensors()[p.index];
    std::vector<uint64_t> ne(t.ne, t.ne + t.n_dims);
    if (p.to == p.from) {
      w.AddTensorView(p.name, p.to, ne, std::span<const uint8_t>(t.data, t.nbytes));
      continue;
    }
    const int64_t ncols = static_cast<int64_t>(t.ne[0]);
    const int64_t nrows = static_cast<int64_t>(t.n_elements() / t.ne[0]);
    const uint8_t* src = t.data;
    const TensorType from = p.from, to = p.to;
    w.AddTensorFill(p.name, p.to, ne, [=](std::span<uint8_t> out) -> Status {
      if (out.size() != RowBytes(to, static_cast<uint64_t>(ncols)) * static_cast<uint64_t>(nrows)) {
        return Internal("quantize: output size mismatch for a tensor");
      }
      ConvertRows(from, src, to, out.data(), nrows, ncols, threads);
      return Status::Ok();
    });
  }
  if (options.progress) w.SetProgress(options.progress);
  return w.Write(out_path, in_path);
}

}  // namespace md
