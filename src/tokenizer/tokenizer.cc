#include "tokenizer/tokenizer.h"

#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "formats/gguf.h"
#include "tokenizer/bpe.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/special_matcher.h"
#include "tokenizer/unicode.h"
#include "tokenizer/word_cache.h"

namespace md {
namespace {

// Texts llama.cpp treats as end-of-generation markers (and forces to CONTROL).
constexpr std::string_view kEndMarkers[] = {
    "<|endoftext|>", "<|eot_id|>",      "<|im_end|>", "<|end|>",
    "<end_of_turn>", "<|end_of_text|>", "<EOT>",
};

// NORMAL token text -> bytes, as llama.cpp's llama_decode_text does: each code point
// maps back to its byte; one outside the alphabet is written out as a marker.
std::string DecodeNormalText(const std::string& text) {
  std::string out;
  std::vector<uint32_t> cps;
  unicode::DecodeUtf8Lenient(text, &cps);
  for (uint32_t cp : cps) {
    const int b = AlphabetToByte(cp);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    std::string utf8;
    unicode::AppendUtf8(cp, &utf8);
    static const char kHex[] = "0123456789abcdef";
    out += "[UNK_BYTE_0x";
    for (char c : utf8) {
      out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
      out.push_back(kHex[static_cast<uint8_t>(c) & 15]);
    }
    out += text + "]";
  }
  return out;
}

inline size_t Utf8Length(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

}  // namespace

struct Tokenizer::Impl {
  BpeModel bpe;
  SpecialMatcher special_all;   // parse_special = true: control, unknown, user-defined
  SpecialMatcher special_user;  // parse_special = false: user-defined only
  std::unordered_map<std::string_view, int32_t> id_of_text;
  std::vector<bool> special_only;  // control or unknown: rendered only on request
  std::unordered_set<int32_t> eog;

  mutable std::mutex cache_mu;
  mutable WordCache cache;

  // Scratch for one Encode call.
  struct Work {
    std::vector<SpecialMatcher::Match> matches;
    std::vector<uint32_t> cps;
    std::vector<uint8_t> flags;
    std::vector<uint32_t> words;
    std::string normalized;
    BpeModel::Scratch bpe;
  };
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& file,
                                                         PretokenizerMode mode) {
  MD_ASSIGN_OR_RETURN(VocabData vocab, ReadVocabFromGguf(file));
  auto tok = FromVocab(std::move(vocab), mode);
  if (!tok.ok()) return tok.status().WithContext(file.path());
  return tok;
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromVocab(VocabData vocab, PretokenizerMode mode) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return InvalidArgument("tokenizer has no tokens (tokenizer.ggml.tokens is empty)");
  if (n > static_cast<size_t>(INT32_MAX)) return InvalidArgument("tokenizer has too many tokens");
  if (!vocab.types.empty() && vocab.types.size() < n) {
    return InvalidArgument("tokenizer.ggml.token_type has " + std::to_string(vocab.types.size()) +
                           " entries for " + std::to_string(n) + " tokens");
  }
  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  Impl& impl = *tok->impl_;

  if (vocab.has_pre) {
    if (vocab.pre == "gpt-2" || vocab.pre == "phi-2") {
      tok->pre_ = PreTokenizer::kGpt2;
    } else if (vocab.pre == "default") {
      tok->pre_ = PreTokenizer::kLlamaDefault;
    } else {
      return Unsupported("tokenizer.ggml.pre \"" + vocab.pre +
                         "\" is not supported (expected \"gpt-2\", \"phi-2\" or \"default\")");
    }
  } else {
    tok->pre_ =
        mode == PretokenizerMode::kLlamaCompat ? PreTokenizer::kLlamaDefault : PreTokenizer::kGpt2;
  }

  tok->texts_ = std::move(vocab.tokens);
  impl.id_of_text.reserve(n);
  tok->types_.resize(n, TokenType::kNormal);
  for (size_t i = 0; i < n; ++i) {
    if (tok->texts_[i].empty()) tok->texts_[i] = "[EMPTY_" + std::to_string(i) + "]";
    if (!vocab.types.empty()) {
      const int32_t t = vocab.types[i];
      tok->types_[i] = (t >= 1 && t <= 6) ? static_cast<TokenType>(t) : TokenType::kUndefined;
    }
    auto [it, inserted] = impl.id_of_text.emplace(tok->texts_[i], static_cast<int32_t>(i));
    if (!inserted) {
      return InvalidArgument("tokens " + std::to_string(it->second) + " and " + std::to_string(i) +
                             " have the same text \"" + tok->texts_[i] + "\"");
    }
  }
  auto valid = [&](int32_t id) { return id >= 0 && static_cast<size_t>(id) < n ? id : -1; };
  tok->bos_id_ = valid(vocab.bos_id);
  tok->eos_id_ = valid(vocab.eos_id);
  tok->add_bos_ = vocab.add_bos && tok->bos_id_ >= 0;

  impl.special_only.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    const TokenType t = tok->types_[i];
    impl.special_only[i] = t == TokenType::kControl || t == TokenType::kUnknown;
  }
  for (std::string_view marker : kEndMarkers) {
    auto it = impl.id_of_text.find(marker);
    if (it == impl.id_of_text.end()) continue;
    impl.eog.insert(it->second);
    impl.special_only[it->second] = true;  // llama.cpp forces these to CONTROL
  }
  if (tok->eos_id_ >= 0) impl.eog.insert(tok->eos_id_);

  // Decoded bytes of each token.
  tok->pieces_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    switch (tok->types_[i]) {
      case TokenType::kNormal:
      case TokenType::kByte:
        tok->pieces_[i] = DecodeNormalText(tok->texts_[i]);
        break;
      case TokenType::kUserDefined:
        tok->pieces_[i] = tok->texts_[i];
        break;
      default:
        break;  // control/unknown render only on request; unused/undefined never
    }
    if (impl.special_only[i]) tok->pieces_[i].clear();
  }

  std::vector<SpecialMatcher::Candidate> all, user;
  for (size_t i = 0; i < n; ++i) {
    const TokenType t = tok->types_[i];
    if (t != TokenType::kControl && t != TokenType::kUserDefined && t != TokenType::kUnknown &&
        !impl.special_only[i]) {
      continue;
    }
    all.push_back({tok->texts_[i], static_cast<int32_t>(i)});
    if (!impl.special_only[i]) user.push_back({tok->texts_[i], static_cast<int32_t>(i)});
  }
  impl.special_all.Build(all);
  impl.special_user.Build(user);
  impl.bpe.Build(tok->texts_, vocab.merges);

  const std::vector<int32_t> nl = tok->Encode("\n", false);
  tok->newline_id_ = nl.size() == 1 ? nl[0] : -1;
  return tok;
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool parse_special) const {
  std::vector<int32_t> ids;
  EncodeAppend(text, parse_special, &ids);
  return ids;
}

void Tokenizer::EncodeAppend(std::string_view text, bool parse_special,
                             std::vector<int32_t>* out) const {
  const Impl& impl = *impl_;
  Impl::Work work;
  // One Encode call holds the word cache for its whole run; a call that finds it busy
  // (another thread encoding) simply works without it.
  std::unique_lock<std::mutex> cache_lock(impl.cache_mu, std::try_to_lock);
  auto* cache = cache_lock.owns_lock() ? &impl.cache : nullptr;

  auto encode_raw = [&](std::string_view raw) {
    if (raw.empty()) return;
    unicode::DecodeUtf8Lenient(raw, &work.cps);
    const size_t ncp = work.cps.size();
    work.flags.resize(ncp);
    for (size_t i = 0; i < ncp; ++i) work.flags[i] = unicode::Flags(work.cps[i]);
    // The bytes BPE sees: the text itself when it is well-formed UTF-8, otherwise the
    // code points re-encoded (U+FFFD for bad bytes, over-long forms shortened).
    std::string_view bytes = raw;
    if (!unicode::IsValidUtf8(raw)) {
      work.normalized.clear();
      for (uint32_t cp : work.cps) unicode::AppendUtf8(cp, &work.normalized);
      bytes = work.normalized;
    }
    work.words.clear();
    SplitWords(pre_, work.cps, work.flags, &work.words);
    size_t cp_pos = 0;
    size_t byte_pos = 0;
    for (uint32_t len : work.words) {
      size_t nbytes = 0;
      for (size_t k = 0; k < len; ++k) nbytes += Utf8Length(work.cps[cp_pos + k]);
      const std::string_view word = bytes.substr(byte_pos, nbytes);
      cp_pos += len;
      byte_pos += nbytes;
      if (cache != nullptr && word.size() <= WordCache::kMaxWordBytes) {
        const uint64_t hash = WordCache::Hash(word);
        if (cache->Lookup(word, hash, out)) continue;
        const size_t first = out->size();
        impl.bpe.EncodeWord(word, &work.bpe, out);
        cache->Insert(word, hash, out->data() + first, out->size() - first);
      } else {
        impl.bpe.EncodeWord(word, &work.bpe, out);
      }
    }
  };

  const SpecialMatcher& matcher = parse_special ? impl.special_all : impl.special_user;
  matcher.Find(text, &work.matches);
  size_t pos = 0;
  for (const SpecialMatcher::Match& m : work.matches) {
    encode_raw(text.substr(pos, m.pos - pos));
    out->push_back(m.id);
    pos = m.pos + m.len;
  }
  encode_raw(text.substr(pos));
}

std::string_view Tokenizer::Piece(int32_t id, bool render_special) const {
  if (!IsValidId(id)) return {};
  if (render_special && impl_->special_only[id]) return texts_[id];
  return pieces_[id];
}

std::string_view Tokenizer::Text(int32_t id) const {
  return IsValidId(id) ? std::string_view(texts_[id]) : std::string_view();
}

TokenType Tokenizer::Type(int32_t id) const {
  return IsValidId(id) ? types_[id] : TokenType::kUndefined;
}

int32_t Tokenizer::FindToken(std::string_view text) const {
  auto it = impl_->id_of_text.find(text);
  return it == impl_->id_of_text.end() ? -1 : it->second;
}

bool Tokenizer::IsEndOfGeneration(int32_t id) const { return impl_->eog.count(id) != 0; }

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool render_special,
                              bool clean_up_spaces) const {
  std::string t;
  for (int32_t id : ids) t += Piece(id, render_special);
  if (!clean_up_spaces || t.size() < 2) return t;
  // The three passes of llama_detokenize's clean_up_tokenization_spaces, each over the
  // output of the previous one. The first character is always kept.
  // 1. Drop a space before ? ! . ,
  {
    std::string o(1, t[0]);
    for (size_t i = 1; i < t.size(); ++i) {
      const char x = t[i];
      if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) o.pop_back();
      o.push_back(x);
    }
    t.swap(o);
  }
  // 2. " ' " -> "'": a lone apostrophe loses both spaces. The removed following space
  // does not count as a space for the next character (so " ' ' " -> "'' ").
  {
    std::string o(1, t[0]);
    for (size_t i = 1; i < t.size(); ++i) {
      const char x = t[i];
      if (x == '\'' && i + 1 < t.size() && t[i - 1] == ' ' && t[i + 1] == ' ') {
        o.pop_back();
        t[i + 1] = '\0';  // consumed; never read as a space again
        o.push_back(x);
        ++i;
        continue;
      }
      o.push_back(x);
    }
    t.swap(o);
  }
  // 3. Drop the space before 's 'm 're 've (not before 't 'd 'll).
  {
    std::string o(1, t[0]);
    for (size_t i = 1; i < t.size(); ++i) {
      const char x = t[i];
      if (t[i - 1] == ' ' && x == '\'' && i + 1 < t.size()) {
        const char x1 = t[i + 1];
        const char x2 = i + 2 < t.size() ? t[i + 2] : '\0';
        if (x1 == 's' || x1 == 'm' ||
            (i + 2 < t.size() && ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')))) {
          o.pop_back();
        }
      }
      o.push_back(x);
    }
    t.swap(o);
  }
  return t;
}

// ------------------------------------------------------------------ StreamDecoder

std::string StreamDecoder::Push(int32_t id) {
  return PushBytes(tokenizer_->Piece(id, render_special_));
}

std::string StreamDecoder::PushBytes(std::string_view bytes) {
  pending_.append(bytes);
  std::string out;
  const auto* s = reinterpret_cast<const uint8_t*>(pending_.data());
  const size_t n = pending_.size();
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  size_t i = 0;
  while (i < n) {
    const uint8_t b = s[i];
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      out += kReplacement;  // never a lead byte
      ++i;
      continue;
    }
    // Count how many bytes of a well-formed sequence are present.
    size_t k = 1;
    while (k < len && i + k < n) {
      const uint8_t c = s[i + k];
      const bool ok = k == 1 ? (c >= lo && c <= hi) : (c & 0xC0) == 0x80;
      if (!ok) break;
      ++k;
    }
    if (k == len) {
      out.append(pending_, i, len);
      i += len;
    } else if (i + k == n) {
      break;  // a valid beginning that needs more bytes: hold it back
    } else {
      out += kReplacement;  // the ill-formed subpart s[i, i+k)
      i += k;
    }
  }
  pending_.erase(0, i);
  return out;
}

std::string StreamDecoder::Flush() {
  if (pending_.empty()) return {};
  pending_.clear();
  return "\xEF\xBF\xBD";
}

}  // namespace md
