// The web page's files, embedded at build time by cmake/embed_files.cmake.
#pragma once
#include <cstddef>

namespace md::web {

// One embedded file: its base name (as in src/server/web/) and its bytes.
struct Asset {
  const char* name;
  const unsigned char* data;
  size_t size;
};

// All embedded files, terminated by an entry whose name is nullptr.
extern const Asset kAssets[];

}  // namespace md::web
