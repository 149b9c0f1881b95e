// Result<T>: the value of an operation or the reason it failed. Every module boundary returns
// one of these instead of throwing or returning a bare bool (after Abseil's StatusOr and Mesos'
// Try). Errors carry a code chosen by what the caller should do about them, and a message that
// gains context at each hop ("launch task t1: clone: Operation not permitted").
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace berth {

// Add a code only when some caller branches on it.
enum class ErrorCode {
  kMalformed,        // the request could not be read at all, e.g. invalid JSON (400)
  kInvalidArgument,  // the caller sent something wrong; retrying will not help (422/400)
  kNotFound,         // the named object does not exist (404)
  kConflict,         // the object exists, or changed since it was read (409)
  kUnavailable,      // transient: retry later (503)
  kExhausted,        // a limit is reached (Marathon's 403 for too many deployments)
  kInternal,         // everything else: a bug or an environment failure (500)
};

// One field that failed validation, as Marathon reports it: the path into the request body
// ("/container/volumes(0)/containerPath", "/" for rules on the whole object) and every rule the
// value broke there.
struct FieldError {
  std::string path;
  std::vector<std::string> errors;

  bool operator==(const FieldError&) const = default;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // kInvalidArgument from validation: the fields at fault (Marathon's `details`).
  std::vector<FieldError> fields;
  // kMalformed: Marathon's `details` when it is a plain string (the JSON parser's message).
  std::string details_text;

  // Returns this error with `context` prepended: "context: message".
  Error context(const std::string& prefix) const& {
    return {code, prefix + ": " + message, fields, details_text};
  }
  Error context(const std::string& prefix) && {
    return {code, prefix + ": " + std::move(message), std::move(fields), std::move(details_text)};
  }
};

inline Error invalid_argument(std::string message) {
  return {ErrorCode::kInvalidArgument, std::move(message)};
}
inline Error malformed(std::string message, std::string details_text = {}) {
  return {ErrorCode::kMalformed, std::move(message), {}, std::move(details_text)};
}
// Marathon's 422 "Object is not valid" with the fields at fault.
inline Error invalid_fields(std::vector<FieldError> fields) {
  return {ErrorCode::kInvalidArgument, "Object is not valid", std::move(fields)};
}
inline Error not_found(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
inline Error conflict(std::string message) { return {ErrorCode::kConflict, std::move(message)}; }
inline Error unavailable(std::string message) {
  return {ErrorCode::kUnavailable, std::move(message)};
}
inline Error exhausted(std::string message) { return {ErrorCode::kExhausted, std::move(message)}; }
inline Error internal_error(std::string message) {
  return {ErrorCode::kInternal, std::move(message)};
}
// An internal error naming the failed system call and errno's text.
Error errno_error(const std::string& what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<Error>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace berth

// Returns the error of `expr` from the enclosing function if it failed.
#define BERTH_RETURN_IF_ERROR(expr) \
  do {                              \
    auto berth_status_ = (expr);    \
    if (!berth_status_.ok()) {      \
      return berth_status_.error(); \
    }                               \
  } while (false)
