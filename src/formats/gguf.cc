// GGUF reader: validation follows ../shared/spec/gguf.md section 7 step by step. The
// file is hostile: every length is compared with the bytes that remain before it is
// used, and every product is computed with overflow checks.
#include "formats/gguf.h"

#include <cstring>
#include <limits>
#include <string>

namespace md {
namespace {

constexpr uint64_t kMaxStringLen = uint64_t{1} << 30;  // llama.cpp's limit
constexpr uint64_t kMaxArrayLen = uint64_t{1} << 30;
constexpr uint64_t kMaxSigned = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr uint64_t kMinKvRecord = 8 + 1 + 4 + 1;          // key len, 1 key byte, type, u8
constexpr uint64_t kMinTensorRecord = 8 + 1 + 4 + 4 + 8;  // name len, 1 byte, dims, type, off
constexpr size_t kMaxNameLen = 63;                        // GGML_MAX_NAME - 1

// Payload size of a scalar value type; 0 for strings, arrays and unknown ids.
uint64_t ScalarSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8:
    case GgufValueType::kI8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kU16:
    case GgufValueType::kI16:
      return 2;
    case GgufValueType::kU32:
    case GgufValueType::kI32:
    case GgufValueType::kF32:
      return 4;
    case GgufValueType::kU64:
    case GgufValueType::kI64:
    case GgufValueType::kF64:
      return 8;
    default:
      return 0;
  }
}

bool KnownValueType(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::kF64); }

template <typename T>
T LoadLe(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the project targets little-endian hosts only
  return v;
}

std::string Quote(std::string_view s) {
  // Names come from the file: keep messages printable and short.
  std::string out;
  for (char c : s.substr(0, 80)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

// A bounded cursor over the file. All reads check `n <= size - pos` first.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  const uint8_t* here() const { return bytes_.data() + pos_; }

  // `what` names the field for the message ("key general.name: value length").
  Status Need(uint64_t n, const std::string& what) const {
    if (n > remaining()) {
      return DataLoss(name_ + ": file truncated: " + what + " at byte " + std::to_string(pos_) +
                      " needs " + std::to_string(n) + " bytes, only " +
                      std::to_string(remaining()) + " remain (file has " +
                      std::to_string(bytes_.size()) + ")");
    }
    return Status::Ok();
  }

  template <typename T>
  Status Read(T* out, const char* what, std::string_view owner = {}) {
    if (sizeof(T) > remaining()) return Need(sizeof(T), Describe(what, owner));
    *out = LoadLe<T>(here());
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadString(std::string_view* out, const char* what, std::string_view owner = {}) {
    const uint64_t start = pos_;
    uint64_t len = 0;
    MD_RETURN_IF_ERROR(Read(&len, what, owner));
    if (len > kMaxStringLen || len > remaining()) {
      pos_ = start;
      return DataLoss(name_ + ": " + Describe(what, owner) + " at byte " + std::to_string(start) +
                      " has length " + std::to_string(len) + " but only " +
                      std::to_string(bytes_.size() - start - 8) + " bytes remain" +
                      (len > kMaxStringLen ? " (limit 1 GiB)" : ""));
    }
    *out = std::string_view(reinterpret_cast<const char*>(here()), len);
    pos_ += len;
    return Status::Ok();
  }

  void Skip(uint64_t n) { pos_ += n; }  // caller checked with Need

  static std::string Describe(const char* what, std::string_view owner) {
    if (owner.empty()) return what;
    return std::string(owner) + ": " + what;
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  uint64_t pos_ = 0;
};

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

std::string_view GgufValueTypeName(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8: return "u8";
    case GgufValueType::kI8: return "i8";
    case GgufValueType::kU16: return "u16";
    case GgufValueType::kI16: return "i16";
    case GgufValueType::kU32: return "u32";
    case GgufValueType::kI32: return "i32";
    case GgufValueType::kF32: return "f32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kU64: return "u64";
    case GgufValueType::kI64: return "i64";
    case GgufValueType::kF64: return "f64";
  }
  return "unknown";
}

namespace {

// Element `i` of a numeric array as double / int64 (the caller checked the type).
double NumberAt(const GgufValue& v, uint64_t i) {
  const uint8_t* p = v.raw.data() + i * ScalarSize(v.elem_type);
  switch (v.elem_type) {
    case GgufValueType::kU8: return *p;
    case GgufValueType::kI8: return static_cast<int8_t>(*p);
    case GgufValueType::kBool: return *p != 0;
    case GgufValueType::kU16: return LoadLe<uint16_t>(p);
    case GgufValueType::kI16: return LoadLe<int16_t>(p);
    case GgufValueType::kU32: return LoadLe<uint32_t>(p);
    case GgufValueType::kI32: return LoadLe<int32_t>(p);
    case GgufValueType::kF32: return LoadLe<float>(p);
    case GgufValueType::kU64: return static_cast<double>(LoadLe<uint64_t>(p));
    case GgufValueType::kI64: return static_cast<double>(LoadLe<int64_t>(p));
    case GgufValueType::kF64: return LoadLe<double>(p);
    default: return 0;
  }
}

int64_t IntegerAt(const GgufValue& v, uint64_t i) {
  const uint8_t* p = v.raw.data() + i * ScalarSize(v.elem_type);
  switch (v.elem_type) {
    case GgufValueType::kU64: return static_cast<int64_t>(LoadLe<uint64_t>(p));
    case GgufValueType::kI64: return LoadLe<int64_t>(p);
    case GgufValueType::kF32:
    case GgufValueType::kF64: {
      double d = NumberAt(v, i);
      if (!(d > -9.2e18 && d < 9.2e18)) return 0;  // NaN or out of range: no UB cast
      return static_cast<int64_t>(d);
    }
    default: return static_cast<int64_t>(NumberAt(v, i));
  }
}

bool IsNumericArray(const GgufValue& v) {
  return v.type == GgufValueType::kArray && ScalarSize(v.elem_type) != 0;
}

}  // namespace

std::vector<int32_t> GgufValue::AsI32Array() const {
  std::vector<int32_t> out;
  if (!IsNumericArray(*this)) return out;
  out.reserve(count);
  for (uint64_t k = 0; k < count; ++k) out.push_back(static_cast<int32_t>(IntegerAt(*this, k)));
  return out;
}

std::vector<float> GgufValue::AsF32Array() const {
  std::vector<float> out;
  if (!IsNumericArray(*this)) return out;
  out.reserve(count);
  for (uint64_t k = 0; k < count; ++k) out.push_back(static_cast<float>(NumberAt(*this, k)));
  return out;
}

std::string GgufTensorInfo::ShapeString() const {
  std::string s = "[";
  for (uint32_t d = 0; d < n_dims && d < 4; ++d) {
    if (d > 0) s += ", ";
    s += std::to_string(ne[d]);
  }
  return s + "]";
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  MD_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapping, MappedFile::Open(path));
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  f->bytes_ = mapping->bytes();
  f->mapping_ = std::move(mapping);
  MD_RETURN_IF_ERROR(f->Parse());
  return f;
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::FromBuffer(std::span<const uint8_t> bytes,
                                                         std::string display_name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = std::move(display_name);
  f->bytes_ = bytes;
  MD_RETURN_IF_ERROR(f->Parse());
  return f;
}

Status GgufFile::Parse() {
  const std::string& name = path_;
  Cursor c(bytes_, name);

  // Header.
  if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "GGUF", 4) != 0) {
    if (bytes_.size() < 4) {
      return DataLoss(name + ": not a GGUF file: " + std::to_string(bytes_.size()) +
                      " bytes, too short for the magic");
    }
    return InvalidArgument(name + ": not a GGUF file: magic at byte 0 is \"" +
                           Quote(std::string_view(reinterpret_cast<const char*>(bytes_.data()), 4)) +
                           "\", expected \"GGUF\"");
  }
  c.Skip(4);
  MD_RETURN_IF_ERROR(c.Read(&version_, "header version"));
  if ((version_ & 0xFFFF) == 0 && version_ != 0) {
    return Unsupported(name + ": GGUF version field at byte 4 is " + std::to_string(version_) +
                       ": the file looks big-endian, which is not supported");
  }
  if (version_ < 2 || version_ > 3) {
    return Unsupported(name + ": GGUF version " + std::to_string(version_) +
                       " at byte 4 is not supported (only versions 2 and 3)");
  }
  uint64_t n_tensors = 0, n_kv = 0;
  MD_RETURN_IF_ERROR(c.Read(&n_tensors, "header tensor count"));
  MD_RETURN_IF_ERROR(c.Read(&n_kv, "header metadata count"));
  if (n_tensors > kMaxSigned || n_tensors > c.remaining() / kMinTensorRecord) {
    return DataLoss(name + ": header at byte 8 claims " + std::to_string(n_tensors) +
                    " tensors, more than the " + std::to_string(c.remaining()) +
                    " remaining bytes can hold");
  }
  if (n_kv > kMaxSigned || n_kv > c.remaining() / kMinKvRecord) {
    return DataLoss(name + ": header at byte 16 claims " + std::to_string(n_kv) +
                    " metadata pairs, more than the " + std::to_string(c.remaining()) +
                    " remaining bytes can hold");
  }

  // Metadata.
  kvs_.reserve(n_kv);
  kv_index_.reserve(n_kv);
  for (uint64_t k = 0; k < n_kv; ++k) {
    GgufKv kv;
    kv.offset = c.pos();
    const std::string rec = "metadata pair #" + std::to_string(k);
    MD_RETURN_IF_ERROR(c.ReadString(&kv.key, "key", rec));
    if (kv.key.empty()) {
      return DataLoss(name + ": " + rec + " at byte " + std::to_string(kv.offset) +
                      " has an empty key");
    }
    if (kv_index_.count(kv.key) != 0) {
      return DataLoss(name + ": duplicate key " + Quote(kv.key) + " at byte " +
                      std::to_string(kv.offset));
    }
    const std::string owner = "key " + Quote(kv.key);
    uint32_t type = 0;
    const uint64_t type_pos = c.pos();
    MD_RETURN_IF_ERROR(c.Read(&type, "value type", owner));
    if (!KnownValueType(type)) {
      return DataLoss(name + ": " + owner + ": unknown value type " + std::to_string(type) +
                      " at byte " + std::to_string(type_pos));
    }
    GgufValue& v = kv.value;
    v.type = static_cast<GgufValueType>(type);
    const uint64_t value_pos = c.pos();
    if (v.type == GgufValueType::kString) {
      MD_RETURN_IF_ERROR(c.ReadString(&v.str, "string value", owner));
    } else if (v.type == GgufValueType::kArray) {
      uint32_t et = 0;
      MD_RETURN_IF_ERROR(c.Read(&et, "array element type", owner));
      MD_RETURN_IF_ERROR(c.Read(&v.count, "array length", owner));
      if (!KnownValueType(et) || et == static_cast<uint32_t>(GgufValueType::kArray)) {
        return DataLoss(name + ": " + owner + ": array at byte " + std::to_string(value_pos) +
                        (et == 9 ? " holds arrays (nested arrays are not supported)"
                                 : " has unknown element type " + std::to_string(et)));
      }
      v.elem_type = static_cast<GgufValueType>(et);
      const uint64_t min_elem =
          v.elem_type == GgufValueType::kString ? 8 : ScalarSize(v.elem_type);
      if (v.count > kMaxArrayLen || v.count > c.remaining() / min_elem) {
        return DataLoss(name + ": " + owner + ": array at byte " + std::to_string(value_pos) +
                        " claims " + std::to_string(v.count) + " elements of type " +
                        std::string(GgufValueTypeName(v.elem_type)) + " but only " +
                        std::to_string(c.remaining()) + " bytes remain" +
                        (v.count > kMaxArrayLen ? " (limit 2^30 elements)" : ""));
      }
      if (v.elem_type == GgufValueType::kString) {
        v.strs.reserve(v.count);
        for (uint64_t e = 0; e < v.count; ++e) {
          std::string_view s;
          if (Status st = c.ReadString(&s, "array string", owner); !st.ok()) {
            return DataLoss(st.message() + " (element " + std::to_string(e) + " of " +
                            std::to_string(v.count) + ")");
          }
          v.strs.push_back(s);
        }
      } else {
        const uint64_t nbytes = v.count * min_elem;  // bounded by remaining() above
        v.raw = std::span<const uint8_t>(c.here(), nbytes);
        c.Skip(nbytes);
      }
    } else {
      const uint64_t size = ScalarSize(v.type);
      MD_RETURN_IF_ERROR(c.Need(size, owner + ": " + std::string(GgufValueTypeName(v.type)) +
                                          " value"));
      const uint8_t* p = c.here();
      switch (v.type) {
        case GgufValueType::kU8: v.u = *p; v.i = *p; break;
        case GgufValueType::kI8: v.i = static_cast<int8_t>(*p); v.u = static_cast<uint64_t>(v.i); break;
        case GgufValueType::kBool: v.u = *p != 0; v.i = *p != 0; break;  // llama.cpp: nonzero is true
        case GgufValueType::kU16: v.u = LoadLe<uint16_t>(p); v.i = static_cast<int64_t>(v.u); break;
        case GgufValueType::kI16: v.i = LoadLe<int16_t>(p); v.u = static_cast<uint64_t>(v.i); break;
        case GgufValueType::kU32: v.u = LoadLe<uint32_t>(p); v.i = static_cast<int64_t>(v.u); break;
        case GgufValueType::kI32: v.i = LoadLe<int32_t>(p); v.u = static_cast<uint64_t>(v.i); break;
        case GgufValueType::kU64: v.u = LoadLe<uint64_t>(p); v.i = static_cast<int64_t>(v.u); break;
        case GgufValueType::kI64: v.i = LoadLe<int64_t>(p); v.u = static_cast<uint64_t>(v.i); break;
        case GgufValueType::kF32: v.f = LoadLe<float>(p); break;
        case GgufValueType::kF64: v.f = LoadLe<double>(p); break;
        default: break;
      }
      c.Skip(size);
    }
    kv_index_.emplace(kv.key, kvs_.size());
    kvs_.push_back(std::move(kv));
  }

  // Alignment (gguf.md section 6): u32, non-zero, a power of two.
  alignment_ = 32;
  if (const GgufKv* a = FindKv("general.alignment")) {
    if (a->value.type != GgufValueType::kU32) {
      return DataLoss(name + ": key general.alignment at byte " + std::to_string(a->offset) +
                      " has type " + std::string(GgufValueTypeName(a->value.type)) +
                      ", expected u32");
    }
    if (!IsPowerOfTwo(a->value.u)) {
      return DataLoss(name + ": key general.alignment at byte " + std::to_string(a->offset) +
                      " is " + std::to_string(a->value.u) + ", not a non-zero power of two");
    }
    alignment_ = static_cast<uint32_t>(a->value.u);
  }

  // Tensor infos.
  if (n_tensors > c.remaining() / kMinTensorRecord) {
    return DataLoss(name + ": header claims " + std::to_string(n_tensors) +
                    " tensors, but only " + std::to_string(c.remaining()) +
                    " bytes remain after the metadata (at byte " + std::to_string(c.pos()) + ")");
  }
  tensors_.reserve(n_tensors);
  tensor_index_.reserve(n_tensors);
  std::vector<uint64_t> record_pos;  // where each tensor info starts, for messages
  record_pos.reserve(n_tensors);
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo t;
    const uint64_t rec_pos = c.pos();
    record_pos.push_back(rec_pos);
    const std::string rec = "tensor info #" + std::to_string(k);
    MD_RETURN_IF_ERROR(c.ReadString(&t.name, "name", rec));
    const std::string owner = "tensor " + Quote(t.name);
    const std::string at = " (record at byte " + std::to_string(rec_pos) + ")";
    if (t.name.size() > kMaxNameLen) {
      return DataLoss(name + ": " + owner + at + ": name is " + std::to_string(t.name.size()) +
                      " bytes, the limit is 63");
    }
    if (tensor_index_.count(t.name) != 0) {
      return DataLoss(name + ": duplicate tensor name " + Quote(t.name) + at);
    }
    MD_RETURN_IF_ERROR(c.Read(&t.n_dims, "dimension count", owner));
    if (t.n_dims > 4) {
      return DataLoss(name + ": " + owner + at + " has " + std::to_string(t.n_dims) +
                      " dimensions, at most 4 are allowed");
    }
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      MD_RETURN_IF_ERROR(c.Read(&t.ne[d], "dimension", owner));
      if (t.ne[d] > kMaxSigned) {
        return DataLoss(name + ": " + owner + at + ": dimension " + std::to_string(d) + " is " +
                        std::to_string(t.ne[d]) + ", larger than 2^63-1");
      }
    }
    uint64_t n_elem = 1;
    for (int d = 0; d < 4; ++d) {
      if (__builtin_mul_overflow(n_elem, t.ne[d], &n_elem) || n_elem > kMaxSigned) {
        return DataLoss(name + ": " + owner + at + ": shape " + t.ShapeString() +
                        " overflows a 64-bit element count");
      }
    }
    uint32_t type_id = 0;
    const uint64_t type_pos = c.pos();
    MD_RETURN_IF_ERROR(c.Read(&type_id, "type", owner));
    std::optional<TensorTypeInfo> ti = LookupTensorType(type_id);
    if (!ti) {
      return Unsupported(name + ": " + owner + ": type id " + std::to_string(type_id) + " (" +
                         std::string(GgmlTypeName(type_id)) + ") at byte " +
                         std::to_string(type_pos) + " is not supported");
    }
    t.type = ti->type;
    if (t.ne[0] % ti->block_size != 0) {
      return DataLoss(name + ": " + owner + at + ": row length " + std::to_string(t.ne[0]) +
                      " is not a multiple of the " + std::string(ti->name) + " block size " +
                      std::to_string(ti->block_size));
    }
    uint64_t nbytes = t.ne[0] / ti->block_size;
    bool overflow = __builtin_mul_overflow(nbytes, uint64_t{ti->block_bytes}, &nbytes);
    for (int d = 1; d < 4 && !overflow; ++d) {
      overflow = __builtin_mul_overflow(nbytes, t.ne[d], &nbytes);
    }
    if (overflow || nbytes > std::numeric_limits<size_t>::max() - 4096) {
      return DataLoss(name + ": " + owner + at + ": shape " + t.ShapeString() + " of type " +
                      std::string(ti->name) + " overflows a 64-bit byte count");
    }
    t.nbytes = nbytes;
    MD_RETURN_IF_ERROR(c.Read(&t.offset, "data offset", owner));
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(t);
  }

  // Data section: dense, in info order, each tensor padded to the alignment.
  const uint64_t header_end = c.pos();
  const uint64_t size = bytes_.size();
  data_offset_ = header_end;
  if (n_tensors == 0) return Status::Ok();
  const uint64_t pad_to = alignment_;
  const uint64_t header_pad = (pad_to - header_end % pad_to) % pad_to;
  if (header_pad > size - header_end) {
    return DataLoss(name + ": file truncated: tensor infos end at byte " +
                    std::to_string(header_end) + " and the data section would start at byte " +
                    std::to_string(header_end + header_pad) + ", file has " +
                    std::to_string(size));
  }
  data_offset_ = header_end + header_pad;
  uint64_t expected = 0;
  for (size_t k = 0; k < tensors_.size(); ++k) {
    GgufTensorInfo& t = tensors_[k];
    const std::string owner = "tensor " + Quote(t.name);
    if (t.offset != expected) {
      return DataLoss(name + ": " + owner + " has data offset " + std::to_string(t.offset) +
                      ", expected " + std::to_string(expected) + " (record at byte " +
                      std::to_string(record_pos[k]) +
                      "; tensors must be stored densely, in order, aligned to " +
                      std::to_string(alignment_) + ")");
    }
    const uint64_t room = size - data_offset_;
    if (t.offset > room || t.nbytes > room - t.offset) {
      // Report the end in absolute terms; saturate if it does not fit in 64 bits.
      uint64_t end = 0;
      std::string end_str;
      if (__builtin_add_overflow(data_offset_, t.offset, &end) ||
          __builtin_add_overflow(end, t.nbytes, &end)) {
        end_str = "beyond 2^64";
      } else {
        end_str = "at byte " + std::to_string(end);
      }
      return DataLoss(name + ": file truncated: " + owner + " ends " + end_str + ", file has " +
                      std::to_string(size));
    }
    t.data = bytes_.data() + data_offset_ + t.offset;
    // Cannot overflow: offset + nbytes <= file size, and the pad is below 2^32.
    expected = t.offset + t.nbytes + (pad_to - t.nbytes % pad_to) % pad_to;
  }
  return Status::Ok();
}

const GgufKv* GgufFile::FindKv(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second];
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

Status WrongType(const std::string& path, const GgufKv& kv, std::string_view expected) {
  std::string actual(GgufValueTypeName(kv.value.type));
  if (kv.value.type == GgufValueType::kArray) {
    actual = "array of " + std::string(GgufValueTypeName(kv.value.elem_type));
  }
  return InvalidArgument(path + ": key " + std::string(kv.key) + " (at byte " +
                         std::to_string(kv.offset) + ") has type " + actual + ", expected " +
                         std::string(expected));
}

Status Missing(const std::string& path, std::string_view key) {
  return NotFound(path + ": key " + std::string(key) + " is missing");
}

}  // namespace

StatusOr<uint32_t> GgufFile::GetU32(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (kv == nullptr) return Missing(path_, key);
  if (kv->value.type != GgufValueType::kU32) return WrongType(path_, *kv, "u32");
  return static_cast<uint32_t>(kv->value.u);
}

StatusOr<float> GgufFile::GetF32(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (kv == nullptr) return Missing(path_, key);
  if (kv->value.type != GgufValueType::kF32) return WrongType(path_, *kv, "f32");
  return static_cast<float>(kv->value.f);
}

StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (kv == nullptr) return Missing(path_, key);
  if (kv->value.type != GgufValueType::kBool) return WrongType(path_, *kv, "bool");
  return kv->value.u != 0;
}

StatusOr<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (kv == nullptr) return Missing(path_, key);
  if (kv->value.type != GgufValueType::kString) return WrongType(path_, *kv, "string");
  return std::string(kv->value.str);
}

StatusOr<std::vector<std::string_view>> GgufFile::GetStringArray(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (kv == nullptr) return Missing(path_, key);
  if (kv->value.type != GgufValueType::kArray || kv->value.elem_type != GgufValueType::kString) {
    return WrongType(path_, *kv, "array of string");
  }
  return kv->value.strs;
}

StatusOr<std::vector<int32_t>> GgufFile::GetI32Array(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (kv == nullptr) return Missing(path_, key);
  if (kv->value.type != GgufValueType::kArray || kv->value.elem_type != GgufValueType::kI32) {
    return WrongType(path_, *kv, "array of i32");
  }
  return kv->value.AsI32Array();
}

StatusOr<std::vector<float>> GgufFile::GetF32Array(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (kv == nullptr) return Missing(path_, key);
  if (kv->value.type != GgufValueType::kArray || kv->value.elem_type != GgufValueType::kF32) {
    return WrongType(path_, *kv, "array of f32");
  }
  return kv->value.AsF32Array();
}

StatusOr<uint32_t> GgufFile::GetU32Or(std::string_view key, uint32_t fallback) const {
  if (FindKv(key) == nullptr) return fallback;
  return GetU32(key);
}

StatusOr<float> GgufFile::GetF32Or(std::string_view key, float fallback) const {
  if (FindKv(key) == nullptr) return fallback;
  return GetF32(key);
}

StatusOr<bool> GgufFile::GetBoolOr(std::string_view key, bool fallback) const {
  if (FindKv(key) == nullptr) return fallback;
  return GetBool(key);
}

}  // namespace md
