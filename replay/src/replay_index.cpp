#include "tap/replay/replay_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "tap/format/segments.hpp"
#include "tap/support/hash.hpp"
#include "tap/support/log.hpp"
#include "tap/term/keyframer.hpp"

namespace tap::replay {
namespace {

constexpr char kMagic[8] = {'T', 'A', 'P', 'R', 'I', 'X', '0', '1'};
constexpr size_t kFooterBytes = 32;  // table offset, table length, table checksum, magic
// A keyframe state is ≤ 64 KiB at 120×40; refuse to inflate anything absurd from a cache file.
constexpr size_t kMaxStateBytes = 64 << 20;
constexpr size_t kMaxLabel = 4096;
// OSC 133;A: the start of a shell prompt (FinalTerm semantic prompts).
constexpr std::string_view kOsc133Prompt = "\x1b]133;A";


void put_u8(std::string& out, uint8_t v) { out += static_cast<char>(v); }
void put_u16(std::string& out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out += static_cast<char>(v >> (8 * i));
}
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}
void put_str(std::string& out, std::string_view s) {
  s = s.substr(0, kMaxLabel);
  put_u32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Bounds-checked little-endian reader over a table from a cache file.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  uint64_t u(int bytes) {
    if (!ok_ || data_.size() < static_cast<size_t>(bytes)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(data_[i])} << (8 * i);
    data_.remove_prefix(bytes);
    return v;
  }
  std::string str() {
    const uint64_t n = u(4);
    if (!ok_ || n > kMaxLabel || n > data_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(data_.substr(0, n));
    data_.remove_prefix(n);
    return s;
  }
  // Counts are checked against what is left, so a damaged count cannot make us allocate.
  uint64_t count(size_t min_entry_bytes) {
    const uint64_t n = u(4);
    if (n > data_.size() / min_entry_bytes) ok_ = false;
    return ok_ ? n : 0;
  }

 private:
  std::string_view data_;
  bool ok_ = true;
};

std::string exec_label(const format::Exec& e) {
  std::string label = e.argv.empty() ? e.filename : e.argv;
  std::replace(label.begin(), label.end(), '\0', ' ');
  while (!label.empty() && label.back() == ' ') label.pop_back();
  return label;
}

std::string writer_label(const format::WriterChange& w) {
  std::string label = w.comm + " uid " + std::to_string(w.uid);
  if (w.euid != w.uid) label += " euid " + std::to_string(w.euid);
  return label;
}

}  // namespace

std::string_view mark_kind_name(Mark::Kind kind) {
  switch (kind) {
    case Mark::Kind::marker: return "marker";
    case Mark::Kind::prompt: return "prompt";
    case Mark::Kind::exec: return "exec";
    case Mark::Kind::uid_change: return "uid-change";
    case Mark::Kind::gap: return "gap";
  }
  return "marker";
}

std::vector<std::filesystem::path> session_files(const std::filesystem::path& recording) {
  std::vector<std::filesystem::path> files = format::segment_paths(recording);
  if (std::find(files.begin(), files.end(), recording) == files.end()) return {recording};
  return files;
}

Result<ReplayIndex> ReplayIndex::build(format::SessionReader& reader, const BuildOptions& options) {
  ReplayIndex index;
  TAP_CHECK(reader.seek(0));
  std::optional<term::Keyframer> keyframer;
  if (options.keyframes) keyframer.emplace();
  std::optional<format::WriterChange> last_writer;
  while (true) {
    const uint64_t seq = reader.next_seq();
    auto next = reader.next();
    if (!next.ok()) break;  // a mid-file fault: the index covers every intact event before it
    const format::Event* ev = *next;
    if (ev == nullptr) break;
    if (const auto* out = ev->get<format::Output>()) {
      if (out->data.find(kOsc133Prompt) != std::string::npos) {
        index.marks_.push_back({ev->time, Mark::Kind::prompt, "prompt"});
      }
    } else if (const auto* rs = ev->get<format::Resize>()) {
      index.max_cols_ = std::max(index.max_cols_, rs->cols);
      index.max_rows_ = std::max(index.max_rows_, rs->rows);
    } else if (const auto* w = ev->get<format::WriterChange>()) {
      if (!last_writer || last_writer->uid != w->uid || last_writer->euid != w->euid) {
        index.marks_.push_back({ev->time, Mark::Kind::uid_change, writer_label(*w)});
      }
      index.writers_.push_back({ev->time, *w});
      last_writer = *w;
    } else if (const auto* x = ev->get<format::Exec>()) {
      index.marks_.push_back({ev->time, Mark::Kind::exec, exec_label(*x)});
    } else if (const auto* m = ev->get<format::Marker>()) {
      if (m->kind != format::Marker::Kind::title) {
        index.marks_.push_back({ev->time,
                                m->kind == format::Marker::Kind::prompt ? Mark::Kind::prompt
                                                                        : Mark::Kind::marker,
                                m->label.empty() ? std::string(format::marker_kind_name(m->kind))
                                                 : m->label});
      }
    } else if (const auto* g = ev->get<format::Gap>()) {
      index.marks_.push_back({ev->time, Mark::Kind::gap,
                              std::to_string(g->bytes) + " bytes lost (" +
                                  std::string(format::gap_reason_name(g->reason)) + ")"});
    } else if (const auto* o = ev->get<format::Opener>()) {
      if (!index.opener_) index.opener_ = *o;
    }
    if (keyframer) {
      if (auto kf = keyframer->observe(seq, *ev)) {
        const size_t bound = ZSTD_compressBound(kf->state.size());
        const size_t at = index.blob_.size();
        index.blob_.resize(at + bound);
        const size_t n = ZSTD_compress(index.blob_.data() + at, bound, kf->state.data(),
                                       kf->state.size(), 1);
        if (ZSTD_isError(n)) return fail(ErrorKind::internal, "compress keyframe: " +
                                                                  std::string(ZSTD_getErrorName(n)));
        index.blob_.resize(at + n);
        index.keyframes_.push_back({ev->time, kf->event_seq, at, static_cast<uint32_t>(n)});
      }
    }
  }
  index.has_keyframes_ = options.keyframes;
  return index;
}

std::optional<std::filesystem::path> ReplayIndex::cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::filesystem::path(xdg) / "tap";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::filesystem::path(home) / ".cache" / "tap";
  return std::nullopt;
}

std::string ReplayIndex::cache_name(const format::SessionInfo& info, uint64_t bytes,
                                    size_t segments) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name;
  for (uint8_t b : info.file_id) {
    name += kHex[b >> 4];
    name += kHex[b & 15];
  }
  return name + "-" + std::to_string(bytes) + "-" + std::to_string(segments) + ".tapidx";
}

Result<ReplayIndex> ReplayIndex::load_or_build(const std::filesystem::path& recording,
                                               format::SessionReader& reader,
                                               bool need_keyframes) {
  // Event numbers (and so the cached keyframes) count over every segment the reader spans:
  // the entry is named after all of them, so a new segment or a longer one gets a new entry.
  const std::vector<std::filesystem::path> paths = session_files(recording);
  const size_t segments = std::min(paths.size(), reader.segment_count());
  std::error_code ec;
  uint64_t size = 0;
  for (size_t k = 0; k < segments && !ec; ++k) size += std::filesystem::file_size(paths[k], ec);
  const auto dir = cache_dir();
  const bool cacheable = !ec && segments == reader.segment_count() && size >= kCacheMinBytes &&
                         dir.has_value();
  std::filesystem::path path;
  if (cacheable) {
    path = *dir / cache_name(reader.info(), size, segments);
    if (std::filesystem::exists(path, ec)) {
      auto loaded = load(path);
      if (loaded.ok() && (!need_keyframes || loaded->has_keyframes())) return loaded;
      if (!loaded.ok()) log::debug("ignoring cache entry: ", loaded.error().what());
    }
  }
  TAP_TRY(ReplayIndex index, build(reader, BuildOptions{need_keyframes}));
  if (cacheable) {
    std::filesystem::create_directories(*dir, ec);
    if (!ec) ::chmod(dir->c_str(), 0700);
    // Entries for earlier sizes of the same file (it grew, or was rewritten) are stale.
    const std::string name = path.filename().string();
    const std::string same_file = name.substr(0, name.find('-') + 1);
    for (auto it = std::filesystem::directory_iterator(*dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      const std::string other = it->path().filename().string();
      if (other != name && other.rfind(same_file, 0) == 0 && other.size() > 7 &&
          other.compare(other.size() - 7, 7, ".tapidx") == 0) {
        std::error_code ignored;
        std::filesystem::remove(it->path(), ignored);
      }
    }
    auto saved = index.save(path);
    if (!saved.ok()) {
      log::warning("cannot write the replay cache: ", saved.error().what());
    } else if (auto reloaded = load(path); reloaded.ok()) {
      // Serve keyframe states from the file, not from memory.
      return reloaded;
    }
  }
  return index;
}

std::optional<format::WriterChange> ReplayIndex::writer_at(format::Nanos t) const {
  auto it = std::upper_bound(writers_.begin(), writers_.end(), t,
                             [](format::Nanos v, const WriterAt& w) { return v < w.time; });
  if (it == writers_.begin()) return std::nullopt;
  return std::prev(it)->writer;
}

const CachedKeyframe* ReplayIndex::keyframe_at(format::Nanos t) const {
  auto it = std::upper_bound(keyframes_.begin(), keyframes_.end(), t,
                             [](format::Nanos v, const CachedKeyframe& k) { return v < k.time; });
  if (it == keyframes_.begin()) return nullptr;
  return &*std::prev(it);
}

Result<std::string> ReplayIndex::keyframe_state(const CachedKeyframe& keyframe) const {
  std::string compressed;
  if (file_) {
    compressed.resize(keyframe.length);
    TAP_TRY(size_t n, pread_full(file_->get(), compressed.data(), keyframe.length, keyframe.offset));
    if (n != keyframe.length) return fail(ErrorKind::truncated, "replay cache: keyframe cut short");
  } else {
    if (keyframe.offset + keyframe.length > blob_.size()) {
      return fail(ErrorKind::internal, "replay cache: keyframe outside the blob");
    }
    compressed = blob_.substr(keyframe.offset, keyframe.length);
  }
  const unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxStateBytes) {
    return fail(ErrorKind::corrupt, "replay cache: bad keyframe");
  }
  std::string state(size, '\0');
  const size_t n = ZSTD_decompress(state.data(), state.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != size) return fail(ErrorKind::corrupt, "replay cache: bad keyframe");
  return state;
}

Result<void> ReplayIndex::save(const std::filesystem::path& path) const {
  std::string table;
  put_u8(table, has_keyframes_ ? 1 : 0);
  put_u16(table, max_cols_);
  put_u16(table, max_rows_);
  put_u8(table, opener_ ? 1 : 0);
  if (opener_) {
    put_u32(table, opener_->uid);
    put_u32(table, opener_->pid);
    put_u8(table, static_cast<uint8_t>(opener_->source));
    put_str(table, opener_->user);
  }
  put_u32(table, static_cast<uint32_t>(marks_.size()));
  for (const Mark& m : marks_) {
    put_u64(table, static_cast<uint64_t>(m.time));
    put_u8(table, static_cast<uint8_t>(m.kind));
    put_str(table, m.label);
  }
  put_u32(table, static_cast<uint32_t>(writers_.size()));
  for (const WriterAt& w : writers_) {
    put_u64(table, static_cast<uint64_t>(w.time));
    put_u32(table, w.writer.pid);
    put_u32(table, w.writer.uid);
    put_u32(table, w.writer.euid);
    put_u32(table, w.writer.loginuid);
    put_str(table, w.writer.comm);
  }
  put_u32(table, static_cast<uint32_t>(keyframes_.size()));
  for (const CachedKeyframe& k : keyframes_) {
    put_u64(table, static_cast<uint64_t>(k.time));
    put_u64(table, k.event_seq);
    put_u64(table, k.offset + sizeof kMagic);
    put_u32(table, k.length);
  }
  std::string footer;
  put_u64(footer, sizeof kMagic + blob_.size());
  put_u64(footer, table.size());
  put_u64(footer, fnv1a(table));
  footer.append(kMagic, sizeof kMagic);

  const std::filesystem::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  TAP_TRY(Fd fd, Fd::open(tmp.string(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  Result<void> written = write_all(fd.get(), std::string_view(kMagic, sizeof kMagic));
  if (written.ok()) written = write_all(fd.get(), blob_);
  if (written.ok()) written = write_all(fd.get(), table);
  if (written.ok()) written = write_all(fd.get(), footer);
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return fail(std::move(written).error().context(tmp.string()));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return fail(Error::from_errno("rename " + path.string(), err));
  }
  return {};
}

Result<ReplayIndex> ReplayIndex::load(const std::filesystem::path& path) {
  TAP_TRY(Fd fd, Fd::open(path.string(), O_RDONLY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(Error::from_errno("stat " + path.string(), errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  auto bad = [&](const char* why) {
    return fail(ErrorKind::corrupt, "replay cache " + path.string() + ": " + why);
  };
  if (size < sizeof kMagic + kFooterBytes) return bad("too short");
  std::string footer(kFooterBytes, '\0');
  TAP_TRY(size_t got, pread_full(fd.get(), footer.data(), kFooterBytes, size - kFooterBytes));
  if (got != kFooterBytes || std::memcmp(footer.data() + 24, kMagic, sizeof kMagic) != 0) {
    return bad("bad footer");
  }
  Cursor f(footer);
  const uint64_t table_off = f.u(8), table_len = f.u(8), checksum = f.u(8);
  if (table_off < sizeof kMagic || table_len > size || table_off > size - kFooterBytes - table_len) {
    return bad("bad table location");
  }
  std::string table(table_len, '\0');
  TAP_TRY(size_t tgot, pread_full(fd.get(), table.data(), table_len, table_off));
  if (tgot != table_len || fnv1a(table) != checksum) return bad("bad table checksum");

  ReplayIndex index;
  Cursor c(table);
  index.has_keyframes_ = c.u(1) != 0;
  index.max_cols_ = static_cast<uint16_t>(c.u(2));
  index.max_rows_ = static_cast<uint16_t>(c.u(2));
  if (c.u(1) != 0) {
    format::Opener o;
    o.uid = static_cast<uint32_t>(c.u(4));
    o.pid = static_cast<uint32_t>(c.u(4));
    o.source = static_cast<format::Opener::Source>(std::min<uint64_t>(c.u(1), 3));
    o.user = c.str();
    index.opener_ = o;
  }
  for (uint64_t n = c.count(13), i = 0; i < n && c.ok(); ++i) {
    Mark m;
    m.time = static_cast<format::Nanos>(c.u(8));
    m.kind = static_cast<Mark::Kind>(std::min<uint64_t>(c.u(1), 4));
    m.label = c.str();
    index.marks_.push_back(std::move(m));
  }
  for (uint64_t n = c.count(28), i = 0; i < n && c.ok(); ++i) {
    WriterAt w;
    w.time = static_cast<format::Nanos>(c.u(8));
    w.writer.pid = static_cast<uint32_t>(c.u(4));
    w.writer.uid = static_cast<uint32_t>(c.u(4));
    w.writer.euid = static_cast<uint32_t>(c.u(4));
    w.writer.loginuid = static_cast<uint32_t>(c.u(4));
    w.writer.comm = c.str();
    index.writers_.push_back(std::move(w));
  }
  for (uint64_t n = c.count(28), i = 0; i < n && c.ok(); ++i) {
    CachedKeyframe k;
    k.time = static_cast<format::Nanos>(c.u(8));
    k.event_seq = c.u(8);
    k.offset = c.u(8);
    k.length = static_cast<uint32_t>(c.u(4));
    if (k.offset < sizeof kMagic || k.offset > table_off || k.length > table_off - k.offset) {
      return bad("keyframe outside the file");
    }
    index.keyframes_.push_back(k);
  }
  if (!c.ok()) return bad("table cut short");
  auto by_time = [](const auto& a, const auto& b) { return a.time < b.time; };
  if (!std::is_sorted(index.marks_.begin(), index.marks_.end(), by_time) ||
      !std::is_sorted(index.writers_.begin(), index.writers_.end(), by_time) ||
      !std::is_sorted(index.keyframes_.begin(), index.keyframes_.end(), by_time)) {
    return bad("entries out of order");
  }
  index.file_ = std::make_shared<Fd>(std::move(fd));
  return index;
}

}  // namespace tap::replay
