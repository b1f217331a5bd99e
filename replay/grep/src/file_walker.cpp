#include "tap/grep/file_walker.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <system_error>
#include <unordered_set>

#include "tap/format/segments.hpp"

namespace tap::grep {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ".segK" with K one or more digits, at the end of `s`.
bool ends_with_seg(const std::string& s) {
  size_t i = s.size();
  while (i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1]))) --i;
  return i < s.size() && i >= 4 && s.compare(i - 4, 4, ".seg") == 0;
}

}  // namespace

bool is_recording_name(const std::string& name) {
  if (ends_with(name, ".tap") || ends_with(name, ".cast")) return true;
  // A later segment of a session: <name>.tap.segK (DESIGN.md §2).
  if (ends_with_seg(name)) {
    std::string stem = name.substr(0, name.rfind(".seg"));
    return ends_with(stem, ".tap");
  }
  return false;
}

namespace {

// Lists `dir` and its subdirectories; an unreadable directory is reported and skipped.
void walk_dir(const fs::path& dir, std::vector<fs::path>& found, std::vector<Error>& errors, int depth) {
  // The spool is four levels deep; a bound keeps a pathological tree from exhausting the stack.
  if (depth > 64) {
    errors.push_back(Error(ErrorKind::invalid_argument, dir.string() + ": directories nested too deep"));
    return;
  }
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    errors.push_back(Error::from_errno(dir.string(), ec.value()));
    return;
  }
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    std::error_code sec;
    // symlink_status: a link to a directory is not followed, so a loop cannot hang the walk.
    fs::file_status st = it->symlink_status(sec);
    if (sec) continue;
    if (fs::is_directory(st)) {
      walk_dir(it->path(), found, errors, depth + 1);
    } else if (is_recording_name(it->path().filename().string())) {
      std::error_code rec;
      if (fs::is_regular_file(it->path(), rec)) found.push_back(it->path());
    }
  }
  if (ec) errors.push_back(Error::from_errno(dir.string(), ec.value()));
}

// The file a session is searched by: a later segment (`<base>.segK.tap`) that follows segment 0
// and the ones between is read, and named, through segment 0 (the session reader reads the
// whole session from either). Anything else is itself.
fs::path session_file(const fs::path& path) {
  const std::vector<fs::path> segments = format::segment_paths(path);
  if (std::find(segments.begin(), segments.end(), path) == segments.end()) return path;
  return segments.front();
}

}  // namespace

WalkResult walk_paths(const std::vector<std::string>& paths) {
  WalkResult result;
  std::unordered_set<std::string> seen;  // each session once, where it first appears
  auto add = [&](const fs::path& p) {
    fs::path file = session_file(p);
    if (seen.insert(file.string()).second) result.files.push_back(std::move(file));
  };
  for (const auto& arg : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(arg, ec);
    if (ec) {
      result.errors.push_back(Error::from_errno(arg, ec.value()));
      continue;
    }
    if (!fs::is_directory(st)) {
      add(arg);
      continue;
    }
    std::vector<fs::path> found;
    walk_dir(arg, found, result.errors, 0);
    std::sort(found.begin(), found.end());
    for (const auto& f : found) add(f);
  }
  return result;
}

}  // namespace tap::grep
