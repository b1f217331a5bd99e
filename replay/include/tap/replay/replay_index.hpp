// ReplayIndex: what tapplay learns from one pass over a recording and keeps in the user's cache
// (docs/tapplay.md §Cache): navigation marks for `]`/`[`, who was writing when, the opener,
// the largest size, and — for a recording without keyframes — keyframes built with
// tap::term::Keyframer, so `--at T` costs one keyframe interval instead of the whole file.
//
// Cache files live in $XDG_CACHE_HOME/tap (else ~/.cache/tap), named after the session's first
// file id, the bytes in all its segment files and their count, so a recording that grows,
// gains a segment or is replaced gets a new entry. A cache file is
// untrusted like any input: a damaged one is ignored and rebuilt, never trusted blindly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/result.hpp"

namespace tap::replay {

// A point `]` and `[` jump to.
struct Mark {
  enum class Kind : uint8_t {
    marker = 0,      // an explicit Marker event (note, title, joined late, ...)
    prompt = 1,      // a shell prompt: an OSC 133 mark in the output or a prompt Marker
    exec = 2,        // a program was executed
    uid_change = 3,  // the writer's uid or euid changed
    gap = 4,         // recorded bytes are missing here
  };
  format::Nanos time = 0;
  Kind kind = Kind::marker;
  std::string label;

  bool operator==(const Mark&) const = default;
};

std::string_view mark_kind_name(Mark::Kind kind);

// The files of the session `recording` belongs to, in order, as SessionReader::open_session reads
// them. A later segment cut off from segment 0 (a segment between is missing) is only itself:
// it is read alone (SessionReader::open), not as segment 0's session.
std::vector<std::filesystem::path> session_files(const std::filesystem::path& recording);

struct WriterAt {
  format::Nanos time = 0;
  format::WriterChange writer;
};

// A keyframe held in the cache file: its state is read (and decompressed) on demand.
struct CachedKeyframe {
  format::Nanos time = 0;   // time of the last event the state reflects
  uint64_t event_seq = 0;   // the first event NOT reflected
  uint64_t offset = 0;      // compressed state bytes in the cache file
  uint32_t length = 0;
};

class ReplayIndex {
 public:
  // Recordings smaller than this replay from their start in a few milliseconds: they get no
  // cache entry, and no keyframes are built for them.
  static constexpr uint64_t kCacheMinBytes = 256 * 1024;

  struct BuildOptions {
    bool keyframes = false;  // also build keyframes (the recording has none)
  };

  // One pass over `reader` from its start (it is left at the end).
  static Result<ReplayIndex> build(format::SessionReader& reader, const BuildOptions& options);

  // Loads the cache entry of a recording (`reader` reads its session: open_session), or builds it (and stores it when the cache directory
  // is writable and the recording is large enough to be worth it). Never fails because of the
  // cache: a cache problem is a warning and the index is built in memory.
  static Result<ReplayIndex> load_or_build(const std::filesystem::path& recording,
                                           format::SessionReader& reader, bool need_keyframes);

  // $XDG_CACHE_HOME/tap, else $HOME/.cache/tap.
  static std::optional<std::filesystem::path> cache_dir();
  // `bytes` in `segments` segment files, `info` the first one's header.
  static std::string cache_name(const format::SessionInfo& info, uint64_t bytes, size_t segments);

  const std::vector<Mark>& marks() const { return marks_; }
  const std::vector<WriterAt>& writers() const { return writers_; }
  const std::optional<format::Opener>& opener() const { return opener_; }
  uint16_t max_cols() const { return max_cols_; }
  uint16_t max_rows() const { return max_rows_; }
  bool has_keyframes() const { return has_keyframes_; }

  // Who was writing at `t` (the last writer change at or before t).
  std::optional<format::WriterChange> writer_at(format::Nanos t) const;
  // The last cached keyframe at or before `t`.
  const CachedKeyframe* keyframe_at(format::Nanos t) const;
  // The state bytes of a cached keyframe.
  Result<std::string> keyframe_state(const CachedKeyframe& keyframe) const;

  // Writes the index to `path` (atomically: a temporary file renamed over it).
  Result<void> save(const std::filesystem::path& path) const;
  static Result<ReplayIndex> load(const std::filesystem::path& path);

 private:
  std::vector<Mark> marks_;
  std::vector<WriterAt> writers_;
  std::optional<format::Opener> opener_;
  uint16_t max_cols_ = 0, max_rows_ = 0;
  bool has_keyframes_ = false;
  std::vector<CachedKeyframe> keyframes_;
  // Compressed keyframe states: in memory while building, in the cache file once loaded.
  std::string blob_;
  std::shared_ptr<Fd> file_;
};

}  // namespace tap::replay
