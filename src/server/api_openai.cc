// The OpenAI Chat Completions subset (../shared/spec/api.md section 7). Moondream has no
// chat template: the conversation is laid out as Question/Answer turns after the picture
// (model-gguf.md 4.1), the picture (one per conversation, data URL only) first.
#include <chrono>
#include <random>

#include "server/server_state.h"

namespace md::server {
namespace {

using nlohmann::json;

struct Conversation {
  std::vector<uint8_t> image;
  std::string question;  // the turns folded into the text the session asks
};

// Text of a message's content (string, or the text parts of an array). Image parts are
// decoded into *image (at most one distinct picture per conversation).
bool ContentText(const json& content, bool user, std::string* text, std::vector<uint8_t>* image,
                 ApiError* error) {
  if (content.is_null()) return true;
  if (content.is_string()) {
    *text = content.get<std::string>();
    return true;
  }
  if (!content.is_array()) {
    *error = {400, "message 'content' must be a string or an array of parts", "invalid_parameter",
              "messages"};
    return false;
  }
  for (const json& part : content) {
    std::string type = part.is_object() && part.contains("type") && part["type"].is_string()
                           ? part["type"].get<std::string>()
                           : "";
    if (type == "text") {
      if (!part.contains("text") || !part["text"].is_string()) {
        *error = {400, "a text part needs a string 'text'", "invalid_parameter", "messages"};
        return false;
      }
      if (!text->empty()) *text += "\n";
      *text += part["text"].get<std::string>();
    } else if (type == "image_url") {
      if (!user) {
        *error = {400, "pictures are allowed only in user messages", "invalid_parameter", "messages"};
        return false;
      }
      const json* url = nullptr;
      if (part.contains("image_url")) {
        const json& iu = part["image_url"];
        if (iu.is_string()) url = &iu;
        if (iu.is_object() && iu.contains("url") && iu["url"].is_string()) url = &iu["url"];
      }
      if (url == nullptr) {
        *error = {400, "an image_url part needs 'image_url': {'url': 'data:image/...;base64,...'}",
                  "invalid_parameter", "messages"};
        return false;
      }
      auto bytes = DecodeImageUrl(url->get_ref<const std::string&>());
      if (!bytes.ok()) {
        *error = ErrorFromStatus(bytes.status(), Stage::kImage);
        error->param = "messages";
        return false;
      }
      Status sniff = SniffImage(*bytes);
      if (!sniff.ok()) {
        *error = ErrorFromStatus(sniff, Stage::kImage);
        error->param = "messages";
        return false;
      }
      if (!image->empty() && *image != *bytes) {
        *error = {400, "only one picture per conversation is supported; start a new "
                       "conversation for another picture",
                  "too_many_images", "messages"};
        return false;
      }
      *image = std::move(bytes).value();
    } else {
      *error = {400, "unsupported content part type '" + type + "' (use text or image_url)",
                "invalid_parameter", "messages"};
      return false;
    }
  }
  return true;
}

// Folds the messages into one question: the session lays out "\n\nQuestion: {q}\n\nAnswer:",
// so earlier turns become "q1\n\nAnswer: a1\n\nQuestion: q2 ..." inside it.
bool BuildConversation(const json& messages, int max_chars, Conversation* conv, ApiError* error) {
  if (!messages.is_array() || messages.empty()) {
    *error = {400, "'messages' must be a non-empty array", "missing_field", "messages"};
    return false;
  }
  std::string system;
  std::vector<std::pair<std::string, std::string>> turns;  // (user, assistant)
  bool last_is_user = false;
  for (const json& m : messages) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      *error = {400, "each message needs a string 'role'", "invalid_parameter", "messages"};
      return false;
    }
    std::string role = m["role"].get<std::string>();
    std::string text;
    static const json kNull;
    const json& content = m.contains("content") ? m["content"] : kNull;  // no copy
    if (!ContentText(content, role == "user", &text, &conv->image, error)) return false;
    if (role == "system" || role == "developer") {
      if (!system.empty()) system += "\n\n";
      system += text;
    } else if (role == "user") {
      if (last_is_user) {
        turns.back().first += "\n\n" + text;
      } else {
        turns.push_back({text, ""});
      }
      last_is_user = true;
    } else if (role == "assistant") {
      if (turns.empty()) {
        turns.push_back({"", text});
      } else {
        turns.back().second += text;
      }
      last_is_user = false;
    } else if (role == "tool" || role == "function") {
      continue;  // no tools here; their output is not part of a Moondream turn
    } else {
      *error = {400, "unknown message role '" + role + "'", "invalid_parameter", "messages"};
      return false;
    }
  }
  if (!last_is_user || turns.empty() ||
      turns.back().first.find_first_not_of(" \t\r\n") == std::string::npos) {
    *error = {400, "the last message must be a user message with text", "invalid_parameter",
              "messages"};
    return false;
  }
  if (!system.empty()) turns.front().first = system + "\n\n" + turns.front().first;
  std::string q;
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i > 0) q += "\n\nQuestion: ";
    q += turns[i].first;
    if (i + 1 < turns.size()) {
      std::string a = turns[i].second;
      size_t start = a.find_first_not_of(" \t\r\n");
      a = start == std::string::npos ? "" : a.substr(start);
      q += "\n\nAnswer: " + a;
    }
  }
  if (q.size() > static_cast<size_t>(max_chars)) {
    *error = {400, "the conversation is too long: " + std::to_string(q.size()) +
                       " bytes of text, the limit is " + std::to_string(max_chars) +
                       " (limits.max_question_chars); start a new conversation",
              "context_length_exceeded", "messages"};
    return false;
  }
  conv->question = std::move(q);
  return true;
}

std::string CompletionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "chatcmpl-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

json ModelsJson(ServerState& state) {
  std::string label;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    label = state.model_label.empty() ? "moondream2" : state.model_label;
  }
  json data = json::array({{{"id", label}, {"object", "model"}, {"created", 0},
                            {"owned_by", "moondream-local"}}});
  json station = json::array({{{"id", label}, {"name", label},
                               {"description", "Moondream2 (GGUF) served by moondream-local"},
                               {"version", MD_VERSION}}});
  return {{"object", "list"}, {"data", data}, {"models", station}};
}

void ChatCompletions(ServerState& state, const httplib::Request& req, httplib::Response& res,
                     json& body) {
  ApiError error;
  Conversation conv;
  static const json kNull;
  const json& messages = body.contains("messages") ? body["messages"] : kNull;  // no copy
  if (!BuildConversation(messages,
                         state.config.max_question_chars, &conv, &error)) {
    WriteError(res, error);
    return;
  }
  body["messages"] = nullptr;  // copied into conv; free the base64 pictures now
  if (body.contains("n") && body["n"].is_number() && body["n"].get<double>() != 1) {
    WriteError(res, {400, "'n' must be 1: one answer per request", "invalid_parameter", "n"});
    return;
  }
  json overrides = json::object();
  for (const char* k : {"temperature", "top_p", "top_k", "seed"}) {
    if (body.contains(k)) overrides[k] = body[k];
  }
  if (body.contains("max_tokens") && !body["max_tokens"].is_null()) {
    overrides["max_tokens"] = body["max_tokens"];
  }
  if (body.contains("max_completion_tokens") && !body["max_completion_tokens"].is_null()) {
    overrides["max_tokens"] = body["max_completion_tokens"];
  }
  GenerationInput input;
  input.kind = "chat";
  if (!SamplingFrom(state.config.query, overrides, &input.params, &error)) {
    WriteError(res, error);
    return;
  }
  if (body.contains("stop")) {
    const json& stop = body["stop"];
    if (stop.is_string()) {
      input.params.stop.push_back(stop.get<std::string>());
    } else if (stop.is_array()) {
      for (const json& s : stop) {
        if (!s.is_string()) {
          WriteError(res, {400, "'stop' must be a string or an array of strings",
                           "invalid_parameter", "stop"});
          return;
        }
        input.params.stop.push_back(s.get<std::string>());
      }
    } else if (!stop.is_null()) {
      WriteError(res, {400, "'stop' must be a string or an array of strings", "invalid_parameter",
                       "stop"});
      return;
    }
  }
  bool stream = false;
  if (body.contains("stream") && !body["stream"].is_null()) {
    if (!body["stream"].is_boolean()) {
      WriteError(res, {400, "'stream' must be true or false", "invalid_parameter", "stream"});
      return;
    }
    stream = body["stream"].get<bool>();
  }
  bool include_usage = false;
  if (body.contains("stream_options") && body["stream_options"].is_object()) {
    const json& so = body["stream_options"];
    include_usage = so.contains("include_usage") && so["include_usage"].is_boolean() &&
                    so["include_usage"].get<bool>();
  }
  std::string model = body.contains("model") && body["model"].is_string()
                          ? body["model"].get<std::string>()
                          : ModelsJson(state)["data"][0]["id"].get<std::string>();
  input.image = std::move(conv.image);
  input.question = std::move(conv.question);

  int fd = -1;
  std::shared_ptr<Job> job = StartJob(state, std::move(input), req, res, &fd);
  if (job == nullptr) return;
  std::string id = CompletionId();
  int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  auto usage = [](const Job& j) {
    const GenerationStats& s = j.answer().stats;
    int prompt = s.prompt_tokens + j.prefix_positions();  // the picture counts, as at OpenAI
    return json{{"prompt_tokens", prompt},
                {"completion_tokens", s.generated_tokens},
                {"total_tokens", prompt + s.generated_tokens}};
  };
  auto finish = [](const Job& j) {
    const std::string& r = j.answer().stats.finish_reason;
    return r == "length" ? "length" : "stop";
  };
  if (stream) {
    auto chunk = [id, created, model](json delta, json finish_reason) {
      return SseData({{"id", id},
                      {"object", "chat.completion.chunk"},
                      {"created", created},
                      {"model", model},
                      {"choices", json::array({{{"index", 0},
                                                {"delta", std::move(delta)},
                                                {"finish_reason", std::move(finish_reason)}}})}});
    };
    SseFormat f;
    f.first_event = chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
    f.chunk_event = [chunk](const std::string& text) { return chunk({{"content", text}}, nullptr); };
    f.end_events = [=](const Job& j) {
      std::string out = chunk(json::object(), finish(j));
      if (include_usage) {
        out += SseData({{"id", id}, {"object", "chat.completion.chunk"}, {"created", created},
                        {"model", model}, {"choices", json::array()}, {"usage", usage(j)}});
      }
      return out + "data: [DONE]\n\n";
    };
    f.error_event = [](const ApiError& e) { return SseData(ErrorJson(e)) + "data: [DONE]\n\n"; };
    StreamJob(state, job, fd, res, std::move(f));
    return;
  }
  std::string text;
  if (!CollectJob(state, *job, fd, res, &text)) return;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  json out = {{"id", id},
              {"object", "chat.completion"},
              {"created", created},
              {"model", model},
              {"choices", json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", text}}},
                                        {"finish_reason", finish(*job)}}})},
              {"usage", usage(*job)}};
  res.set_content(out.dump() + "\n", "application/json");
}

}  // namespace

void RegisterOpenAiApi(httplib::Server& svr, ServerState& state) {
  auto chat = [&state](const httplib::Request& req, httplib::Response& res, json& body) {
    ChatCompletions(state, req, res, body);
  };
  PostJson(svr, state, "/v1/chat/completions", chat);
  PostJson(svr, state, "/chat/completions", chat);
  auto models = [&state](const httplib::Request&, httplib::Response& res) {
    res.set_content(ModelsJson(state).dump() + "\n", "application/json");
  };
  svr.Get("/v1/models", models);
  svr.Get("/models", models);
}

}  // namespace md::server
