// SessionReader: reads the events of a .tap file, from any point (docs/format.md).
//
// It opens any input without crashing, hanging or allocating without bound. It locates
// records through the END index (found via the footer), else the index entries in SEAL
// records, else a scan of record headers. A torn or zeroed tail is a warning (status()); a
// fault in the middle (bad CRC, impossible length, garbage) is returned as an error from
// next() once every intact event before it has been yielded.
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
};

}  // namespace tap::format
