// GGUF writer: version 3, little-endian, metadata in the order added, tensors densely
// packed in the order added with each one padded to the alignment (what llama.cpp's
// reader demands, gguf.md 5.3). Output goes to a temporary file in the target directory
// that is fsync'd and renamed, so readers never see a half-written model.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "formats/gguf.h"

namespace md {

struct GgufWriter::Impl {
  struct Kv {
    std::string key;
    std::string encoded;  // value type (u32) followed by the value payload
  };
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<uint64_t> ne;
    std::span<const uint8_t> view;
    std::vector<uint8_t> owned;
    bool is_owned = false;
    FillFn fill;
  };
  std::vector<Kv> kvs;
  std::vector<Tensor> tensors;
  ProgressFn progress;

  void Put(std::string key, std::string encoded) {
    for (Kv& kv : kvs) {
      if (kv.key == key) {
        kv.encoded = std::move(encoded);
        return;
      }
    }
    kvs.push_back({std::move(key), std::move(encoded)});
  }
};

namespace {

template <typename T>
void Append(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

void AppendString(std::string* out, std::string_view s) {
  Append<uint64_t>(out, s.size());
  out->append(s);
}

std::string Typed(GgufValueType t) {
  std::string s;
  Append<uint32_t>(&s, static_cast<uint32_t>(t));
  return s;
}

// Payload of a scalar of type t from a decoded GgufValue.
void AppendScalar(std::string* out, GgufValueType t, const GgufValue& v) {
  switch (t) {
    case GgufValueType::kU8: Append<uint8_t>(out, static_cast<uint8_t>(v.u)); break;
    case GgufValueType::kI8: Append<int8_t>(out, static_cast<int8_t>(v.i)); break;
    case GgufValueType::kBool: Append<uint8_t>(out, v.u != 0 ? 1 : 0); break;
    case GgufValueType::kU16: Append<uint16_t>(out, static_cast<uint16_t>(v.u)); break;
    case GgufValueType::kI16: Append<int16_t>(out, static_cast<int16_t>(v.i)); break;
    case GgufValueType::kU32: Append<uint32_t>(out, static_cast<uint32_t>(v.u)); break;
    case GgufValueType::kI32: Append<int32_t>(out, static_cast<int32_t>(v.i)); break;
    case GgufValueType::kU64: Append<uint64_t>(out, v.u); break;
    case GgufValueType::kI64: Append<int64_t>(out, v.i); break;
    case GgufValueType::kF32: Append<float>(out, static_cast<float>(v.f)); break;
    case GgufValueType::kF64: Append<double>(out, v.f); break;
    default: break;
  }
}

uint64_t PadTo(uint64_t n, uint64_t align) { return (align - n % align) % align; }

Status WriteAll(int fd, const void* data, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n > (size_t{1} << 30) ? (size_t{1} << 30) : n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Internal("cannot write " + path + ": " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

GgufWriter::GgufWriter() : impl_(std::make_unique<Impl>()) {}
GgufWriter::~GgufWriter() = default;

void GgufWriter::SetU32(std::string key, uint32_t v) {
  std::string e = Typed(GgufValueType::kU32);
  Append(&e, v);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetI32(std::string key, int32_t v) {
  std::string e = Typed(GgufValueType::kI32);
  Append(&e, v);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetU64(std::string key, uint64_t v) {
  std::string e = Typed(GgufValueType::kU64);
  Append(&e, v);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetF32(std::string key, float v) {
  std::string e = Typed(GgufValueType::kF32);
  Append(&e, v);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetBool(std::string key, bool v) {
  std::string e = Typed(GgufValueType::kBool);
  Append<uint8_t>(&e, v ? 1 : 0);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetString(std::string key, std::string v) {
  std::string e = Typed(GgufValueType::kString);
  AppendString(&e, v);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetStringArray(std::string key, std::vector<std::string> v) {
  std::string e = Typed(GgufValueType::kArray);
  Append<uint32_t>(&e, static_cast<uint32_t>(GgufValueType::kString));
  Append<uint64_t>(&e, v.size());
  for (const std::string& s : v) AppendString(&e, s);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetI32Array(std::string key, std::vector<int32_t> v) {
  std::string e = Typed(GgufValueType::kArray);
  Append<uint32_t>(&e, static_cast<uint32_t>(GgufValueType::kI32));
  Append<uint64_t>(&e, v.size());
  for (int32_t x : v) Append(&e, x);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::SetF32Array(std::string key, std::vector<float> v) {
  std::string e = Typed(GgufValueType::kArray);
  Append<uint32_t>(&e, static_cast<uint32_t>(GgufValueType::kF32));
  Append<uint64_t>(&e, v.size());
  for (float x : v) Append(&e, x);
  impl_->Put(std::move(key), std::move(e));
}

void GgufWriter::CopyKv(const GgufKv& kv) {
  const GgufValue& v = kv.value;
  std::string e = Typed(v.type);
  if (v.type == GgufValueType::kString) {
    AppendString(&e, v.str);
  } else if (v.type == GgufValueType::kArray) {
    Append<uint32_t>(&e, static_cast<uint32_t>(v.elem_type));
    Append<uint64_t>(&e, v.count);
    if (v.elem_type == GgufValueType::kString) {
      for (std::string_view s : v.strs) AppendString(&e, s);
    } else {
      e.append(reinterpret_cast<const char*>(v.raw.data()), v.raw.size());
    }
  } else {
    AppendScalar(&e, v.type, v);
  }
  impl_->Put(std::string(kv.key), std::move(e));
}

void GgufWriter::RemoveKv(std::string_view key) {
  auto& kvs = impl_->kvs;
  for (auto it = kvs.begin(); it != kvs.end(); ++it) {
    if (it->key == key) {
      kvs.erase(it);
      return;
    }
  }
}

void GgufWriter::AddTensorView(std::string name, TensorType type, std::vector<uint64_t> ne,
                               std::span<const uint8_t> bytes) {
  Impl::Tensor t{std::move(name), type, std::move(ne), bytes, {}, false, nullptr};
  impl_->tensors.push_back(std::move(t));
}

void GgufWriter::AddTensor(std::string name, TensorType type, std::vector<uint64_t> ne,
                           std::vector<uint8_t> bytes) {
  Impl::Tensor t{std::move(name), type, std::move(ne), {}, std::move(bytes), true, nullptr};
  impl_->tensors.push_back(std::move(t));
}

void GgufWriter::AddTensorFill(std::string name, TensorType type, std::vector<uint64_t> ne,
                               FillFn fill) {
  Impl::Tensor t{std::move(name), type, std::move(ne), {}, {}, false, std::move(fill)};
  impl_->tensors.push_back(std::move(t));
}

void GgufWriter::SetProgress(ProgressFn progress) { impl_->progress = std::move(progress); }

size_t GgufWriter::tensor_count() const { return impl_->tensors.size(); }

Status GgufWriter::Write(const std::string& path, const std::string& refuse_path) const {
  // Never overwrite the file being rewritten: compare identities, so "./a" and "a" or a
  // hard link are caught too.
  if (!refuse_path.empty()) {
    struct stat in_st {}, out_st {};
    if (::stat(refuse_path.c_str(), &in_st) == 0 && ::stat(path.c_str(), &out_st) == 0 &&
        in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) {
      return InvalidArgument("refusing to write " + path + ": it is the input file " +
                             refuse_path);
    }
  }

  // Alignment from the metadata, as a reader will see it.
  uint64_t align = 32;
  for (const Impl::Kv& kv : impl_->kvs) {
    if (kv.key != "general.alignment") continue;
    uint32_t type = 0, value = 0;
    if (kv.encoded.size() == 8) {
      std::memcpy(&type, kv.encoded.data(), 4);
      std::memcpy(&value, kv.encoded.data() + 4, 4);
    }
    if (type != static_cast<uint32_t>(GgufValueType::kU32) || value == 0 ||
        (value & (value - 1)) != 0) {
      return InvalidArgument("cannot write " + path +
                             ": general.alignment must be a u32 power of two");
    }
    align = value;
  }

  // Check every tensor and lay out the data section.
  std::unordered_set<std::string_view> names;
  std::vector<uint64_t> sizes;
  uint64_t total_bytes = 0;
  for (const Impl::Tensor& t : impl_->tensors) {
    const std::string what = "cannot write " + path + ": tensor " + t.name;
    if (t.name.empty() || t.name.size() > 63) return InvalidArgument(what + ": name must be 1..63 bytes");
    if (!names.insert(t.name).second) return InvalidArgument(what + ": duplicate name");
    if (t.ne.size() > 4) return InvalidArgument(what + ": more than 4 dimensions");
    const TensorTypeInfo& ti = TypeInfo(t.type);
    uint64_t n = 1;
    for (uint64_t d : t.ne) {
      if (__builtin_mul_overflow(n, d, &n)) return InvalidArgument(what + ": shape overflows");
    }
    const uint64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
    if (ne0 % ti.block_size != 0) {
      return InvalidArgument(what + ": row length " + std::to_string(ne0) +
                             " is not a multiple of the block size " +
                             std::to_string(ti.block_size));
    }
    const uint64_t nbytes = n / ti.block_size * ti.block_bytes;
    const uint64_t have = t.is_owned ? t.owned.size() : t.view.size();
    if (!t.fill && have != nbytes) {
      return InvalidArgument(what + ": has " + std::to_string(have) + " bytes, its shape needs " +
                             std::to_string(nbytes));
    }
    sizes.push_back(nbytes);
    total_bytes += nbytes;
  }

  // Header, metadata and tensor infos in one buffer.
  std::string head;
  head.append("GGUF");
  Append<uint32_t>(&head, 3);
  Append<uint64_t>(&head, impl_->tensors.size());
  Append<uint64_t>(&head, impl_->kvs.size());
  for (const Impl::Kv& kv : impl_->kvs) {
    AppendString(&head, kv.key);
    head.append(kv.encoded);
  }
  uint64_t offset = 0;
  for (size_t k = 0; k < impl_->tensors.size(); ++k) {
    const Impl::Tensor& t = impl_->tensors[k];
    AppendString(&head, t.name);
    Append<uint32_t>(&head, static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne) Append<uint64_t>(&head, d);
    Append<uint32_t>(&head, static_cast<uint32_t>(t.type));
    Append<uint64_t>(&head, offset);
    offset += sizes[k] + PadTo(sizes[k], align);
  }
  // Padded even without tensors, as llama.cpp's and gguf-py's writers do.
  head.append(PadTo(head.size(), align), '\0');

  // Temporary file next to the target so the final rename stays on one file system.
  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmp_name = ".";
  tmp_name += target.filename().string();
  tmp_name += ".tmp-XXXXXX";
  std::string tmp = (dir / tmp_name).string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return Internal("cannot create a temporary file in " + dir.string() + ": " +
                    std::strerror(errno));
  }
  ::fchmod(fd, 0644);
  auto fail = [&](Status s) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };

  if (Status s = WriteAll(fd, head.data(), head.size(), tmp); !s.ok()) return fail(s);
  static const uint8_t kZeros[256] = {};
  uint64_t done_bytes = 0;
  // One buffer for every generated tensor: allocating (and faulting in) a fresh one per
  // tensor costs more than generating the data.
  std::vector<uint8_t> filled;
  for (size_t k = 0; k < impl_->tensors.size(); ++k) {
    const Impl::Tensor& t = impl_->tensors[k];
    std::span<const uint8_t> data = t.is_owned ? std::span<const uint8_t>(t.owned) : t.view;
    if (t.fill) {
      if (filled.size() < sizes[k]) filled.resize(sizes[k]);
      std::span<uint8_t> out(filled.data(), sizes[k]);
      std::fill(out.begin(), out.end(), uint8_t{0});
      if (Status s = t.fill(out); !s.ok()) {
        return fail(s.WithContext("cannot write " + path + ": tensor " + t.name));
      }
      data = out;
    }
    if (Status s = WriteAll(fd, data.data(), data.size(), tmp); !s.ok()) return fail(s);
    if (Status s = WriteAll(fd, kZeros, PadTo(sizes[k], align), tmp); !s.ok()) return fail(s);
    done_bytes += sizes[k];
    if (impl_->progress) impl_->progress(k + 1, impl_->tensors.size(), done_bytes, total_bytes);
  }
  if (::fsync(fd) != 0) return fail(Internal("cannot sync " + tmp + ": " + std::strerror(errno)));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Internal("cannot close " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string msg = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return Internal(msg);
  }
  // Make the rename itself durable.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace md
