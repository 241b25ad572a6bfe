// Downloading model files over HTTP(S) with libcurl: resumable (HTTP Range on a `.part`
// file), retried on dropped connections, verified (size and SHA-256) before the file
// is renamed into place, so a final name only ever holds a complete, checked file.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "common/status.h"

namespace md {

// What a server says about a file before we fetch it.
struct RemoteFileInfo {
  uint64_t size = 0;   // bytes; 0 when unknown
  std::string sha256;  // lowercase hex from Hugging Face's X-Linked-Etag; "" when absent
};

struct DownloadRequest {
  std::string url;
  std::string dest;             // final path; data accumulates in dest + ".part"
  uint64_t expected_size = 0;   // 0: use the server's size, if it gives one
  std::string expected_sha256;  // lowercase hex; "": use the server's, if it gives one
};

struct DownloadProgress {
  uint64_t done = 0;   // bytes in the .part file, resumed bytes included
  uint64_t total = 0;  // 0 when unknown
  double bytes_per_second = 0;
};

struct DownloadOptions {
  int max_attempts = 5;           // transfers tried before giving up (resuming each time)
  double retry_backoff_s = 1.0;   // wait before retry k: backoff * 2^(k-1)
  long connect_timeout_s = 20;
  long stall_timeout_s = 60;      // abort (and retry) when under 1 byte/s for this long
  std::function<void(const DownloadProgress&)> progress;  // called from the transfer
};

struct DownloadResult {
  uint64_t bytes = 0;
  std::string sha256;            // of the final file
  bool already_present = false;  // dest was there and verified; nothing fetched
  bool resumed = false;          // started from an existing .part or a dropped transfer
  bool checksum_verified = false;  // compared with a known SHA-256 (else only computed)
};

// Status codes used below: kUnavailable = the host cannot be reached (offline, DNS,
// refused connection); kNotFound = HTTP 404; kDataLoss = size or checksum mismatch (the
// partial file is deleted); kInternal = other HTTP or I/O failures.

// HEAD request (following redirects): size and advertised SHA-256.
StatusOr<RemoteFileInfo> ProbeUrl(const std::string& url, const DownloadOptions& options = {});

// Fetches `request.url` to `request.dest` as described at the top of this file. A dest
// that already exists and verifies is left alone.
StatusOr<DownloadResult> DownloadFile(const DownloadRequest& request,
                                      const DownloadOptions& options = {});

// SHA-256 as lowercase hex.
std::string Sha256Hex(std::span<const uint8_t> bytes);
StatusOr<std::string> Sha256OfFile(const std::string& path);

}  // namespace md
