// Random access to a file or a buffer for the reader and the verifier.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "tap/support/result.hpp"

namespace tap::format {

class Source {
 public:
  virtual ~Source() = default;
  static Result<std::unique_ptr<Source>> open_file(const std::filesystem::path& path);
  static std::unique_ptr<Source> from_buffer(std::string bytes);

  uint64_t size() const { return size_; }
  // Reads exactly `len` bytes at `offset` into `out` (resized); fails past the end.
  virtual Result<void> read(uint64_t offset, size_t len, std::string& out) = 0;
  virtual Result<void> read(uint64_t offset, size_t len, char* out) = 0;
  // Takes the current size of a file that may be growing (a buffer does not change); reads
  // up to it are then allowed. A file that shrank is an error: a .tap file only grows.
  virtual Result<uint64_t> refresh() { return size_; }

 protected:
  uint64_t size_ = 0;
};

}  // namespace tap::format
