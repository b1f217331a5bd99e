// LineReader: lines of a file, a pipe or a buffer in bounded memory (the longest line plus
// one read chunk), with the line number and byte offset that error messages name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tap/support/fd.hpp"
#include "tap/support/result.hpp"

namespace tap::convert {

class LineReader {
 public:
  // Reads from `fd` (owned) in chunks; `total` is the file size when known (progress).
  // `head`: bytes already read from `fd`, taken as its start.
  explicit LineReader(Fd fd, uint64_t total = 0, std::string head = {});
  // Reads from bytes held in memory.
  explicit LineReader(std::string bytes);

  // The next line without its "\n" (a trailing "\r" is kept), or false at the end. The view
  // stays valid until the next call.
  Result<bool> next(std::string_view* line);
  // Everything not yet returned, read to the end (asciicast v1 is one document).
  Result<std::string> rest();
  // Up to `n` raw bytes into `out` (replacing it); fewer only at the end of input.
  Result<size_t> read_bytes(size_t n, std::string* out);
  // Raw bytes [n] from the current position without consuming (sniffing a format); may
  // return fewer at the end of input.
  Result<std::string_view> peek(size_t n);

  uint64_t line_number() const { return line_no_; }       // of the line last returned (1-based)
  uint64_t line_offset() const { return line_offset_; }   // byte offset where it starts
  bool last_line_unterminated() const { return unterminated_; }
  uint64_t consumed() const { return consumed_; }
  uint64_t total() const { return total_; }

 private:
  Result<bool> fill();  // reads one more chunk; false at end of input

  Fd fd_;
  bool from_fd_ = false;
  bool eof_ = false;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t base_ = 0;       // file offset of buf_[0]
  uint64_t consumed_ = 0;
  uint64_t total_ = 0;
  uint64_t line_no_ = 0;
  uint64_t line_offset_ = 0;
  bool unterminated_ = false;
};

}  // namespace tap::convert
