// Reading the tokenizer.ggml.* keys of a GGUF file into VocabData.
#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace md {
namespace {

// A special id: -1 when the key is missing; a key of the wrong type is an error.
Status ReadSpecialId(const GgufFile& file, std::string_view key, int32_t* id) {
  auto v = file.GetU32(key);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kNotFound) return Status::Ok();
    return v.status();
  }
  *id = *v > static_cast<uint32_t>(INT32_MAX) ? -1 : static_cast<int32_t>(*v);
  return Status::Ok();
}

}  // namespace

StatusOr<VocabData> ReadVocabFromGguf(const GgufFile& file) {
  VocabData v;
  auto model = file.GetString("tokenizer.ggml.model");
  if (!model.ok()) {
    if (model.status().code() == StatusCode::kNotFound) {
      return NotFound(file.path() +
                      ": no tokenizer in this file (key tokenizer.ggml.model missing)");
    }
    return model.status();
  }
  if (*model != "gpt2") {
    return Unsupported(file.path() + ": tokenizer.ggml.model is \"" + *model +
                       "\"; only \"gpt2\" (byte-level BPE, as Moondream2 uses) is supported");
  }
  MD_ASSIGN_OR_RETURN(auto tokens, file.GetStringArray("tokenizer.ggml.tokens"));
  v.tokens.assign(tokens.begin(), tokens.end());

  auto types = file.GetI32Array("tokenizer.ggml.token_type");
  if (types.ok()) {
    v.types = std::move(*types);
  } else if (types.status().code() != StatusCode::kNotFound) {
    return types.status();
  }
  MD_ASSIGN_OR_RETURN(auto merges, file.GetStringArray("tokenizer.ggml.merges"));
  v.merges.assign(merges.begin(), merges.end());

  MD_RETURN_IF_ERROR(ReadSpecialId(file, "tokenizer.ggml.bos_token_id", &v.bos_id));
  MD_RETURN_IF_ERROR(ReadSpecialId(file, "tokenizer.ggml.eos_token_id", &v.eos_id));
  MD_RETURN_IF_ERROR(ReadSpecialId(file, "tokenizer.ggml.unknown_token_id", &v.unk_id));
  MD_RETURN_IF_ERROR(ReadSpecialId(file, "tokenizer.ggml.padding_token_id", &v.pad_id));
  MD_ASSIGN_OR_RETURN(v.add_bos, file.GetBoolOr("tokenizer.ggml.add_bos_token", false));
  MD_ASSIGN_OR_RETURN(v.add_eos, file.GetBoolOr("tokenizer.ggml.add_eos_token", false));

  auto pre = file.GetString("tokenizer.ggml.pre");
  if (pre.ok()) {
    v.has_pre = true;
    v.pre = *pre;
  } else if (pre.status().code() != StatusCode::kNotFound) {
    return pre.status();
  }
  return v;
}

}  // namespace md
