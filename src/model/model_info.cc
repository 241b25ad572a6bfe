#include "model/model_info.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "model/config.h"
#include "model/tensor_table.h"

namespace md {
namespace {

using nlohmann::json;

// A metadata value as JSON; long arrays are summarised, not dumped.
json KvValueJson(const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::kString: return std::string(v.str);
    case GgufValueType::kBool: return v.u != 0;
    case GgufValueType::kF32:
    case GgufValueType::kF64: return v.f;
    case GgufValueType::kI8:
    case GgufValueType::kI16:
    case GgufValueType::kI32:
    case GgufValueType::kI64: return v.i;
    case GgufValueType::kArray: {
      if (v.count > 16) {
        return std::to_string(v.count) + " x " + std::string(GgufValueTypeName(v.elem_type));
      }
      json arr = json::array();
      if (v.elem_type == GgufValueType::kString) {
        for (std::string_view s : v.strs) arr.push_back(std::string(s));
      } else if (v.elem_type == GgufValueType::kF32 || v.elem_type == GgufValueType::kF64) {
        for (float x : v.AsF32Array()) arr.push_back(x);
      } else {
        for (int32_t x : v.AsI32Array()) arr.push_back(x);
      }
      return arr;
    }
    default: return v.u;
  }
}

// Collects hyper-parameter rows: a key's value from the file, or the default the
// loader (and llama.cpp) applies when it is absent.
class HyperParams {
 public:
  explicit HyperParams(const GgufFile& f) : f_(f), rows_(json::array()) {}

  void Key(const std::string& key, json fallback, const std::string& absent_note) {
    json row = {{"key", key}};
    if (const GgufKv* kv = f_.FindKv(key)) {
      row["value"] = KvValueJson(kv->value);
      row["source"] = "file";
      row["type"] = std::string(GgufValueTypeName(kv->value.type));
    } else {
      row["value"] = std::move(fallback);
      row["source"] = "default";
      row["note"] = absent_note;
    }
    rows_.push_back(std::move(row));
  }

  void Derived(const std::string& name, json value, const std::string& note) {
    rows_.push_back({{"key", name}, {"value", std::move(value)}, {"source", "derived"},
                     {"note", note}});
  }

  json Take() { return std::move(rows_); }

 private:
  const GgufFile& f_;
  json rows_;
};

std::string TokenTypeName(int32_t t) {
  switch (t) {
    case 1: return "normal";
    case 2: return "unknown";
    case 3: return "control";
    case 4: return "user_defined";
    case 5: return "unused";
    case 6: return "byte";
    default: return "type_" + std::to_string(t);
  }
}

// Printable token text for messages (control characters escaped, long text cut).
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20) out += '?';
    else out += c;
  }
  if (s.size() > 40) out += "...";
  return out;
}

json DescribeTokenizer(const GgufFile& f) {
  json t = json::object();
  const GgufKv* model = f.FindKv("tokenizer.ggml.model");
  const GgufKv* tokens = f.FindKv("tokenizer.ggml.tokens");
  if (model == nullptr && tokens == nullptr) return nullptr;
  t["model"] = model && model->value.type == GgufValueType::kString
                   ? json(std::string(model->value.str)) : json(nullptr);
  if (const GgufKv* pre = f.FindKv("tokenizer.ggml.pre");
      pre && pre->value.type == GgufValueType::kString) {
    t["pre"] = std::string(pre->value.str);
  } else {
    t["pre"] = nullptr;
    t["pre_note"] = "absent: llama.cpp falls back to its \"default\" pre-tokenizer and warns";
  }
  std::vector<std::string_view> strs;
  if (tokens && tokens->value.type == GgufValueType::kArray &&
      tokens->value.elem_type == GgufValueType::kString) {
    strs = tokens->value.strs;
  }
  t["tokens"] = strs.size();
  const GgufKv* merges = f.FindKv("tokenizer.ggml.merges");
  t["merges"] = merges && merges->value.type == GgufValueType::kArray ? merges->value.count : 0;
  std::map<std::string, uint64_t> types;
  if (const GgufKv* tt = f.FindKv("tokenizer.ggml.token_type")) {
    for (int32_t x : tt->value.AsI32Array()) ++types[TokenTypeName(x)];
  }
  t["token_types"] = types;
  json special = json::object();
  for (const char* what : {"bos", "eos", "unknown", "padding", "separator", "cls", "mask", "eot"}) {
    const std::string key = std::string("tokenizer.ggml.") + what + "_token_id";
    const GgufKv* kv = f.FindKv(key);
    if (kv == nullptr) continue;
    json s = {{"id", kv->value.u}};
    if (kv->value.u < strs.size()) {
      s["text"] = std::string(strs[kv->value.u]);
    } else {
      s["note"] = "out of range: llama.cpp ignores it";
    }
    special[what] = s;
  }
  t["special"] = special;
  const GgufKv* add_bos = f.FindKv("tokenizer.ggml.add_bos_token");
  const GgufKv* add_eos = f.FindKv("tokenizer.ggml.add_eos_token");
  t["add_bos"] = add_bos ? add_bos->value.u != 0 : false;
  t["add_bos_source"] = add_bos ? "file" : "default";
  t["add_eos"] = add_eos ? add_eos->value.u != 0 : false;
  t["chat_template"] = f.FindKv("tokenizer.chat_template") != nullptr;
  return t;
}

// Compares the file's tensors with the tensor table: missing, misshapen, unexpected.
void CheckTensors(const GgufFile& f, const std::vector<TensorSpec>& specs, json& problems) {
  std::set<std::string> expected;
  for (const TensorSpec& s : specs) {
    expected.insert(s.gguf_name);
    const GgufTensorInfo* t = f.FindTensor(s.gguf_name);
    if (t == nullptr) {
      if (s.required) problems.push_back("missing tensor " + s.gguf_name);
      continue;
    }
    if (!ShapeMatches(s.ne, t->ne, t->n_dims)) {
      problems.push_back("tensor " + s.gguf_name + " has shape " + t->ShapeString() +
                         ", expected " + ShapeString(s.ne));
    }
  }
  for (const GgufTensorInfo& t : f.tensors()) {
    if (expected.count(std::string(t.name)) == 0) {
      problems.push_back("unexpected tensor " + std::string(t.name));
    }
  }
}

void DescribeText(const GgufFile& f, json& out) {
  json& problems = out["problems"];
  json& quirks = out["quirks"];
  TextConfig c = Moondream2TextConfig();
  StatusOr<TextConfig> read = TextConfigFromGguf(f);
  if (read.ok()) {
    c = *read;
  } else {
    problems.push_back(read.status().message());
  }
  HyperParams hp(f);
  const std::string required = "absent: required by llama.cpp";
  hp.Key("phi2.context_length", c.context_length, required);
  hp.Key("phi2.embedding_length", c.n_embd, required);
  hp.Key("phi2.feed_forward_length", c.n_ff, "absent: Moondream2 value assumed");
  hp.Key("phi2.block_count", c.n_layer, required);
  hp.Key("phi2.attention.head_count", c.n_head, "absent: Moondream2 value assumed");
  hp.Key("phi2.attention.head_count_kv", c.n_head_kv, "absent: llama.cpp uses head_count");
  hp.Key("phi2.attention.layer_norm_epsilon", c.norm_eps, required);
  hp.Key("phi2.rope.dimension_count", c.n_rot,
         "absent: llama.cpp rotates the whole head (wrong for Moondream2)");
  hp.Key("phi2.rope.freq_base", c.rope_freq_base, "absent: llama.cpp default");
  hp.Key("phi2.rope.scaling.type", "none", "absent: no RoPE scaling");
  hp.Key("phi2.rope.scaling.factor", 1.0, "absent: no RoPE scaling");
  hp.Key("phi2.attention.key_length", c.head_dim(), "absent: embedding_length / head_count");
  hp.Key("phi2.attention.value_length", c.head_dim(), "absent: embedding_length / head_count");
  hp.Derived("head_dim", c.head_dim(), "embedding_length / head_count");
  hp.Derived("n_vocab", c.n_vocab, "length of tokenizer.ggml.tokens");
  hp.Derived("rope_type", "neox", "llama.cpp hard-codes NEOX pairing for phi2");
  hp.Derived("block", "parallel", "x + attn(LN(x)) + mlp(LN(x)), one LayerNorm, GELU tanh");
  out["hyperparameters"] = hp.Take();

  if (f.tensors().empty()) {
    quirks.push_back("vocabulary-only file: metadata and tokenizer, no tensors");
    return;
  }
  TensorTableOptions o;
  o.text_split_qkv = f.FindTensor("blk.0.attn_q.weight") != nullptr;
  quirks.push_back(o.text_split_qkv ? "attention weights split into attn_q/attn_k/attn_v"
                                    : "fused attention weights (blk.N.attn_qkv, rows Q|K|V)");
  if (f.FindTensor("output.weight") != nullptr) {
    quirks.push_back("output.weight is separate from token_embd.weight (not tied) and has a bias");
  }
  if (read.ok()) CheckTensors(f, TextTensorSpecs(c, o), problems);
}

// Byte-compares every tensor of vision block `a` with block `b`.
bool BlocksIdentical(const GgufFile& f, int a, int b, int* compared) {
  const std::string pa = "v.blk." + std::to_string(a) + ".";
  const std::string pb = "v.blk." + std::to_string(b) + ".";
  *compared = 0;
  for (const GgufTensorInfo& t : f.tensors()) {
    std::string_view name = t.name;
    if (name.substr(0, pa.size()) != pa) continue;
    const GgufTensorInfo* u = f.FindTensor(pb + std::string(name.substr(pa.size())));
    if (u == nullptr || u->type != t.type || u->nbytes != t.nbytes ||
        std::memcmp(u->data, t.data, t.nbytes) != 0) {
      return false;
    }
    ++*compared;
  }
  return *compared > 0;
}

void DescribeProjector(const GgufFile& f, json& out) {
  json& problems = out["problems"];
  json& quirks = out["quirks"];
  VisionConfig c = Moondream2VisionConfig();
  StatusOr<VisionConfig> read = VisionConfigFromGguf(f);
  if (read.ok()) {
    c = *read;
  } else {
    problems.push_back(read.status().message());
  }
  HyperParams hp(f);
  const std::string required = "absent: required by llama.cpp";
  hp.Key("clip.projector_type", "mlp", "absent: legacy files are llava \"mlp\" projectors");
  hp.Key("clip.has_vision_encoder", true, "absent: llama.cpp refuses the file");
  hp.Key("clip.has_text_encoder", false, "absent: legacy key, ignored");
  hp.Key("clip.has_llava_projector", true, "absent: legacy key, ignored");
  hp.Key("clip.use_gelu", c.use_gelu, "absent: llama.cpp uses quick GELU x*sigmoid(1.702x)");
  hp.Key("clip.vision.image_size", c.image_size, required);
  hp.Key("clip.vision.patch_size", c.patch_size, required);
  hp.Key("clip.vision.embedding_length", c.n_embd, required);
  hp.Key("clip.vision.feed_forward_length", c.n_ff, required);
  hp.Key("clip.vision.projection_dim", c.projection_dim, required);
  hp.Key("clip.vision.block_count", c.block_count, required);
  hp.Key("clip.vision.attention.head_count", c.n_head, required);
  hp.Key("clip.vision.attention.head_count_kv", c.n_head, "absent: equals head_count");
  hp.Key("clip.vision.attention.layer_norm_epsilon", c.norm_eps, required);
  hp.Key("clip.vision.image_mean", c.image_mean, required);
  hp.Key("clip.vision.image_std", c.image_std, required);
  hp.Key("clip.vision.feature_layer", "none",
         "absent: llava rule, run block_count - 1 blocks");
  hp.Key("clip.vision.image_grid_pinpoints", "none", "absent: one fixed-size image, no tiling");
  hp.Key("clip.vision.mm_patch_merge_type", "flat", "absent: flat");
  hp.Derived("patches", std::to_string(c.patches_per_side()) + " x " +
                            std::to_string(c.patches_per_side()) + " = " +
                            std::to_string(c.n_patches()),
             "(image_size / patch_size)^2, no class token");
  hp.Derived("head_dim", c.head_dim(), "embedding_length / head_count");
  hp.Derived("blocks_run", c.blocks_to_run(), "block_count - 1, the llava \"mlp\" rule");
  hp.Derived("projector", std::to_string(c.n_embd) + " -> " + std::to_string(c.mm_hidden) +
                              " -> " + std::to_string(c.projection_dim),
             "mm.0 (GELU) then mm.2; output width must equal the text embedding_length");
  out["hyperparameters"] = hp.Take();

  if (f.tensors().empty()) {
    problems.push_back("projector file has no tensors");
    return;
  }
  TensorTableOptions o;
  // llama.cpp's rule for legacy projectors: if ffn_down's rows have the embedding width,
  // it is really fc1 (the 2024 Moondream2 converter swapped the names).
  const GgufTensorInfo* down = f.FindTensor("v.blk.0.ffn_down.weight");
  o.vision_mlp_swapped = down != nullptr && down->ne[0] == static_cast<uint64_t>(c.n_embd) &&
                         c.n_ff != c.n_embd;
  if (o.vision_mlp_swapped) {
    quirks.push_back("vision MLP names swapped: fc1 is stored as ffn_down and fc2 as ffn_up "
                     "(v.blk.0.ffn_down.weight ne[0] = " + std::to_string(down->ne[0]) +
                     " = embedding_length); they are swapped back on load, as llama.cpp does");
  } else {
    quirks.push_back("vision MLP names standard: ffn_up is fc1, ffn_down is fc2");
  }
  const GgufTensorInfo* pos = f.FindTensor("v.position_embd.weight");
  o.vision_pos_3d = pos != nullptr && pos->n_dims == 3;
  if (o.vision_pos_3d) {
    quirks.push_back("position embedding stored 3-D " + pos->ShapeString() +
                     " (trailing 1), as the 2024 converter wrote it");
  }
  if (c.block_count >= 2) {
    const int last = c.block_count - 1;
    int compared = 0;
    if (BlocksIdentical(f, last, last - 1, &compared)) {
      quirks.push_back("vision block " + std::to_string(last) + " is a byte copy of block " +
                       std::to_string(last - 1) + " (" + std::to_string(compared) +
                       " tensors); it is loaded but never run");
    } else {
      quirks.push_back("vision block " + std::to_string(last) + " is loaded but never run " +
                       "(llava rule: the first " + std::to_string(c.blocks_to_run()) +
                       " blocks run)");
    }
  }
  if (f.FindTensor("v.class_embd") == nullptr && f.FindTensor("v.pre_ln.weight") == nullptr) {
    quirks.push_back("no class token and no pre-LayerNorm; post-LayerNorm v.post_ln applied");
  }
  if (const GgufTensorInfo* mm0 = f.FindTensor("mm.0.weight");
      mm0 != nullptr && mm0->ne[0] != static_cast<uint64_t>(c.n_embd)) {
    problems.push_back("mm.0.weight takes " + std::to_string(mm0->ne[0]) +
                       " inputs, not the vision width " + std::to_string(c.n_embd) +
                       " (a 2025 multi-crop projector?); not supported");
  }
  if (read.ok()) CheckTensors(f, VisionTensorSpecs(c, o), problems);
}

std::string WithCommas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string Compact(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace

std::string FileTypeName(uint32_t ftype) {
  switch (ftype) {
    case 0: return "ALL_F32";
    case 1: return "MOSTLY_F16";
    case 2: return "MOSTLY_Q4_0";
    case 3: return "MOSTLY_Q4_1";
    case 7: return "MOSTLY_Q8_0";
    case 8: return "MOSTLY_Q5_0";
    case 9: return "MOSTLY_Q5_1";
    case 10: return "MOSTLY_Q2_K";
    case 11: return "MOSTLY_Q3_K_S";
    case 12: return "MOSTLY_Q3_K_M";
    case 13: return "MOSTLY_Q3_K_L";
    case 14: return "MOSTLY_Q4_K_S";
    case 15: return "MOSTLY_Q4_K_M";
    case 16: return "MOSTLY_Q5_K_S";
    case 17: return "MOSTLY_Q5_K_M";
    case 18: return "MOSTLY_Q6_K";
    case 32: return "MOSTLY_BF16";
    default: return "type " + std::to_string(ftype);
  }
}

json DescribeGguf(const GgufFile& f) {
  json out = json::object();
  out["file"] = f.path();
  out["file_size"] = f.file_size();
  out["gguf_version"] = f.version();
  out["alignment"] = f.alignment();
  out["data_offset"] = f.data_offset();
  out["kv_count"] = f.kvs().size();
  out["tensor_count"] = f.tensors().size();
  out["problems"] = json::array();
  out["quirks"] = json::array();
  out["hyperparameters"] = json::array();

  auto str_key = [&](const char* key) -> json {
    const GgufKv* kv = f.FindKv(key);
    if (kv == nullptr || kv->value.type != GgufValueType::kString) return nullptr;
    return std::string(kv->value.str);
  };
  out["architecture"] = str_key("general.architecture");
  out["name"] = str_key("general.name");
  out["description"] = str_key("general.description");
  if (const GgufKv* ft = f.FindKv("general.file_type"); ft && ft->value.type == GgufValueType::kU32) {
    out["file_type"] = {{"id", ft->value.u}, {"name", FileTypeName(static_cast<uint32_t>(ft->value.u))}};
  } else {
    out["file_type"] = nullptr;
  }
  const GgufKv* qv = f.FindKv("general.quantization_version");
  out["quantization_version"] = qv ? json(qv->value.u) : json(nullptr);

  const std::string arch = out["architecture"].is_string() ? out["architecture"].get<std::string>() : "";
  if (arch == "phi2") {
    out["kind"] = "text";
    DescribeText(f, out);
  } else if (arch == "clip") {
    out["kind"] = "projector";
    DescribeProjector(f, out);
  } else {
    out["kind"] = "other";
    out["problems"].push_back(
        arch.empty() ? "general.architecture is missing: not a model file"
                     : "architecture \"" + arch + "\" is not part of Moondream2 (phi2 or clip)");
  }
  json tok = DescribeTokenizer(f);
  if (!tok.is_null()) out["tokenizer"] = tok;

  json tensors = json::array();
  std::map<uint32_t, std::array<uint64_t, 3>> by_type;  // type id -> tensors, params, bytes
  uint64_t params = 0, bytes = 0;
  for (const GgufTensorInfo& t : f.tensors()) {
    json shape = json::array();
    for (uint32_t d = 0; d < t.n_dims; ++d) shape.push_back(t.ne[d]);
    tensors.push_back({{"name", std::string(t.name)},
                       {"type", std::string(TypeInfo(t.type).name)},
                       {"shape", shape},
                       {"bytes", t.nbytes},
                       {"offset", f.data_offset() + t.offset}});
    auto& agg = by_type[static_cast<uint32_t>(t.type)];
    agg[0] += 1;
    agg[1] += t.n_elements();
    agg[2] += t.nbytes;
    params += t.n_elements();
    bytes += t.nbytes;
  }
  out["tensors"] = tensors;
  json types = json::array();
  for (const auto& [id, agg] : by_type) {
    types.push_back({{"type", std::string(TypeInfo(static_cast<TensorType>(id)).name)},
                     {"tensors", agg[0]}, {"parameters", agg[1]}, {"bytes", agg[2]}});
  }
  out["types"] = types;
  out["totals"] = {{"parameters", params},
                   {"bytes", bytes},
                   {"bits_per_weight", params == 0 ? 0.0 : 8.0 * static_cast<double>(bytes) /
                                                              static_cast<double>(params)}};
  return out;
}

std::string FormatModelInfo(const json& info, bool with_tensors) {
  std::string s;
  char buf[512];
  auto line = [&](const char* label, const std::string& value) {
    std::snprintf(buf, sizeof buf, "%-14s%s\n", label, value.c_str());
    s += buf;
  };
  auto opt = [](const json& v) { return v.is_null() ? std::string("-") : Compact(v); };
  line("file", info["file"].get<std::string>() + " (" +
                   WithCommas(info["file_size"].get<uint64_t>()) + " bytes)");
  line("format", "GGUF v" + std::to_string(info["gguf_version"].get<uint32_t>()) + ", " +
                     std::to_string(info["kv_count"].get<uint64_t>()) + " metadata keys, " +
                     std::to_string(info["tensor_count"].get<uint64_t>()) +
                     " tensors, alignment " + std::to_string(info["alignment"].get<uint32_t>()) +
                     ", data at byte " + WithCommas(info["data_offset"].get<uint64_t>()));
  const std::string kind = info["kind"].get<std::string>();
  line("architecture", opt(info["architecture"]) +
                           (kind == "text"        ? " (Moondream2 text decoder)"
                            : kind == "projector" ? " (Moondream2 vision projector / mmproj)"
                                                  : ""));
  line("name", opt(info["name"]));
  if (!info["description"].is_null()) line("description", opt(info["description"]));
  if (!info["file_type"].is_null()) {
    line("file type", std::to_string(info["file_type"]["id"].get<uint64_t>()) + " (" +
                          info["file_type"]["name"].get<std::string>() + ")");
  }
  if (!info["quantization_version"].is_null()) {
    line("quant. ver.", Compact(info["quantization_version"]));
  }

  if (!info["hyperparameters"].empty()) {
    s += "\nhyper-parameters\n";
    for (const json& hp : info["hyperparameters"]) {
      std::string note;
      if (hp["source"] == "derived") note = "derived: " + hp["note"].get<std::string>();
      if (hp["source"] == "default") note = hp["note"].get<std::string>();
      std::snprintf(buf, sizeof buf, "  %-42s %-14s %s", hp["key"].get<std::string>().c_str(),
                    Compact(hp["value"]).c_str(), note.c_str());
      std::string row = buf;
      row.erase(row.find_last_not_of(' ') + 1);
      s += row + "\n";
    }
  }
  if (info.contains("tokenizer")) {
    const json& t = info["tokenizer"];
    s += "\ntokenizer\n";
    std::string pre = t["pre"].is_null() ? "- (" + t["pre_note"].get<std::string>() + ")"
                                         : t["pre"].get<std::string>();
    std::string types;
    for (const auto& [name, n] : t["token_types"].items()) {
      types += (types.empty() ? "" : ", ") + name + " " + std::to_string(n.get<uint64_t>());
    }
    s += "  model          " + opt(t["model"]) + "\n";
    s += "  pre-tokenizer  " + pre + "\n";
    s += "  tokens         " + std::to_string(t["tokens"].get<uint64_t>()) +
         (types.empty() ? "" : " (" + types + ")") + "\n";
    s += "  merges         " + std::to_string(t["merges"].get<uint64_t>()) + "\n";
    for (const auto& [what, sp] : t["special"].items()) {
      std::string text = sp.contains("text") ? "\"" + Printable(sp["text"].get<std::string>()) + "\""
                                             : sp["note"].get<std::string>();
      std::snprintf(buf, sizeof buf, "  %-14s %s %s\n", (what + " id").c_str(),
                    std::to_string(sp["id"].get<uint64_t>()).c_str(), text.c_str());
      s += buf;
    }
    s += std::string("  add_bos        ") + (t["add_bos"].get<bool>() ? "true" : "false") +
         (t["add_bos_source"] == "default" ? " (absent)" : "") + "\n";
    s += std::string("  add_eos        ") + (t["add_eos"].get<bool>() ? "true" : "false") + "\n";
    s += std::string("  chat template  ") + (t["chat_template"].get<bool>() ? "yes" : "none") +
         "\n";
  }
  if (!info["quirks"].empty()) {
    s += "\nlayout\n";
    for (const json& q : info["quirks"]) s += "  - " + q.get<std::string>() + "\n";
  }
  if (with_tensors && !info["tensors"].empty()) {
    s += "\ntensors\n";
    std::snprintf(buf, sizeof buf, "  %-34s %-6s %-22s %14s %14s\n", "name", "type", "shape",
                  "bytes", "offset");
    s += buf;
    for (const json& t : info["tensors"]) {
      std::string shape = "[";
      for (size_t i = 0; i < t["shape"].size(); ++i) {
        shape += (i ? ", " : "") + std::to_string(t["shape"][i].get<uint64_t>());
      }
      shape += "]";
      std::snprintf(buf, sizeof buf, "  %-34s %-6s %-22s %14s %14s\n",
                    t["name"].get<std::string>().c_str(), t["type"].get<std::string>().c_str(),
                    shape.c_str(), WithCommas(t["bytes"].get<uint64_t>()).c_str(),
                    WithCommas(t["offset"].get<uint64_t>()).c_str());
      s += buf;
    }
  }
  const json& tot = info["totals"];
  s += "\ntotals\n";
  for (const json& t : info["types"]) {
    const double bpw = t["parameters"].get<uint64_t>() == 0
                           ? 0.0
                           : 8.0 * static_cast<double>(t["bytes"].get<uint64_t>()) /
                                 static_cast<double>(t["parameters"].get<uint64_t>());
    std::snprintf(buf, sizeof buf, "  %-6s %5llu tensors %16s parameters %16s bytes %7.3f bpw\n",
                  t["type"].get<std::string>().c_str(),
                  static_cast<unsigned long long>(t["tensors"].get<uint64_t>()),
                  WithCommas(t["parameters"].get<uint64_t>()).c_str(),
                  WithCommas(t["bytes"].get<uint64_t>()).c_str(), bpw);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "  all    %5llu tensors %16s parameters %16s bytes %7.3f bpw\n",
                static_cast<unsigned long long>(info["tensor_count"].get<uint64_t>()),
                WithCommas(tot["parameters"].get<uint64_t>()).c_str(),
                WithCommas(tot["bytes"].get<uint64_t>()).c_str(),
                tot["bits_per_weight"].get<double>());
  s += buf;
  if (!info["problems"].empty()) {
    s += "\nproblems (the engine will not load this file)\n";
    for (const json& p : info["problems"]) s += "  - " + p.get<std::string>() + "\n";
  }
  return s;
}

}  // namespace md
