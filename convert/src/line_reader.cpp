#include "line_reader.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tap::convert {
namespace {
constexpr size_t kChunk = 1 << 20;
}

LineReader::LineReader(Fd fd, uint64_t total, std::string head)
    : fd_(std::move(fd)), from_fd_(true), buf_(std::move(head)), total_(total) {}

LineReader::LineReader(std::string bytes)
    : eof_(true), buf_(std::move(bytes)), total_(buf_.size()) {}

Result<bool> LineReader::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    base_ += pos_;
    pos_ = 0;
  }
  size_t old = buf_.size();
  buf_.resize(old + kChunk);
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf_.data() + old, kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      buf_.resize(old);
      return Error::from_errno("read", errno);
    }
    buf_.resize(old + static_cast<size_t>(n));
    if (n == 0) eof_ = true;
    return n > 0;
  }
}

Result<bool> LineReader::next(std::string_view* line) {
  size_t scan = pos_;
  for (;;) {
    const char* nl = static_cast<const char*>(
        std::memchr(buf_.data() + scan, '\n', buf_.size() - scan));
    if (nl != nullptr) {
      size_t end = static_cast<size_t>(nl - buf_.data());
      *line = std::string_view(buf_.data() + pos_, end - pos_);
      line_offset_ = base_ + pos_;
      ++line_no_;
      consumed_ = base_ + end + 1;
      pos_ = end + 1;
      return true;
    }
    scan = buf_.size() - pos_;  // relative: fill() moves the data to the front
    TAP_TRY(bool more, fill());
    scan += pos_;
    if (!more) {
      if (pos_ >= buf_.size()) return false;
      *line = std::string_view(buf_.data() + pos_, buf_.size() - pos_);
      line_offset_ = base_ + pos_;
      ++line_no_;
      unterminated_ = true;
      pos_ = buf_.size();
      consumed_ = base_ + pos_;
      return true;
    }
  }
}

Result<std::string> LineReader::rest() {
  for (;;) {
    TAP_TRY(bool more, fill());
    if (!more) break;
  }
  std::string out = buf_.substr(pos_);
  pos_ = buf_.size();
  consumed_ = base_ + pos_;
  return out;
}

Result<size_t> LineReader::read_bytes(size_t n, std::string* out) {
  while (buf_.size() - pos_ < n) {
    TAP_TRY(bool more, fill());
    if (!more) break;
  }
  size_t k = std::min(n, buf_.size() - pos_);
  out->assign(buf_, pos_, k);
  pos_ += k;
  consumed_ = base_ + pos_;
  return k;
}

Result<std::string_view> LineReader::peek(size_t n) {
  while (buf_.size() - pos_ < n) {
    TAP_TRY(bool more, fill());
    if (!more) break;
  }
  return std::string_view(buf_.data() + pos_, std::min(n, buf_.size() - pos_));
}

}  // namespace tap::convert
