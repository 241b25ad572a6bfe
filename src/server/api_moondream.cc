// The official Moondream API (../shared/spec/api.md sections 2-5): caption and query,
// plain or streamed; detect / point / segment answer 501 with the GGUF models.
#include <spdlog/spdlog.h>

#include "server/server_state.h"

namespace md::server {
namespace {

using nlohmann::json;

// Reads `image_url` (required or optional) into *bytes; writes the error otherwise.
bool ImageFromBody(json& body, bool required, std::vector<uint8_t>* bytes, ApiError* error) {
  auto it = body.find("image_url");
  if (it == body.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty())) {
    if (!required) return true;
    *error = {400, "'image_url' is required: a data URL (data:image/jpeg;base64,...) or bare base64",
              "missing_field", "image_url"};
    return false;
  }
  if (!it->is_string()) {
    *error = {400, "'image_url' must be a string", "invalid_parameter", "image_url"};
    return false;
  }
  auto decoded = DecodeImageUrl(it->get_ref<const std::string&>());
  if (!decoded.ok()) {
    *error = ErrorFromStatus(decoded.status(), Stage::kImage);
    return false;
  }
  Status sniff = SniffImage(*decoded);
  if (!sniff.ok()) {
    *error = ErrorFromStatus(sniff, Stage::kImage);
    return false;
  }
  *bytes = std::move(decoded).value();
  *it = nullptr;  // the base64 text is not needed while the request waits
  return true;
}

bool StreamFlag(const json& body, bool* stream, ApiError* error) {
  auto it = body.find("stream");
  *stream = false;
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_boolean()) {
    *error = {400, "'stream' must be true or false", "invalid_parameter", "stream"};
    return false;
  }
  *stream = it->get<bool>();
  return true;
}

// Runs a caption or query and answers with `key` ("caption" / "answer").
void RunSkill(ServerState& state, const httplib::Request& req, httplib::Response& res,
              GenerationInput input, bool stream, const std::string& key) {
  int fd = -1;
  std::shared_ptr<Job> job = StartJob(state, std::move(input), req, res, &fd);
  if (job == nullptr) return;
  std::string request_id = RequestId(res);
  if (stream) {
    SseFormat f;
    f.chunk_event = [request_id](const std::string& text) {
      return SseData({{"chunk", text}, {"completed", false}, {"request_id", request_id}});
    };
    f.end_events = [request_id](const Job& j) {
      return SseData({{"chunk", ""},
                      {"completed", true},
                      {"request_id", request_id},
                      {"finish_reason", j.answer().stats.finish_reason},
                      {"metrics", MetricsJson(j)}});
    };
    f.error_event = [request_id](const ApiError& e) {
      json j = ErrorJson(e);
      j["completed"] = true;
      j["request_id"] = request_id;
      return SseData(j);
    };
    StreamJob(state, job, fd, res, std::move(f));
    return;
  }
  std::string text;
  if (!CollectJob(state, *job, fd, res, &text)) return;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  json out = {{"request_id", request_id},
              {key, text},
              {"metrics", MetricsJson(*job)},
              {"finish_reason", job->answer().stats.finish_reason}};
  res.set_content(out.dump() + "\n", "application/json");
}

void NotSupported(httplib::Server& svr, ServerState& state, const std::string& path,
                  const std::string& skill) {
  PostJson(svr, state, path, [skill](const httplib::Request&, httplib::Response& res, json&) {
    WriteError(res, {501,
                     skill + " needs a Moondream model with a region head; the loaded GGUF model "
                             "(text + mmproj) can caption and answer questions only",
                     "not_implemented", ""});
  });
}

}  // namespace

void RegisterMoondreamApi(httplib::Server& svr, ServerState& state) {
  PostJson(svr, state, "/v1/caption",
           [&state](const httplib::Request& req, httplib::Response& res, json& body) {
             ApiError error;
             std::string length = "normal";
             auto it = body.find("length");
             if (it != body.end() && !it->is_null()) {
               if (!it->is_string()) {
                 WriteError(res, {400, "'length' must be \"short\", \"normal\" or \"long\"",
                                  "invalid_parameter", "length"});
                 return;
               }
               length = it->get<std::string>();
             }
             const ModeConfig* mode = length == "short"    ? &state.config.caption_short
                                      : length == "normal" ? &state.config.caption_normal
                                      : length == "long"   ? &state.config.caption_long
                                                           : nullptr;
             if (mode == nullptr) {
               WriteError(res, {400, "unknown length '" + length +
                                         "': use \"short\", \"normal\" or \"long\"",
                                "invalid_parameter", "length"});
               return;
             }
             bool stream = false;
             GenerationInput input;
             input.kind = "caption";
             input.question = mode->prompt;
             if (!StreamFlag(body, &stream, &error) ||
                 !SamplingFrom(*mode, body.value("settings", json()), &input.params, &error) ||
                 !ImageFromBody(body, true, &input.image, &error)) {
               WriteError(res, error);
               return;
             }
             RunSkill(state, req, res, std::move(input), stream, "caption");
           });

  PostJson(svr, state, "/v1/query",
           [&state](const httplib::Request& req, httplib::Response& res, json& body) {
             ApiError error;
             auto q = body.find("question");
             if (q == body.end() || q->is_null()) {
               WriteError(res, {400, "'question' is required", "missing_field", "question"});
               return;
             }
             if (!q->is_string()) {
               WriteError(res, {400, "'question' must be a string", "invalid_parameter", "question"});
               return;
             }
             std::string question = q->get<std::string>();
             if (question.find_first_not_of(" \t\r\n") == std::string::npos) {
               WriteError(res, {400, "'question' is empty", "missing_field", "question"});
               return;
             }
             if (question.size() > static_cast<size_t>(state.config.max_question_chars)) {
               WriteError(res, {400, "'question' is too long: " + std::to_string(question.size()) +
                                         " bytes, the limit is " +
                                         std::to_string(state.config.max_question_chars) +
                                         " (limits.max_question_chars)",
                                "question_too_long", "question"});
               return;
             }
             auto reasoning = body.find("reasoning");
             if (reasoning != body.end() && reasoning->is_boolean() && reasoning->get<bool>()) {
               spdlog::debug("req={} reasoning requested; GGUF models have no reasoning mode",
                             RequestId(res));
             }
             bool stream = false;
             GenerationInput input;
             input.kind = "query";
             input.question = std::move(question);
             if (!StreamFlag(body, &stream, &error) ||
                 !SamplingFrom(state.config.query, body.value("settings", json()), &input.params,
                               &error) ||
                 !ImageFromBody(body, false, &input.image, &error)) {
               WriteError(res, error);
               return;
             }
             RunSkill(state, req, res, std::move(input), stream, "answer");
           });

  NotSupported(svr, state, "/v1/detect", "detect");
  NotSupported(svr, state, "/v1/point", "point");
  NotSupported(svr, state, "/v1/segment", "segment");
}

}  // namespace md::server
