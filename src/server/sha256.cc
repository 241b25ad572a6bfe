#include "server/sha256.h"

#include <openssl/sha.h>

namespace md::server {

Sha256Digest Sha256(std::span<const uint8_t> data) {
  // OpenSSL's libcrypto (already used by the model downloader) rather than our own copy
  // of the algorithm: hashing is not our craft, and libcrypto's is SIMD-accelerated.
  Sha256Digest digest;
  ::SHA256(data.data(), data.size(), digest.data());
  return digest;
}

std::string ToHex(const Sha256Digest& digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace md::server
