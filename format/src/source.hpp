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

 protected:
  uint64_t size_ = 0;
};

}  // namespace tap::format
