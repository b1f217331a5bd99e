// Result<T> and Error: how every tap library reports a recoverable failure.
//
// Library code never throws. A fallible function returns Result<T>; an Error carries a kind
// (what a caller may branch on), a message, and the context it gathered on the way up
// ("open /x.tap: read header: truncated"). `main` prints Error::what() in one line and maps
// Error::kind() to an exit code. The shape follows C++23 std::expected so it can be swapped
// for it once the toolchain has it.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tap {

// What went wrong, coarse enough to choose an exit code or a retry on.
enum class ErrorKind {
  internal,             // a bug in tap: an invariant did not hold
  invalid_argument,     // the caller passed something unusable (bad flag, bad time spec)
  io,                   // a system call failed (errno in the message)
  not_found,            // a file, session or key that does not exist
  permission,           // the kernel said no (EACCES, EPERM)
  exists,               // refusing to overwrite something that exists
  truncated,            // input ends early: a torn tail, a cut-off file
  corrupt,              // input is malformed: bad CRC, impossible length, garbage
  unsupported_version,  // a known format in a version this build cannot read
  tampered,             // integrity check failed: the bytes are not what was sealed
  untrusted,            // the data is intact but no trusted key vouches for it
  unsupported,          // this kernel or machine cannot do what was asked
  protocol,             // a peer spoke the live protocol wrongly
  timeout,              // a deadline passed
};

std::string_view to_string(ErrorKind kind);

class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  // An error from a failed system call: `what` plus strerror(err).
  static Error from_errno(std::string_view what, int err);

  ErrorKind kind() const { return kind_; }
  // The whole chain, outermost context first: "open s.tap: record 12 at offset 4096: bad CRC".
  const std::string& what() const { return message_; }

  // Prefixes context while the error rises: return std::move(e).context("open " + path).
  Error&& context(std::string_view outer) && {
    message_.insert(0, ": ");
    message_.insert(0, outer);
    return std::move(*this);
  }

 private:
  ErrorKind kind_;
  std::string message_;
};

// Marker type so `return tap::fail(kind, msg);` converts to any Result<T>.
struct Failure {
  Error error;
};
inline Failure fail(ErrorKind kind, std::string message) {
  return Failure{Error(kind, std::move(message))};
}
inline Failure fail(Error error) { return Failure{std::move(error)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Failure f) : v_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}          // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

  template <typename U>
  T value_or(U&& fallback) const& { return ok() ? value() : T(std::forward<U>(fallback)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure f) : error_(std::move(f.error)), ok_(false) {}  // NOLINT
  Result(Error e) : error_(std::move(e)), ok_(false) {}          // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_{ErrorKind::internal, {}};
  bool ok_ = true;
};

}  // namespace tap

// Evaluates a Result expression; on failure returns its error from the enclosing function.
// TAP_TRY(x, expr) declares `x` as the value; TAP_CHECK(expr) is for Result<void>.
#define TAP_CONCAT_IMPL(a, b) a##b
#define TAP_CONCAT(a, b) TAP_CONCAT_IMPL(a, b)
#define TAP_TRY_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                  \
  if (!tmp.ok()) return ::tap::fail(std::move(tmp).error()); \
  decl = std::move(tmp).value()
#define TAP_TRY(decl, expr) TAP_TRY_IMPL(TAP_CONCAT(tap_try_, __LINE__), decl, expr)
#define TAP_CHECK(expr)                                                 \
  do {                                                                  \
    auto tap_check_r = (expr);                                          \
    if (!tap_check_r.ok()) return ::tap::fail(std::move(tap_check_r).error()); \
  } while (0)
