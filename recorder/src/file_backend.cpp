#include "tap/recorder/file_backend.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "tap/format/keys.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/support/log.hpp"
#include "tap/support/version.hpp"

namespace tap::recorder {
namespace fs = std::filesystem;

namespace {

// 32 hex digits (dashes ignored) -> 16 bytes; zeros when unreadable.
format::Id128 read_id(const char* path) {
  format::Id128 id{};
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  size_t n = 0;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  int hi = -1;
  for (char c : text) {
    int v = hex(c);
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      if (n < id.size()) id[n++] = static_cast<uint8_t>(hi << 4 | v);
      hi = -1;
    }
  }
  return id;
}

std::string hex8(const format::Id128& id) {
  char out[9];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
  return out;
}

// Only characters that are safe in a file name; the host name comes from the system.
std::string safe(std::string_view s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out.empty() ? "host" : out;
}

class TapFile final : public SessionFile {
 public:
  TapFile(std::unique_ptr<format::SessionWriter> w, fs::path path)
      : w_(std::move(w)), path_(std::move(path)) {}
  Result<uint64_t> append(const format::Event& event) override { return w_->append(event); }
  Result<void> tick(format::Nanos now) override { return w_->tick(now); }
  Result<void> flush() override { return w_->flush(); }
  Result<void> finish(const format::SessionEnd& end) override { return w_->finish(end); }
  const fs::path& path() const override { return path_; }

 private:
  std::unique_ptr<format::SessionWriter> w_;
  fs::path path_;
};

Result<void> make_dir(const fs::path& dir, unsigned mode, gid_t gid) {
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno != EEXIST) return fail(Error::from_errno("create " + dir.string(), errno));
    return {};
  }
  ::chmod(dir.c_str(), mode);  // umask must not loosen or tighten what the docs promise
  if (gid != static_cast<gid_t>(-1) && ::chown(dir.c_str(), 0, gid) != 0)
    return fail(Error::from_errno("chown " + dir.string(), errno));
  return {};
}

}  // namespace

FileBackend::FileBackend(FileBackendOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<FileBackend>> FileBackend::open(FileBackendOptions options) {
  bool group = options.auditor_gid != static_cast<gid_t>(-1);
  unsigned dir_mode = group ? 0750 : 0700;
  options.writer.file_mode = group ? 0640 : 0600;
  std::error_code ec;
  fs::create_directories(options.spool, ec);
  if (ec) return fail(ErrorKind::io, "create spool " + options.spool.string() + ": " + ec.message());
  ::chmod(options.spool.c_str(), dir_mode);
  if (group && ::chown(options.spool.c_str(), 0, options.auditor_gid) != 0)
    return fail(Error::from_errno("chown " + options.spool.string(), errno));
  TAP_CHECK(make_dir(options.spool / ".state", 0700, static_cast<gid_t>(-1)));
  if (::access(options.spool.c_str(), W_OK) != 0)
    return fail(Error::from_errno("spool " + options.spool.string(), errno));
  auto b = std::unique_ptr<FileBackend>(new FileBackend(std::move(options)));
  b->host_.host_id = read_id("/etc/machine-id");
  b->host_.boot_id = read_id("/proc/sys/kernel/random/boot_id");
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  b->host_.host_name = name;
  b->host_.recorder = std::string("taprec ") + kVersion;
  if (b->options_.writer.key) b->host_.key_id = b->options_.writer.key->id();
  return b;
}

void FileBackend::fill_host(format::SessionInfo& info) {
  info.host_id = host_.host_id;
  info.boot_id = host_.boot_id;
  info.host_name = host_.host_name;
  info.recorder = host_.recorder;
  info.key_id = host_.key_id;
}

std::string FileBackend::user_name(uint32_t uid) {
  struct passwd pw {};
  struct passwd* out = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &out) == 0 && out != nullptr) return out->pw_name;
  return {};
}

std::string FileBackend::file_name(const format::SessionInfo& info) {
  time_t secs = static_cast<time_t>(info.start_wall_ns / 1'000'000'000);
  struct tm tm {};
  ::gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string name = safe(info.host_name) + "-" + stamp + "-pts" + std::to_string(info.pty_index) +
                     "-" + hex8(info.session_id);
  if (info.segment > 0) name += ".seg" + std::to_string(info.segment);
  return name + ".tap";
}

Result<fs::path> FileBackend::day_dir(int64_t wall_ns) {
  time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  struct tm tm {};
  ::gmtime_r(&secs, &tm);
  char y[16], m[16], d[16];
  std::snprintf(y, sizeof y, "%04d", tm.tm_year + 1900);
  std::snprintf(m, sizeof m, "%02d", tm.tm_mon + 1);
  std::snprintf(d, sizeof d, "%02d", tm.tm_mday);
  bool group = options_.auditor_gid != static_cast<gid_t>(-1);
  unsigned mode = group ? 0750 : 0700;
  fs::path dir = options_.spool;
  for (const char* part : {y, m, d}) {
    dir /= part;
    TAP_CHECK(make_dir(dir, mode, options_.auditor_gid));
  }
  return dir;
}

Result<std::unique_ptr<SessionFile>> FileBackend::create(const format::SessionInfo& info) {
  // Directory by the segment's own creation day, name by the session's start.
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  fs::path path;
  auto prev = previous_.find(info.session_id);
  if (info.segment > 0 && prev != previous_.end()) {
    // Segments sit beside the first one: <base>.segK.tap (docs/format.md §Segments).
    path = format::segment_path(format::segment_base(prev->second), info.segment);
  } else {
    TAP_TRY(fs::path dir, day_dir(info.segment > 0 ? now.tv_sec * 1'000'000'000ll : info.start_wall_ns));
    path = dir / file_name(info);
  }
  TAP_TRY(auto writer, format::SessionWriter::create(path, info, options_.writer));
  if (options_.auditor_gid != static_cast<gid_t>(-1) && ::chown(path.c_str(), 0, options_.auditor_gid) != 0)
    log::warning("chown ", path.string(), ": ", std::strerror(errno));
  return std::unique_ptr<SessionFile>(new TapFile(std::move(writer), path));
}

fs::path FileBackend::state_path(const SessionKey& key) const {
  return options_.spool / ".state" /
         (std::to_string(key.pty_dev) + "-" + std::to_string(key.pty_index));
}

void FileBackend::started(const SessionKey& key, const format::SessionInfo&, const fs::path& path,
                          uint64_t out_off, uint64_t in_off) {
  fs::path p = state_path(key);
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << key.generation << '\n' << out_off << '\n' << in_off << '\n' << path.string() << '\n';
    if (!out) {
      log::warning("write ", tmp.string(), ": a restart after a crash will start a new session");
      return;
    }
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
}

void FileBackend::ended(const SessionKey& key) {
  std::error_code ec;
  fs::remove(state_path(key), ec);
}

std::optional<Resume> FileBackend::resume(const SessionKey& key) {
  std::ifstream in(state_path(key));
  uint64_t gen = 0, out_start = 0, in_start = 0;
  std::string path;
  if (!(in >> gen >> out_start >> in_start)) return std::nullopt;
  in.ignore(1);
  std::getline(in, path);
  if (gen != key.generation || path.empty()) return std::nullopt;
  auto reader = format::SessionReader::open(path);
  if (!reader.ok()) {
    log::warning("previous segment ", path, ": ", reader.error().what(), "; starting a new session");
    return std::nullopt;
  }
  // The new segment links the old one's last verified seal, or its chain start when it had
  // none yet (docs/format.md §Segments).
  auto link = format::link_to(path);
  if (!link.ok()) {
    log::warning("previous segment ", path, ": ", link.error().what(), "; starting a new session");
    return std::nullopt;
  }
  Resume r;
  r.previous = (*reader)->info();
  r.previous_path = path;
  r.link = *link;
  previous_[r.previous.session_id] = path;
  uint64_t out = out_start, inp = in_start;
  for (;;) {
    auto ev = (*reader)->next();
    if (!ev.ok() || *ev == nullptr) break;
    const format::Event& e = **ev;
    if (auto* o = e.get<format::Output>()) out += o->data.size();
    else if (auto* i = e.get<format::Input>()) inp += i->data.size();
    else if (auto* s = e.get<format::InputSuppressed>()) inp += s->length;
    else if (auto* g = e.get<format::Gap>()) {
      uint64_t& pos = g->stream == format::Stream::output ? out : inp;
      pos = std::max(pos, g->offset + g->bytes);
    }
  }
  r.out_off = out;
  r.in_off = inp;
  return r;
}

}  // namespace tap::recorder
