// LRU cache of encoded pictures, keyed by the SHA-256 of the uploaded file bytes and
// bounded by the memory the entries hold (EncodedImage::memory_bytes()). A follow-up
// question or a repeated picture then skips decoding, the vision encoder and the prefix.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "moondream/engine.h"

namespace md::server {

class ImageCache {
 public:
  explicit ImageCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The entry for `key`, made most recent; null (and a miss counted) if absent.
  std::shared_ptr<const EncodedImage> Get(const std::string& key);

  // Inserts or replaces `key`, evicting least recently used entries to stay within the
  // capacity. An entry larger than the whole capacity is not kept.
  void Put(const std::string& key, std::shared_ptr<const EncodedImage> image);

  struct Stats {
    uint64_t hits = 0, misses = 0, evictions = 0;
    uint64_t bytes = 0;
    size_t entries = 0;
    uint64_t capacity = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const EncodedImage> image;
    uint64_t bytes;
  };
  mutable std::mutex mu_;
  uint64_t capacity_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  Stats stats_;
};

}  // namespace md::server
