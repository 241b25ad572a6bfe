#include "server/http_util.h"

#include "formats/image_decode.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>

namespace md::server {

nlohmann::json ErrorJson(const ApiError& e) {
  const char* type = "invalid_request_error";
  if (e.http_status == 401) type = "authentication_error";
  if (e.http_status == 404) type = "not_found_error";
  if (e.http_status == 501) type = "not_implemented_error";
  if (e.http_status == 503 || e.http_status == 429) type = "server_busy_error";
  if (e.http_status == 504) type = "timeout_error";
  if (e.http_status >= 500 && e.http_status != 501 && e.http_status != 503 &&
      e.http_status != 504) {
    type = "server_error";
  }
  nlohmann::json err = {{"message", e.message}, {"type", type},
                        {"param", e.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.param)},
                        {"code", e.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.code)}};
  return {{"error", err}};
}

void WriteError(httplib::Response& res, const ApiError& error, int retry_after_s) {
  res.status = error.http_status;
  if ((error.http_status == 503 || error.http_status == 429) && retry_after_s > 0) {
    res.set_header("Retry-After", std::to_string(retry_after_s));
  }
  res.set_content(ErrorJson(error).dump() + "\n", "application/json");
}

ApiError ErrorFromStatus(const Status& s, Stage stage) {
  ApiError e;
  e.message = s.message();
  e.code = StatusCodeName(s.code());
  bool image = stage == Stage::kImage;
  switch (s.code()) {
    case StatusCode::kOk:
      e.http_status = 200;
      break;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kDataLoss:
      e.http_status = 400;
      if (image) e.code = "invalid_image";
      break;
    case StatusCode::kOutOfRange:
      // A picture over the pixel or size limit is "too large"; a prompt over the
      // context length is a bad request.
      e.http_status = image ? 413 : 400;
      e.code = image ? "image_too_large" : "context_length_exceeded";
      break;
    case StatusCode::kUnsupported:
      e.http_status = image ? 415 : 501;
      e.code = image ? "unsupported_image_type" : "not_implemented";
      break;
    case StatusCode::kResourceExhausted:
      e.http_status = 503;
      e.code = "queue_full";
      break;
    case StatusCode::kCancelled:
      e.http_status = 499;  // nginx's "client closed request"; nobody reads it
      break;
    case StatusCode::kDeadlineExceeded:
      // Decoding past its time budget is a hostile picture (decompression bomb); a
      // generation past the request timeout is the server's problem.
      e.http_status = image ? 413 : 504;
      e.code = image ? "image_too_large" : "timeout";
      break;
    case StatusCode::kUnavailable:
      e.http_status = 503;
      e.code = "unavailable";
      break;
    case StatusCode::kInternal:
      e.http_status = 500;
      e.code = "internal";
      break;
  }
  if (image) e.param = "image_url";
  return e;
}

StatusOr<std::vector<uint8_t>> DecodeBase64(std::string_view text) {
  static const auto table = [] {
    std::array<int8_t, 256> t;
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(a[i])] = static_cast<int8_t>(i);
    t['-'] = 62;  // URL-safe alphabet
    t['_'] = 63;
    return t;
  }();
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (size_t i = 0; i < text.size(); ++i) {
    uint8_t c = static_cast<uint8_t>(text[i]);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = table[c];
    if (v < 0 || padding) {
      return InvalidArgument("image_url is not valid base64 (bad character at offset " +
                             std::to_string(i) + ")");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (bits >= 6) return InvalidArgument("image_url is not valid base64 (truncated)");
  return out;
}

std::string EncodeBase64(std::span<const uint8_t> bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += a[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = bytes[i] << 16;
    if (i + 1 < bytes.size()) v |= bytes[i + 1] << 8;
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

StatusOr<std::vector<uint8_t>> DecodeImageUrl(std::string_view url) {
  auto starts = [&](std::string_view p) {
    if (url.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != p[i]) return false;
    }
    return true;
  };
  if (starts("http://") || starts("https://") || starts("file:") || starts("ftp://")) {
    return InvalidArgument(
        "image_url must be a data URL (data:image/jpeg;base64,...) or bare base64: this "
        "server never fetches pictures from the network");
  }
  std::string_view payload = url;
  if (starts("data:")) {
    size_t comma = url.find(',');
    if (comma == std::string_view::npos) {
      return InvalidArgument("image_url data URL has no ',' before the payload");
    }
    std::string_view meta = url.substr(5, comma - 5);
    if (meta.size() < 7 || meta.substr(meta.size() - 7) != ";base64") {
      return InvalidArgument("image_url data URL must be base64 encoded (data:image/...;base64,...)");
    }
    std::string_view mime = meta.substr(0, meta.find(';'));
    if (!mime.empty() && mime.substr(0, 6) != "image/" && mime != "application/octet-stream") {
      return Unsupported("image_url has media type '" + std::string(mime) +
                         "'; send a picture (JPEG, PNG, GIF or WebP)");
    }
    payload = url.substr(comma + 1);
  }
  MD_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, DecodeBase64(payload));
  if (bytes.empty()) return InvalidArgument("image_url holds an empty picture");
  return bytes;
}

Status SniffImage(std::span<const uint8_t> b) {
  if (DetectImageFormat(b) != ImageFormat::kUnknown) return Status::Ok();
  using namespace std::string_view_literals;  // "..."sv keeps embedded NULs
  auto has = [&](size_t off, std::string_view magic) {
    return b.size() >= off + magic.size() &&
           std::memcmp(b.data() + off, magic.data(), magic.size()) == 0;
  };
  const char* other = nullptr;
  if (has(0, "II*\0"sv) || has(0, "MM\0*"sv)) other = "TIFF";
  if (has(4, "ftypheic"sv) || has(4, "ftypheix"sv) || has(4, "ftypmif1"sv) || has(4, "ftypavif"sv)) {
    other = "HEIC/AVIF";
  }
  if (has(0, "%PDF"sv)) other = "PDF";
  if (has(0, "<svg"sv) || has(0, "<?xml"sv)) other = "SVG/XML";
  if (has(0, "\0\0\1\0"sv)) other = "ICO";
  if (has(0, "\xFF\x0A"sv) || has(0, "\0\0\0\x0CJXL "sv)) other = "JPEG XL";
  if (other != nullptr) {
    return Unsupported(std::string("unsupported picture type ") + other +
                       "; send JPEG, PNG, WebP, GIF or BMP");
  }
  return InvalidArgument("the uploaded bytes are not a picture (not JPEG, PNG, WebP, GIF or BMP)");
}

int FindConnectionSocket(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd < 0) continue;
    struct stat st;
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage peer{}, local{};
    socklen_t plen = sizeof(peer), llen = sizeof(local);
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &plen) != 0) continue;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &llen) != 0) continue;
    char host[INET6_ADDRSTRLEN] = {};
    int peer_port = -1, local_port = -1;
    if (peer.ss_family == AF_INET) {
      auto* p = reinterpret_cast<sockaddr_in*>(&peer);
      inet_ntop(AF_INET, &p->sin_addr, host, sizeof(host));
      peer_port = ntohs(p->sin_port);
      local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    } else if (peer.ss_family == AF_INET6) {
      auto* p = reinterpret_cast<sockaddr_in6*>(&peer);
      inet_ntop(AF_INET6, &p->sin6_addr, host, sizeof(host));
      peer_port = ntohs(p->sin6_port);
      local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    } else {
      continue;
    }
    if (peer_port == req.remote_port && local_port == req.local_port && req.remote_addr == host) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return found;
}

bool PeerClosed(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL | POLLRDHUP)) return true;
  if (p.revents & POLLIN) {
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
  return false;
}

bool ParseJsonBody(const httplib::Request& req, const std::string& body, nlohmann::json* out,
                   ApiError* error) {
  std::string type = req.get_header_value("Content-Type");
  std::string lower;
  for (char c : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lower.empty() && lower.rfind("application/json", 0) != 0) {
    *error = {415, "Content-Type must be application/json (got '" + type + "')",
              "unsupported_media_type", ""};
    return false;
  }
  if (body.empty()) {
    *error = {400, "the request body is empty; send a JSON object", "empty_body", ""};
    return false;
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Parse again with exceptions only to get the position for the message.
    std::string why = "malformed JSON";
    try {
      nlohmann::json unused = nlohmann::json::parse(body);
      (void)unused;
    } catch (const nlohmann::json::parse_error& e) {
      why = "malformed JSON at byte " + std::to_string(e.byte);
    }
    *error = {400, "the request body is not valid JSON: " + why, "invalid_json", ""};
    return false;
  }
  if (!j.is_object()) {
    *error = {400, "the request body must be a JSON object", "invalid_json", ""};
    return false;
  }
  *out = std::move(j);
  return true;
}

}  // namespace md::server
