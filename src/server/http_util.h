// Small pieces shared by the API handlers: the one JSON error shape (Cloud and OpenAI
// use the same), Status -> HTTP code, data URLs and base64, picture sniffing, and
// noticing that a client hung up.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "server/generation.h"

namespace md::server {

// An error as the API answers it: HTTP status, message, and the machine-readable code.
struct ApiError {
  int http_status = 400;
  std::string message;
  std::string code;   // e.g. "invalid_image", "queue_full"
  std::string param;  // the request field at fault, if any
};

// {"error": {"message", "type", "param", "code"}}.
nlohmann::json ErrorJson(const ApiError& error);

// Writes the error as the response (JSON body; Retry-After on 503).
void WriteError(httplib::Response& res, const ApiError& error, int retry_after_s = 0);

// The HTTP answer for an engine/server Status, by where it failed.
ApiError ErrorFromStatus(const Status& status, Stage stage);

// Decodes standard or URL-safe base64, ignoring whitespace; padding optional.
StatusOr<std::vector<uint8_t>> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::span<const uint8_t> bytes);

// Turns an `image_url` value (data URL or bare base64) into the picture's bytes.
// Remote URLs are refused: the server never fetches from the network. Errors:
// InvalidArgument (400) or Unsupported (415, a data URL of another media type).
StatusOr<std::vector<uint8_t>> DecodeImageUrl(std::string_view url);

// Checks the first bytes of a picture: OK for what the decoder reads (JPEG, PNG, WebP,
// GIF, BMP), Unsupported for other known formats (TIFF, HEIC, PDF, SVG, ...), InvalidArgument for bytes that
// are no picture at all. The decoder still has the last word.
Status SniffImage(std::span<const uint8_t> bytes);

// The socket of the connection that carries `req` (this thread's connection), or -1.
int FindConnectionSocket(const httplib::Request& req);

// True if the peer closed the connection (EOF or error pending on `fd`).
bool PeerClosed(int fd);

// The body as JSON, or the error to answer (empty body, malformed, not an object, wrong
// Content-Type).
bool ParseJsonBody(const httplib::Request& req, const std::string& body, nlohmann::json* out,
                   ApiError* error);

}  // namespace md::server
