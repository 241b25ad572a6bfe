// Server configuration: defaults, config.yaml (yaml-cpp) and command-line overrides.
// Every key is documented with its default in docs/server.md and config.example.yaml.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "moondream/engine.h"

namespace md::server {

// Sampling and prompt of one product mode (caption long / normal / short, query).
struct ModeConfig {
  std::string prompt;  // the question sent to the model (empty for query)
  int max_tokens = 256;
  float temperature = 0.5f;
  float top_p = 0.3f;
};

struct ServerConfig {
  // Network.
  std::string host = "127.0.0.1";
  int port = 7860;
  std::string api_key;                    // empty = no auth
  std::vector<std::string> cors_origins;  // empty = same origin only; "*" = any
  std::string log_level = "info";         // trace, debug, info, warn, error, off

  // Model files (paths relative to the working directory).
  std::string text_model;          // phi2 GGUF
  std::string mmproj;              // clip/mlp GGUF
  std::string models_dir = "models";
  int threads = 0;                 // 0 = every core
  int context_length = 0;          // 0 = the file's
  std::string kv_cache = "f16";    // f16 | f32
  bool demo = false;               // serve the random-weight fixtures

  // Limits on what clients send.
  uint64_t max_upload_bytes = 20ull << 20;  // whole HTTP body, checked while reading
  uint64_t max_pixels = 50'000'000;         // width * height, checked before decoding
  int max_image_size = 1280;                // longest side after downscale
  int decode_timeout_ms = 10'000;
  int max_question_chars = 4000;            // bytes of UTF-8 in one question

  // The queue in front of the engine.
  int queue_length = 32;          // requests waiting or running before 503
  int request_timeout_s = 120;    // from arrival to the last token
  int retry_after_s = 5;          // Retry-After on a 503

  // HTTP connection handling.
  int read_timeout_s = 30;   // a client that sends nothing for this long is dropped
  int write_timeout_s = 30;  // a client that reads nothing for this long is dropped
  int http_threads = 0;      // 0 = queue_length + 16
  int drain_timeout_s = 30;  // on SIGTERM, how long running requests may finish

  // Encoded-picture cache.
  uint64_t image_cache_bytes = 1024ull << 20;

  // Modes.
  ModeConfig caption_long{"Describe this image in detail.", 512};
  ModeConfig caption_normal{"Describe this image.", 256};
  ModeConfig caption_short{"Describe this image in one sentence.", 64};
  ModeConfig query{"", 256};
};

// Reads a YAML file into `config` (keys not in the file keep their values). Unknown
// keys are errors, so a typo does not silently do nothing.
Status LoadConfigFile(const std::string& path, ServerConfig* config);

// Parses YAML text (the content of a config file) into `config`.
Status LoadConfigYaml(const std::string& yaml_text, ServerConfig* config);

// Applies "dotted.key=value" (the same keys as the YAML file, e.g.
// "queue.length=64", "cors_origins=[*]"), as given by `--set`.
Status ApplyOverride(const std::string& assignment, ServerConfig* config);

// Checks ranges (port, positive limits, ...). Returns a message naming the key.
Status ValidateConfig(const ServerConfig& config);

// The engine's picture options from the limits above.
ImageOptions ImageOptionsFrom(const ServerConfig& config);

}  // namespace md::server
