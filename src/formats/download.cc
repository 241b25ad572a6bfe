#include "formats/download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace md {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n\"";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

bool IsSha256Hex(const std::string& s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// True for failures that mean "no route to the server" rather than a bad answer.
bool IsUnreachable(CURLcode rc) {
  return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
         rc == CURLE_COULDNT_CONNECT;
}

// Failures after which a resumed transfer may succeed.
bool IsRetryable(CURLcode rc) {
  return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
         rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING ||
         rc == CURLE_HTTP2_STREAM || rc == CURLE_HTTP2 || rc == CURLE_SSL_CONNECT_ERROR ||
         IsUnreachable(rc);
}

std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/:?", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

Status CurlError(const std::string& url, CURLcode rc, const char* errbuf) {
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  if (IsUnreachable(rc)) {
    return Unavailable("cannot reach " + HostOf(url) + " (" + detail + ")");
  }
  return Internal("download of " + url + " failed: " + detail);
}

Status HttpError(const std::string& url, long code) {
  std::string msg = "server answered HTTP " + std::to_string(code) + " for " + url;
  if (code == 404) return NotFound(msg);
  return Internal(msg);
}

void CommonOptions(CURL* c, const std::string& url, const DownloadOptions& o, char* errbuf) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "moondream-local/" MD_VERSION);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  errbuf[0] = '\0';
}

// Collects the headers we care about, across redirect hops: Hugging Face puts the LFS
// object's SHA-256 and size on the first (302) answer, the CDN the Content-Length.
struct HeaderSink {
  RemoteFileInfo info;
  uint64_t content_length = 0;

  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* self = static_cast<HeaderSink*>(user);
    std::string line(data, size * n);
    // A new response (a redirect hop): its Content-Length is the one that counts.
    if (line.rfind("HTTP/", 0) == 0) self->content_length = 0;
    size_t colon = line.find(':');
    if (colon == std::string::npos) return size * n;
    std::string name = Lower(Trim(line.substr(0, colon)));
    std::string value = Trim(line.substr(colon + 1));
    if (name == "x-linked-etag") {
      std::string v = Lower(value);
      if (IsSha256Hex(v)) self->info.sha256 = v;
    } else if (name == "x-linked-size") {
      self->info.size = std::strtoull(value.c_str(), nullptr, 10);
    } else if (name == "content-length") {
      self->content_length = std::strtoull(value.c_str(), nullptr, 10);
    }
    return size * n;
  }
};

// State of one GET into the .part file.
struct Transfer {
  std::FILE* file = nullptr;
  CURL* curl = nullptr;
  uint64_t offset = 0;        // bytes in the file when this request started
  uint64_t written = 0;       // bytes written by this request
  bool checked_status = false;
  long http_status = 0;
  bool io_error = false;
  uint64_t total = 0;
  const DownloadOptions* options = nullptr;
  std::chrono::steady_clock::time_point start;

  static size_t OnData(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (!t->checked_status) {
      t->checked_status = true;
      curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->http_status);
      if (t->http_status >= 300) return 0;  // an error page: do not store it
      if (t->http_status == 200 && t->offset > 0) {
        // The server ignored the Range header: start over.
        if (::ftruncate(::fileno(t->file), 0) != 0 || std::fseek(t->file, 0, SEEK_SET) != 0) {
          t->io_error = true;
          return 0;
        }
        t->offset = 0;
      }
    }
    size_t bytes = size * n;
    if (std::fwrite(data, 1, bytes, t->file) != bytes) {
      t->io_error = true;
      return 0;
    }
    t->written += bytes;
    return bytes;
  }

  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->options->progress) {
      DownloadProgress p;
      p.done = t->offset + t->written;
      p.total = t->total;
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t->start).count();
      p.bytes_per_second = secs > 0 ? static_cast<double>(t->written) / secs : 0;
      t->options->progress(p);
    }
    return 0;
  }
};

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status SyncAndRename(const std::string& from, const std::string& to) {
  int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Internal("cannot open " + from + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Internal("cannot sync " + from + ": " + std::strerror(errno));
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Internal("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
  }
  std::string dir = std::filesystem::path(to).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace

std::string Sha256Hex(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

StatusOr<std::string> Sha256OfFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFound("cannot open " + path + ": " + std::strerror(errno));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<unsigned char> buf(size_t{4} << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) EVP_DigestUpdate(ctx, buf.data(), n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  if (failed) return Internal("cannot read " + path);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

StatusOr<RemoteFileInfo> ProbeUrl(const std::string& url, const DownloadOptions& options) {
  GlobalInit();
  CurlPtr curl(curl_easy_init());
  if (!curl) return Internal("cannot initialise libcurl");
  char errbuf[CURL_ERROR_SIZE];
  CommonOptions(curl.get(), url, options, errbuf);
  HeaderSink sink;
  curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &HeaderSink::OnHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &sink);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return CurlError(url, rc, errbuf);
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  RemoteFileInfo info = sink.info;
  if (code >= 400) {
    if (code == 404) return HttpError(url, code);
    // Signed CDN URLs may refuse HEAD (403/405) after the redirect that already told us
    // the size and checksum; servers without HEAD leave it to the GET to decide.
    if (info.size != 0 || !info.sha256.empty() || code == 403 || code == 405) return info;
    return HttpError(url, code);
  }
  if (info.size == 0) info.size = sink.content_length;
  return info;
}

StatusOr<DownloadResult> DownloadFile(const DownloadRequest& req, const DownloadOptions& options) {
  GlobalInit();
  MD_ASSIGN_OR_RETURN(RemoteFileInfo remote, ProbeUrl(req.url, options));
  const uint64_t want_size = req.expected_size != 0 ? req.expected_size : remote.size;
  std::string want_sha = Lower(req.expected_sha256.empty() ? remote.sha256 : req.expected_sha256);
  if (!req.expected_sha256.empty() && !remote.sha256.empty() &&
      Lower(req.expected_sha256) != remote.sha256) {
    return DataLoss("the server advertises SHA-256 " + remote.sha256 + " for " + req.url +
                    ", expected " + Lower(req.expected_sha256) + " (a different file?)");
  }
  if (req.expected_size != 0 && remote.size != 0 && req.expected_size != remote.size) {
    return DataLoss("the server advertises " + std::to_string(remote.size) + " bytes for " +
                    req.url + ", expected " + std::to_string(req.expected_size));
  }

  DownloadResult result;
  // A complete file from an earlier run.
  if (Exists(req.dest) && (want_size == 0 || FileSize(req.dest) == want_size)) {
    MD_ASSIGN_OR_RETURN(std::string sha, Sha256OfFile(req.dest));
    if (want_sha.empty() || sha == want_sha) {
      result.bytes = FileSize(req.dest);
      result.sha256 = sha;
      result.already_present = true;
      result.checksum_verified = !want_sha.empty();
      return result;
    }
  }

  const std::string part = req.dest + ".part";
  if (want_size != 0 && FileSize(part) > want_size) std::filesystem::remove(part);
  result.resumed = Exists(part) && FileSize(part) > 0;

  GlobalInit();
  Status last = Status::Ok();
  bool complete = false;
  for (int attempt = 1; attempt <= options.max_attempts && !complete; ++attempt) {
    if (attempt > 1) {
      result.resumed = true;
      const double wait = options.retry_backoff_s * static_cast<double>(1 << std::min(attempt - 2, 6));
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
    const uint64_t have = FileSize(part);
    if (want_size != 0 && have == want_size) {
      complete = true;
      break;
    }
    std::FILE* file = std::fopen(part.c_str(), "ab");
    if (file == nullptr) return Internal("cannot write " + part + ": " + std::strerror(errno));
    CurlPtr curl(curl_easy_init());
    char errbuf[CURL_ERROR_SIZE];
    CommonOptions(curl.get(), req.url, options, errbuf);
    Transfer t;
    t.file = file;
    t.curl = curl.get();
    t.offset = have;
    t.total = want_size;
    t.options = &options;
    t.start = std::chrono::steady_clock::now();
    const std::string range = std::to_string(have) + "-";
    if (have > 0) curl_easy_setopt(curl.get(), CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Transfer::OnData);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, &Transfer::OnProgress);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = curl_easy_perform(curl.get());
    const bool flush_failed = std::fflush(file) != 0;
    std::fclose(file);
    long code = t.http_status;
    if (!t.checked_status) curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
    if (t.io_error || flush_failed) return Internal("cannot write " + part + ": disk full?");
    if (code == 416) {
      // Nothing left to send: the part is complete, or longer than the file now is.
      if (want_size == 0 || FileSize(part) == want_size) {
        complete = true;
      } else {
        std::filesystem::remove(part);
        last = Internal("server refused to resume " + req.url + "; starting over");
      }
      continue;
    }
    if (code >= 400) {
      last = HttpError(req.url, code);
      if (code < 500) return last;  // a client error will not change on retry
      continue;
    }
    if (rc == CURLE_OK) {
      complete = true;
    } else if (IsRetryable(rc)) {
      last = CurlError(req.url, rc, errbuf);
    } else {
      return CurlError(req.url, rc, errbuf);
    }
  }
  if (!complete) {
    return Status(last.code(), last.message() + " (gave up after " +
                                   std::to_string(options.max_attempts) +
                                   " attempts; rerun to resume from " + part + ")");
  }

  result.bytes = FileSize(part);
  if (want_size != 0 && result.bytes != want_size) {
    std::filesystem::remove(part);
    return DataLoss("download of " + req.url + " has " + std::to_string(result.bytes) +
                    " bytes, expected " + std::to_string(want_size) + "; the file was deleted");
  }
  MD_ASSIGN_OR_RETURN(result.sha256, Sha256OfFile(part));
  if (!want_sha.empty() && result.sha256 != want_sha) {
    std::filesystem::remove(part);
    return DataLoss("checksum mismatch for " + req.url + ": SHA-256 is " + result.sha256 +
                    ", expected " + want_sha + "; the download was deleted");
  }
  result.checksum_verified = !want_sha.empty();
  MD_RETURN_IF_ERROR(SyncAndRename(part, req.dest));
  return result;
}

}  // namespace md
