// Status and StatusOr: how anything that touches outside data (files, images, HTTP
// bodies, prompts, config) reports failure. No exceptions cross the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "common/check.h"

namespace md {

// What kind of failure; the server maps these to HTTP codes (see ToHttpStatus).
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,    // bad input from the caller: 400
  kNotFound,           // a file or key that is not there: 404 / 400
  kOutOfRange,         // a limit exceeded (prompt too long, too many pixels): 400 / 413
  kDataLoss,           // truncated or corrupt file
  kUnsupported,        // a valid input we do not handle (unknown type, format): 415 / 501
  kResourceExhausted,  // queue full, out of memory: 503
  kCancelled,          // the caller gave up
  kDeadlineExceeded,   // a timeout
  kUnavailable,        // not ready yet (model loading), network down
  kInternal,           // a bug or an unexpected system failure
};

// Short name of a code, e.g. "invalid_argument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // A sentence a user can act on, e.g. "model file truncated: tensor X ends at ...".
  const std::string& message() const { return message_; }
  // "invalid_argument: message"
  std::string ToString() const;
  // Returns a copy whose message is "prefix: message".
  Status WithContext(const std::string& prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT
    MD_CHECK(!std::get<Status>(v_).ok());
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { MD_CHECK(ok()); return std::get<T>(v_); }
  const T& value() const& { MD_CHECK(ok()); return std::get<T>(v_); }
  T&& value() && { MD_CHECK(ok()); return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace md

// Returns early from the enclosing function if `expr` (a Status) is not ok.
#define MD_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::md::Status md_status_ = (expr);       \
    if (!md_status_.ok()) return md_status_; \
  } while (0)

#define MD_CONCAT_INNER_(a, b) a##b
#define MD_CONCAT_(a, b) MD_CONCAT_INNER_(a, b)
// `MD_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a StatusOr or returns its Status.
#define MD_ASSIGN_OR_RETURN(lhs, expr) \
  MD_ASSIGN_OR_RETURN_IMPL_(MD_CONCAT_(md_statusor_, __LINE__), lhs, expr)
#define MD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
