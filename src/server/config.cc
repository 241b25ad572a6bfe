#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <deque>
#include <fstream>
#include <functional>
#include <sstream>

namespace md::server {
namespace {

using Setter = std::function<void(const YAML::Node&, ServerConfig*)>;

struct Key {
  const char* path;
  Setter set;
};

template <typename T>
Setter Field(T ServerConfig::*member) {
  return [member](const YAML::Node& n, ServerConfig* c) { c->*member = n.as<T>(); };
}

Setter ModeField(ModeConfig ServerConfig::*mode, std::string ModeConfig::*member) {
  return [=](const YAML::Node& n, ServerConfig* c) { (c->*mode).*member = n.as<std::string>(); };
}
Setter ModeField(ModeConfig ServerConfig::*mode, int ModeConfig::*member) {
  return [=](const YAML::Node& n, ServerConfig* c) { (c->*mode).*member = n.as<int>(); };
}
Setter ModeField(ModeConfig ServerConfig::*mode, float ModeConfig::*member) {
  return [=](const YAML::Node& n, ServerConfig* c) { (c->*mode).*member = n.as<float>(); };
}

// The one table of config keys: YAML path -> field. docs/server.md lists the same keys.
const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = [] {
    std::vector<Key> k = {
        {"host", Field(&ServerConfig::host)},
        {"port", Field(&ServerConfig::port)},
        {"api_key", Field(&ServerConfig::api_key)},
        {"cors_origins",
         [](const YAML::Node& n, ServerConfig* c) {
           c->cors_origins.clear();
           if (n.IsScalar()) {
             if (!n.as<std::string>().empty()) c->cors_origins.push_back(n.as<std::string>());
             return;
           }
           for (const auto& item : n) c->cors_origins.push_back(item.as<std::string>());
         }},
        {"log_level", Field(&ServerConfig::log_level)},
        {"demo", Field(&ServerConfig::demo)},
        {"model.text", Field(&ServerConfig::text_model)},
        {"model.mmproj", Field(&ServerConfig::mmproj)},
        {"model.dir", Field(&ServerConfig::models_dir)},
        {"model.threads", Field(&ServerConfig::threads)},
        {"model.context_length", Field(&ServerConfig::context_length)},
        {"model.kv_cache", Field(&ServerConfig::kv_cache)},
        {"limits.max_upload_mb",
         [](const YAML::Node& n, ServerConfig* c) {
           double mb = n.as<double>();
           if (!(mb > 0 && mb < 1e6)) throw YAML::Exception(n.Mark(), "must be in (0, 1e6)");
           c->max_upload_bytes = static_cast<uint64_t>(mb * 1024 * 1024);
         }},
        {"limits.max_pixels", Field(&ServerConfig::max_pixels)},
        {"limits.max_image_size", Field(&ServerConfig::max_image_size)},
        {"limits.decode_timeout_ms", Field(&ServerConfig::decode_timeout_ms)},
        {"limits.max_question_chars", Field(&ServerConfig::max_question_chars)},
        {"queue.length", Field(&ServerConfig::queue_length)},
        {"queue.request_timeout_s", Field(&ServerConfig::request_timeout_s)},
        {"queue.retry_after_s", Field(&ServerConfig::retry_after_s)},
        {"http.read_timeout_s", Field(&ServerConfig::read_timeout_s)},
        {"http.write_timeout_s", Field(&ServerConfig::write_timeout_s)},
        {"http.threads", Field(&ServerConfig::http_threads)},
        {"http.drain_timeout_s", Field(&ServerConfig::drain_timeout_s)},
        {"cache.max_mb",
         [](const YAML::Node& n, ServerConfig* c) {
           double mb = n.as<double>();
           if (!(mb >= 0 && mb < 1e7)) throw YAML::Exception(n.Mark(), "must be in [0, 1e7)");
           c->image_cache_bytes = static_cast<uint64_t>(mb * 1024 * 1024);
         }},
    };
    const std::pair<const char*, ModeConfig ServerConfig::*> modes[] = {
        {"long", &ServerConfig::caption_long},
        {"normal", &ServerConfig::caption_normal},
        {"short", &ServerConfig::caption_short},
        {"query", &ServerConfig::query}};
    static std::deque<std::string> names;  // keeps the paths' c_str()s alive
    auto add = [&](const std::string& path, Setter set) {
      names.push_back(path);
      k.push_back({names.back().c_str(), std::move(set)});
    };
    for (const auto& [name, mode] : modes) {
      std::string base = std::string("modes.") + name + ".";
      if (mode != &ServerConfig::query) add(base + "prompt", ModeField(mode, &ModeConfig::prompt));
      add(base + "max_tokens", ModeField(mode, &ModeConfig::max_tokens));
      add(base + "temperature", ModeField(mode, &ModeConfig::temperature));
      add(base + "top_p", ModeField(mode, &ModeConfig::top_p));
    }
    return k;
  }();
  return keys;
}

const Key* FindKey(const std::string& path) {
  for (const Key& k : Keys()) {
    if (path == k.path) return &k;
  }
  return nullptr;
}

bool IsPrefixOfKey(const std::string& prefix) {
  for (const Key& k : Keys()) {
    std::string p = k.path;
    if (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
        p[prefix.size()] == '.') {
      return true;
    }
  }
  return false;
}

Status SetKey(const std::string& path, const YAML::Node& value, ServerConfig* config) {
  const Key* key = FindKey(path);
  if (key == nullptr) return InvalidArgument("unknown config key '" + path + "'");
  try {
    key->set(value, config);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config key '" + path + "': bad value (" + e.msg + ")");
  }
  return Status::Ok();
}

Status Walk(const YAML::Node& node, const std::string& prefix, ServerConfig* config) {
  for (const auto& item : node) {
    std::string name;
    try {
      name = item.first.as<std::string>();
    } catch (const YAML::Exception&) {
      return InvalidArgument("config: a key under '" + prefix + "' is not a string");
    }
    std::string path = prefix.empty() ? name : prefix + "." + name;
    const YAML::Node& value = item.second;
    if (value.IsMap() && IsPrefixOfKey(path)) {
      MD_RETURN_IF_ERROR(Walk(value, path, config));
    } else if (value.IsNull()) {
      continue;  // "key:" with nothing keeps the default
    } else {
      MD_RETURN_IF_ERROR(SetKey(path, value, config));
    }
  }
  return Status::Ok();
}

}  // namespace

Status LoadConfigYaml(const std::string& yaml_text, ServerConfig* config) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("config is not valid YAML: ") + e.what());
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return InvalidArgument("config must be a YAML mapping of keys to values");
  return Walk(root, "", config);
}

Status LoadConfigFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read config file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadConfigYaml(ss.str(), config).WithContext(path);
}

Status ApplyOverride(const std::string& assignment, ServerConfig* config) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument("--set expects key=value, got '" + assignment + "'");
  }
  std::string key = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("--set " + key + ": bad value (" + e.msg + ")");
  }
  if (value.IsNull()) value = YAML::Node(std::string());
  return SetKey(key, value, config);
}

Status ValidateConfig(const ServerConfig& c) {
  auto bad = [](const std::string& key, const std::string& why) {
    return InvalidArgument("config key '" + key + "' " + why);
  };
  if (c.port < 0 || c.port > 65535) return bad("port", "must be in 0..65535");
  if (c.threads < 0) return bad("model.threads", "must be >= 0");
  if (c.context_length < 0) return bad("model.context_length", "must be >= 0");
  if (c.kv_cache != "f32" && c.kv_cache != "f16") return bad("model.kv_cache", "must be f32 or f16");
  if (c.max_upload_bytes < 1024) return bad("limits.max_upload_mb", "must be at least 1 KB");
  if (c.max_pixels < 1) return bad("limits.max_pixels", "must be positive");
  if (c.max_image_size < 0) return bad("limits.max_image_size", "must be >= 0 (0 = no downscale)");
  if (c.decode_timeout_ms < 1) return bad("limits.decode_timeout_ms", "must be positive");
  if (c.max_question_chars < 1) return bad("limits.max_question_chars", "must be positive");
  if (c.queue_length < 1 || c.queue_length > 100000) return bad("queue.length", "must be in 1..100000");
  if (c.request_timeout_s < 1) return bad("queue.request_timeout_s", "must be positive");
  if (c.retry_after_s < 0) return bad("queue.retry_after_s", "must be >= 0");
  if (c.read_timeout_s < 1) return bad("http.read_timeout_s", "must be positive");
  if (c.write_timeout_s < 1) return bad("http.write_timeout_s", "must be positive");
  if (c.http_threads < 0 || c.http_threads > 4096) return bad("http.threads", "must be in 0..4096");
  if (c.drain_timeout_s < 0) return bad("http.drain_timeout_s", "must be >= 0");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= c.log_level == l;
  if (!level_ok) return bad("log_level", "must be one of trace, debug, info, warn, error, off");
  const std::pair<const char*, const ModeConfig*> modes[] = {{"modes.long", &c.caption_long},
                                                             {"modes.normal", &c.caption_normal},
                                                             {"modes.short", &c.caption_short},
                                                             {"modes.query", &c.query}};
  for (const auto& [name, m] : modes) {
    std::string n = name;
    if (m->max_tokens < 1 || m->max_tokens > 100000) return bad(n + ".max_tokens", "must be in 1..100000");
    if (!(m->temperature >= 0 && m->temperature <= 10)) return bad(n + ".temperature", "must be in [0, 10]");
    if (!(m->top_p > 0 && m->top_p <= 1)) return bad(n + ".top_p", "must be in (0, 1]");
    if (m != &c.query && m->prompt.empty()) return bad(n + ".prompt", "must not be empty");
  }
  return Status::Ok();
}

ImageOptions ImageOptionsFrom(const ServerConfig& c) {
  ImageOptions o;
  o.max_file_bytes = c.max_upload_bytes;
  o.max_pixels = c.max_pixels;
  o.max_decode_ms = c.decode_timeout_ms;
  o.max_image_size = c.max_image_size;
  return o;
}

}  // namespace md::server
