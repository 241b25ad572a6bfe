// GGUF files (../shared/spec/gguf.md): a validating zero-copy reader over an mmap'd
// file (or any byte buffer, for fuzzing and tests) and an atomic writer.
//
// The reader treats the file as hostile: every count, length, type id, dimension and
// offset is checked against the file size before it is used, and any failure is a
// Status whose message names the key or tensor and the byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "common/tensor_type.h"
#include "formats/mapped_file.h"

namespace md {

// Metadata value types (gguf.md 4.1).
enum class GgufValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
std::string_view GgufValueTypeName(GgufValueType t);

// One metadata value. Scalars are held decoded; arrays keep their element type and, for
// numbers, a view of the raw little-endian bytes in the file; strings are views too.
struct GgufValue {
  GgufValueType type = GgufValueType::kU32;
  GgufValueType elem_type = GgufValueType::kU32;  // arrays only
  uint64_t count = 0;                              // arrays only: element count
  // Scalars: integers and bool in `u` / `i`, floats in `f`.
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string_view str;                // kString
  std::vector<std::string_view> strs;  // array of kString
  std::span<const uint8_t> raw;        // array of numbers: count * element size bytes

  // Array of numbers as the requested type (converted element-wise); empty if this is
  // not a numeric array.
  std::vector<int32_t> AsI32Array() const;
  std::vector<float> AsF32Array() const;
};

struct GgufKv {
  std::string_view key;
  GgufValue value;
  uint64_t offset = 0;  // byte offset of the record in the file (for messages)
};

struct GgufTensorInfo {
  std::string_view name;
  TensorType type = TensorType::kF32;
  uint32_t n_dims = 0;
  uint64_t ne[4] = {1, 1, 1, 1};  // ggml order: ne[0] is innermost (contiguous)
  uint64_t offset = 0;            // relative to the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // points into the mapping
  uint64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  // "[2048, 6144]"
  std::string ShapeString() const;
};

class GgufFile {
 public:
  // Maps and validates a file. Errors name the path, the key or tensor, and the offset.
  static StatusOr<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Validates a buffer the caller keeps alive (fuzzing, tests).
  static StatusOr<std::unique_ptr<GgufFile>> FromBuffer(std::span<const uint8_t> bytes,
                                                        std::string display_name = "<buffer>");

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t file_size() const { return bytes_.size(); }
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<GgufKv>& kvs() const { return kvs_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufKv* FindKv(std::string_view key) const;
  const GgufTensorInfo* FindTensor(std::string_view name) const;

  // Typed getters with llama.cpp's strictness (gguf.md 4.4): a present key of another
  // type is an error naming the key and both types; a missing key is kNotFound.
  StatusOr<uint32_t> GetU32(std::string_view key) const;
  StatusOr<float> GetF32(std::string_view key) const;
  StatusOr<bool> GetBool(std::string_view key) const;
  StatusOr<std::string> GetString(std::string_view key) const;
  StatusOr<std::vector<std::string_view>> GetStringArray(std::string_view key) const;
  StatusOr<std::vector<int32_t>> GetI32Array(std::string_view key) const;
  StatusOr<std::vector<float>> GetF32Array(std::string_view key) const;
  // The getters above, but a missing key gives `fallback`.
  StatusOr<uint32_t> GetU32Or(std::string_view key, uint32_t fallback) const;
  StatusOr<float> GetF32Or(std::string_view key, float fallback) const;
  StatusOr<bool> GetBoolOr(std::string_view key, bool fallback) const;

 private:
  GgufFile() = default;
  Status Parse();

  std::string path_;
  std::unique_ptr<MappedFile> mapping_;  // null for FromBuffer
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

// Builds a GGUF file in memory-light fashion and writes it atomically (a temporary file
// in the same directory, fsync, then rename), so a crash never leaves a half file
// under the final name. Tensors are written in the order they are added, each padded
// to the alignment, as llama.cpp requires.
class GgufWriter {
 public:
  GgufWriter();
  ~GgufWriter();

  // Metadata, in the order added. Setting a key twice replaces its value in place.
  void SetU32(std::string key, uint32_t v);
  void SetI32(std::string key, int32_t v);
  void SetU64(std::string key, uint64_t v);
  void SetF32(std::string key, float v);
  void SetBool(std::string key, bool v);
  void SetString(std::string key, std::string v);
  void SetStringArray(std::string key, std::vector<std::string> v);
  void SetI32Array(std::string key, std::vector<int32_t> v);
  void SetF32Array(std::string key, std::vector<float> v);
  // Copies a KV (any type, arrays included) from a file being rewritten.
  void CopyKv(const GgufKv& kv);
  void RemoveKv(std::string_view key);

  // A tensor whose bytes the caller keeps alive until Write returns (e.g. a view into
  // a mapped input file). ne in ggml order; nbytes must equal the type's size for ne.
  void AddTensorView(std::string name, TensorType type, std::vector<uint64_t> ne,
                     std::span<const uint8_t> bytes);
  // A tensor whose bytes the writer owns.
  void AddTensor(std::string name, TensorType type, std::vector<uint64_t> ne,
                 std::vector<uint8_t> bytes);

  // A tensor whose bytes are produced while the file is written: `fill` gets a zeroed
  // buffer of exactly the tensor's byte size, so a multi-gigabyte model never sits in
  // memory whole. A failing fill aborts the write (no file is left behind).
  using FillFn = std::function<Status(std::span<uint8_t> out)>;
  void AddTensorFill(std::string name, TensorType type, std::vector<uint64_t> ne, FillFn fill);

  // Called after each tensor is written with (tensors done, tensor count, bytes done,
  // total tensor bytes), e.g. for a progress bar.
  using ProgressFn = std::function<void(size_t, size_t, uint64_t, uint64_t)>;
  void SetProgress(ProgressFn progress);

  size_t tensor_count() const;

  // Writes the file atomically. Refuses (kInvalidArgument) to write onto `refuse_path`
  // when given (the input of a rewrite), comparing by file identity, not name.
  Status Write(const std::string& path, const std::string& refuse_path = "") const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace md
