// SHA-256 (libcrypto), used to key the encoded-picture cache by the file's bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace md::server {

using Sha256Digest = std::array<uint8_t, 32>;

// Digest of `data`.
Sha256Digest Sha256(std::span<const uint8_t> data);

// Lower-case hex of a digest (64 characters).
std::string ToHex(const Sha256Digest& digest);

}  // namespace md::server
