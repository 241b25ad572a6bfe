// The public engine API: what the CLI and the server use to run Moondream2.
//
// One Engine holds the loaded model files (mmap'd weights, tokenizer, thread pool).
// A picture is decoded, preprocessed and encoded once into an EncodedImage: the
// vision embeddings plus the text model's KV cache for the prompt prefix that holds
// the picture. Sessions start from an EncodedImage (or from nothing, for text-only
// questions) and keep the conversation, so follow-up questions never re-run the vision
// encoder or the prefix.
//
// Thread-safety: an Engine runs one computation at a time (it uses all its threads for
// it); callers serialise calls (the server has one worker). Cancel() may be called from
// any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace md {

enum class KvCacheType { kF32, kF16 };
enum class CaptionLength { kShort, kNormal, kLong };

// How prompt text is split before BPE for files without `tokenizer.ggml.pre`
// (../shared/spec/tokenizer.md 3.2): the GPT-2 rules the model was trained with, or
// llama.cpp's "default" fallback for exact llama.cpp parity.
enum class PretokenizerMode { kAuto, kLlamaCompat };

struct LoadOptions {
  std::string text_model_path;  // phi2 GGUF
  std::string mmproj_path;      // clip/mlp GGUF; empty = text-only engine
  int threads = 0;              // 0 = every core
  KvCacheType cache_type = KvCacheType::kF32;
  int context_length = 0;  // 0 = the file's context_length
  PretokenizerMode pretokenizer = PretokenizerMode::kAuto;
};

// Limits and options for turning an uploaded file into model input
// (see src/formats/image_decode.h for the meaning of each).
struct ImageOptions {
  uint64_t max_file_bytes = 20ull << 20;
  uint64_t max_pixels = 100'000'000;  // width * height, checked before decoding
  int max_decode_ms = 10'000;
  int max_image_size = 1280;  // longest side; 0 = no downscale
};

struct SamplingParams {
  float temperature = 0.5f;  // 0 = greedy
  float top_p = 0.3f;        // 1 = off
  int top_k = 0;             // 0 = off
  float min_p = 0.0f;        // 0 = off
  uint64_t seed = 0;         // 0 = from the clock
  int max_tokens = 256;
  std::vector<std::string> stop;  // stop strings (not included in the answer)
  bool ignore_eos = false;
};

struct GenerationStats {
  double image_encode_ms = 0;  // 0 when the picture came from the cache
  int prompt_tokens = 0;       // positions prefilled for this call
  double prefill_ms = 0;
  int generated_tokens = 0;
  double decode_ms = 0;
  // "stop" (EOS or stop string), "length" (max_tokens), "cancelled"
  std::string finish_reason;
  double time_to_first_token_ms = 0;
};

struct Answer {
  std::string text;
  std::vector<int32_t> tokens;  // generated ids
  GenerationStats stats;
};

// Receives each new piece of the answer as soon as it is complete UTF-8. Returning
// false stops generation (finish_reason "cancelled").
using TokenCallback = std::function<bool(std::string_view piece)>;

// Set from any thread to stop a running generation at the next token.
struct CancelFlag {
  std::atomic<bool> cancelled{false};
};

class Engine;

// A picture encoded for the text model: immutable, shareable between sessions and
// cached by the server (keyed by a hash of the file bytes).
class EncodedImage {
 public:
  virtual ~EncodedImage() = default;
  // Bytes of memory this holds (embeddings + prefix KV cache), for cache accounting.
  virtual size_t memory_bytes() const = 0;
  // Decoded size of the picture, before any resizing.
  virtual int width() const = 0;
  virtual int height() const = 0;
  virtual double encode_ms() const = 0;
};

// One conversation: the picture prefix plus the questions and answers so far, laid out
// as in ../shared/spec/model-gguf.md 4.1 ("\n\nQuestion: {q}\n\nAnswer:{a}").
class Session {
 public:
  virtual ~Session() = default;
  // Asks a question, streaming the answer through `on_piece` (may be empty). The
  // question and answer become part of the conversation for the next Ask.
  virtual StatusOr<Answer> Ask(std::string_view question, const SamplingParams& params,
                               const TokenCallback& on_piece, const CancelFlag* cancel) = 0;
  // Number of context positions used so far, and the maximum.
  virtual int positions_used() const = 0;
  virtual int context_length() const = 0;
};

// Defaults of the product modes (../shared/spec/model-gguf.md 4.1; configurable).
struct ModeDefaults {
  std::string long_question = "Describe this image in detail.";
  std::string normal_question = "Describe this image.";
  std::string short_question = "Describe this image in one sentence.";
  int long_max_tokens = 512;
  int normal_max_tokens = 256;
  int short_max_tokens = 64;
  int query_max_tokens = 256;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Loads and cross-checks the model files. Errors name the file and tensor.
  static StatusOr<std::unique_ptr<Engine>> Load(const LoadOptions& options);

  // Decodes (any supported format), preprocesses and encodes a picture: vision tower,
  // projector and the text prefix. Bad pictures give kInvalidArgument / kOutOfRange /
  // kUnsupported with a reason a user can read.
  virtual StatusOr<std::shared_ptr<const EncodedImage>> EncodeImage(
      std::span<const uint8_t> file_bytes, const ImageOptions& options) = 0;

  // A new conversation on `image`, or a text-only one when image is null.
  virtual StatusOr<std::unique_ptr<Session>> NewSession(
      std::shared_ptr<const EncodedImage> image) = 0;

  // Description and metadata for /health, /v1/models and `info`.
  virtual std::string model_name() const = 0;
  virtual int context_length() const = 0;
  virtual bool has_vision() const = 0;
};

}  // namespace md
