#include "server/image_cache.h"

namespace md::server {

std::shared_ptr<const EncodedImage> ImageCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->image;
}

void ImageCache::Put(const std::string& key, std::shared_ptr<const EncodedImage> image) {
  if (image == nullptr) return;
  uint64_t bytes = image->memory_bytes();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    stats_.bytes -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  if (bytes > capacity_) return;
  while (!lru_.empty() && stats_.bytes + bytes > capacity_) {
    stats_.bytes -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front({key, std::move(image), bytes});
  index_[key] = lru_.begin();
  stats_.bytes += bytes;
}

ImageCache::Stats ImageCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.entries = lru_.size();
  s.capacity = capacity_;
  return s;
}

}  // namespace md::server
