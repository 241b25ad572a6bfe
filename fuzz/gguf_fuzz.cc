// libFuzzer target: the GGUF reader on arbitrary bytes. Whatever it accepts must be safe
// to use, so every key, value, array element and tensor byte range is touched.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = md::GgufFile::FromBuffer(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!file.ok()) {
    // Every rejection carries a message that names the input.
    if (file.status().message().rfind("fuzz.gguf", 0) != 0) __builtin_trap();
    return 0;
  }
  const md::GgufFile& f = **file;
  volatile uint64_t sink = 0;
  for (const md::GgufKv& kv : f.kvs()) {
    if (f.FindKv(kv.key) != &kv) __builtin_trap();
    sink = sink + kv.key.size() + kv.value.u + kv.value.str.size();
    if (!kv.value.str.empty()) sink = sink + static_cast<uint8_t>(kv.value.str.back());
    for (std::string_view s : kv.value.strs) {
      if (!s.empty()) sink = sink + static_cast<uint8_t>(s.front()) + static_cast<uint8_t>(s.back());
    }
    if (!kv.value.raw.empty()) sink = sink + kv.value.raw.front() + kv.value.raw.back();
    sink = sink + kv.value.AsI32Array().size() + kv.value.AsF32Array().size();
    // The typed getters on every key must answer, not crash.
    (void)f.GetU32(kv.key);
    (void)f.GetF32(kv.key);
    (void)f.GetString(kv.key);
    (void)f.GetStringArray(kv.key);
    (void)f.GetF32Array(kv.key);
  }
  const uint8_t* end = data + size;
  for (const md::GgufTensorInfo& t : f.tensors()) {
    if (f.FindTensor(t.name) != &t) __builtin_trap();
    if (t.n_dims > 4 || t.data < data || t.data > end ||
        t.nbytes > static_cast<uint64_t>(end - t.data)) {
      __builtin_trap();
    }
    sink = sink + t.n_elements() + t.ShapeString().size();
    if (t.nbytes > 0) sink = sink + t.data[0] + t.data[t.nbytes - 1];
  }
  return 0;
}
