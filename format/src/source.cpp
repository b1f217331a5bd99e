#include "source.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tap/support/fd.hpp"

namespace tap::format {
namespace {

class FileSource final : public Source {
 public:
  FileSource(Fd fd, uint64_t size, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {
    size_ = size;
  }
  Result<void> read(uint64_t offset, size_t len, std::string& out) override {
    out.resize(len);
    return read(offset, len, out.data());
  }
  Result<void> read(uint64_t offset, size_t len, char* out) override {
    if (offset > size_ || len > size_ - offset)
      return fail(ErrorKind::truncated, "read past the end of " + name_);
    TAP_TRY(size_t n, pread_full(fd_.get(), out, len, offset));
    if (n != len) return fail(ErrorKind::truncated, name_ + " shrank while being read");
    return {};
  }
  Result<uint64_t> refresh() override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return fail(Error::from_errno("stat " + name_, errno));
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size < size_)
      return fail(ErrorKind::corrupt, name_ + " shrank from " + std::to_string(size_) + " to " +
                                          std::to_string(size) + " bytes while being read");
    size_ = size;
    return size_;
  }

 private:
  Fd fd_;
  std::string name_;
};

class BufferSource final : public Source {
 public:
  explicit BufferSource(std::string bytes) : bytes_(std::move(bytes)) { size_ = bytes_.size(); }
  Result<void> read(uint64_t offset, size_t len, std::string& out) override {
    if (offset > size_ || len > size_ - offset)
      return fail(ErrorKind::truncated, "read past the end of the buffer");
    out.assign(bytes_, offset, len);
    return {};
  }
  Result<void> read(uint64_t offset, size_t len, char* out) override {
    if (offset > size_ || len > size_ - offset)
      return fail(ErrorKind::truncated, "read past the end of the buffer");
    std::memcpy(out, bytes_.data() + offset, len);
    return {};
  }

 private:
  std::string bytes_;
};

}  // namespace

Result<std::unique_ptr<Source>> Source::open_file(const std::filesystem::path& path) {
  TAP_TRY(Fd fd, Fd::open(path.string(), O_RDONLY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(Error::from_errno("stat " + path.string(), errno));
  if (!S_ISREG(st.st_mode))
    return fail(ErrorKind::invalid_argument, path.string() + ": not a regular file");
  return std::unique_ptr<Source>(
      new FileSource(std::move(fd), static_cast<uint64_t>(st.st_size), path.string()));
}

std::unique_ptr<Source> Source::from_buffer(std::string bytes) {
  return std::make_unique<BufferSource>(std::move(bytes));
}

}  // namespace tap::format
