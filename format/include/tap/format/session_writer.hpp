// SessionWriter: appends one session's events to a .tap file (docs/format.md).
//
// The file is created with O_CREAT|O_EXCL|O_APPEND and only ever appended to; each record is
// one writev. Events are compressed into zstd frames and flushed so that no event waits more
// than `flush_interval` before it reaches the file; SEAL records sign the hash chain every
// `seal_interval`. A file that was not finished (crash) is never reopened: the next segment
// links to it (SessionInfo::previous).
#pragma once

#include <filesystem>
#include <memory>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::format {

class SigningKey;  // Ed25519 host key (tap/format/keys.hpp)

struct WriterOptions {
  int level = 3;                             // zstd level, 1..9
  size_t frame_bytes = 256 * 1024;           // uncompressed event bytes per zstd frame
  Nanos flush_interval = 1'000'000'000;      // longest time an event waits in memory
  Nanos seal_interval = 30'000'000'000;      // SEAL cadence while data flows
  Nanos sync_interval = 5'000'000'000;       // fdatasync cadence
  Nanos idle_release = 10'000'000'000;       // free the zstd context after this long idle
  unsigned file_mode = 0600;
  std::shared_ptr<const SigningKey> key;     // null: seals carry the chain head, unsigned
};

class SessionWriter {
 public:
  virtual ~SessionWriter() = default;

  // Creates `path` (which must not exist) and writes the file header.
  static Result<std::unique_ptr<SessionWriter>> create(const std::filesystem::path& path,
                                                       const SessionInfo& info,
                                                       const WriterOptions& options = {});

  // Appends one event; times must not decrease. Returns the event's sequence number (0-based,
  // counting every event appended to this session, keyframes included).
  virtual Result<uint64_t> append(const Event& event) = 0;

  // Time-driven work: flush events older than flush_interval, seal, sync, release idle
  // contexts. `now` is the current session time; call at least once per flush_interval.
  virtual Result<void> tick(Nanos now) = 0;

  // Writes every pending event to the file now (ZSTD_e_flush), without closing the frame.
  virtual Result<void> flush() = 0;

  // Appends `end` (if not yet appended), closes the frame, writes the END record with the
  // index and the final seal, syncs and closes the file. No appends afterwards.
  virtual Result<void> finish(const SessionEnd& end) = 0;

  virtual const SessionInfo& info() const = 0;
  virtual uint64_t next_seq() const = 0;
  virtual uint64_t bytes_written() const = 0;  // bytes in the file so far
};

}  // namespace tap::format
