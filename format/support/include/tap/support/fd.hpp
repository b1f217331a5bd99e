// Fd: an owned file descriptor, closed exactly once.
#pragma once

#include <string_view>
#include <utility>

#include "tap/support/result.hpp"

namespace tap {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }
  // Closes the current descriptor (if any) and owns `fd` instead.
  void reset(int fd = -1);

  // open(2) with O_CLOEXEC added; the error names the path.
  static Result<Fd> open(std::string_view path, int flags, unsigned mode = 0);

 private:
  int fd_ = -1;
};

// Writes all of `data` (retrying EINTR and short writes).
Result<void> write_all(int fd, std::string_view data);
// Reads up to `len` bytes at `offset`, retrying EINTR and short reads until EOF.
Result<size_t> pread_full(int fd, void* buf, size_t len, uint64_t offset);

}  // namespace tap
