#include "tap/replay/recording.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace tap::replay {
namespace {

// NAME.tap or NAME.segK.tap → NAME.
std::string session_stem(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tap") == 0) name.resize(name.size() - 4);
  const size_t seg = name.rfind(".seg");
  if (seg != std::string::npos && seg + 4 < name.size() &&
      std::all_of(name.begin() + static_cast<long>(seg) + 4, name.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    name.resize(seg);
  }
  return name;
}

}  // namespace

RecordingArg split_recording_arg(std::string_view arg) {
  RecordingArg out{std::string(arg), std::nullopt};
  std::error_code ec;
  if (arg == "-" || std::filesystem::exists(std::filesystem::path(std::string(arg)), ec)) return out;
  const size_t at = arg.rfind('@');
  if (at == std::string_view::npos || at == 0) return out;
  out.path = std::string(arg.substr(0, at));
  out.time = std::string(arg.substr(at + 1));
  return out;
}

Result<Recording> Recording::open(const std::string& path) {
  Recording rec;
  rec.path_ = path;
  if (path == "-") {
    std::string bytes;
    char buf[1 << 16];
    while (true) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(Error::from_errno("read standard input", errno));
      if (n == 0) break;
      bytes.append(buf, static_cast<size_t>(n));
    }
    rec.size_ = bytes.size();
    rec.stdin_bytes_ = std::make_shared<const std::string>(std::move(bytes));
    TAP_TRY(rec.reader_, format::SessionReader::open_buffer(*rec.stdin_bytes_));
    return rec;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorKind::invalid_argument, path + ": is a directory");
  }
  TAP_TRY(rec.reader_, format::SessionReader::open(path));
  rec.size_ = std::filesystem::file_size(path, ec);
  if (ec) rec.size_ = 0;
  return rec;
}

Result<std::unique_ptr<format::SessionReader>> Recording::reopen() const {
  if (stdin_bytes_) return format::SessionReader::open_buffer(*stdin_bytes_);
  return format::SessionReader::open(path_);
}

void Recording::reset_reader(std::unique_ptr<format::SessionReader> reader) {
  reader_ = std::move(reader);
  std::error_code ec;
  if (!stdin_bytes_) {
    const uint64_t size = std::filesystem::file_size(path_, ec);
    if (!ec) size_ = size;
  }
}

std::optional<std::filesystem::path> Recording::next_segment() const {
  if (stdin_bytes_) return std::nullopt;
  const std::filesystem::path self(path_);
  const std::string stem = session_stem(self);
  std::filesystem::path dir = self.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::vector<std::filesystem::path> candidates;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > stem.size() + 4 && name.compare(0, stem.size() + 4, stem + ".seg") == 0 &&
        name.size() > 4 && name.compare(name.size() - 4, 4, ".tap") == 0) {
      candidates.push_back(it->path());
    }
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& candidate : candidates) {
    auto reader = format::SessionReader::open(candidate);
    if (!reader.ok()) continue;
    const format::SessionInfo& next = (*reader)->info();
    if (next.previous && next.previous->previous_file_id == info().file_id &&
        next.session_id == info().session_id) {
      return candidate;
    }
  }
  return std::nullopt;
}

}  // namespace tap::replay
