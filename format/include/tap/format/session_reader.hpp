// SessionReader: reads the events of a .tap file, from any point (docs/format.md).
//
// It opens any input without crashing, hanging or allocating without bound. It locates
// records through the END index (found via the footer), else the index entries in SEAL
// records, else a scan of record headers. A torn or zeroed tail is a warning (status()); a
// fault in the middle (bad CRC, impossible length, garbage) is returned as an error from
// next() once every intact event before it has been yielded.
//
// open() reads one file. open_session() reads a whole session: every segment file of it
// (segments.hpp) joined into one stream, each link checked (docs/format.md §Reading segments).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::format {

struct ReadStatus {
  bool complete = false;           // an END record was read and the footer matches
  bool torn_tail = false;          // the file ends inside a record (crash or copy cut short)
  bool zero_tail = false;          // the file ends in zero bytes (preallocated or crashed fs)
  uint64_t intact_bytes = 0;       // bytes up to the end of the last intact record
  std::optional<Error> fault;      // corruption found in the middle of the file
  uint64_t frames = 0;             // zstd frames the index or the record scan found
  std::vector<std::string> warnings;
};

class SessionReader {
 public:
  virtual ~SessionReader() = default;

  // Opens a file; fails only if the header itself is unusable (not a .tap, wrong version).
  static Result<std::unique_ptr<SessionReader>> open(const std::filesystem::path& path);
  // Same over bytes in memory (stdin, fuzzing).
  static Result<std::unique_ptr<SessionReader>> open_buffer(std::string bytes);
  // The whole session `path` belongs to: segment 0 (`<base>.tap`) and every later segment
  // (`<base>.segK.tap`) present beside it, as one stream. Events come in order across the files
  // with the times the recorder wrote (the downtime between segments is the gap event the
  // recorder put at the start of the next one); next_seq() and Keyframe::event_seq count
  // events over the whole session; info() is segment 0's header. Each segment's link must
  // name the file before it and a seal that file holds (or its chain start when it had no
  // seal yet): the first link that does not (or a segment whose header is unusable) ends the
  // stream after every event before it with an error of kind `tampered` (`corrupt` for an
  // unusable header). A path that does not follow the segment naming, or a later segment cut
  // off from segment 0 (one between is missing), reads just that file.
  // Fails only when the first segment's header is unusable.
  static Result<std::unique_ptr<SessionReader>> open_session(const std::filesystem::path& path);

  virtual const SessionInfo& info() const = 0;

  // The next event in stream order, or nullptr at the end. The pointer stays valid until the
  // next call. After a mid-file fault: every intact event first, then the fault as an error.
  virtual Result<const Event*> next() = 0;
  // Sequence number of the event next() returns next.
  virtual uint64_t next_seq() const = 0;

  // Positions the reader so next() returns the first event with time >= t.
  virtual Result<void> seek(Nanos t) = 0;

  // Finds the last keyframe whose described event time is <= t, positions the reader at the
  // event it names (Keyframe::event_seq) and returns it; without one, rewinds to the start
  // and returns nullopt. The caller restores it and replays until time t.
  virtual Result<std::optional<Keyframe>> seek_keyframe(Nanos t) = 0;

  // Session length: the END time, else the time of the last intact event.
  virtual Nanos duration() const = 0;

  virtual const ReadStatus& status() const = 0;

  // For a file still being written (docs/format.md §Reading a file being written): takes in
  // the records appended since open() or the last refresh(), without reopening. next() then
  // continues after the last event it returned; the index, duration() and status() cover the
  // new records. A partial record at the end is "not yet" (a torn-tail warning until it is
  // complete), not a fault. A session reader also picks up a new segment once it appears.
  // Returns whether anything new was found; a file that shrank is an error. Does nothing after
  // END or a fault, or on a buffer.
  virtual Result<bool> refresh() = 0;

  // Segment files this reader spans (1 for open() and open_buffer()), and the index of the one
  // next() reads from.
  virtual size_t segment_count() const { return 1; }
  virtual size_t current_segment() const { return 0; }
};

}  // namespace tap::format
