// The event model every tap component shares: what happened in a terminal session.
//
// The recorder turns kernel records into these events; the .tap writer stores them; readers,
// the terminal model, players and converters consume them. Times are nanoseconds from the
// session start (the file header holds the start's wall-clock time). Byte payloads are raw
// bytes exactly as the pty carried them (std::string is used as a byte container: no encoding
// is implied). docs/format.md §Events gives the on-disk encoding of each kind.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace tap::format {

// Nanoseconds from the session start.
using Nanos = int64_t;

// Which byte stream of the pty master an event or gap belongs to.
enum class Stream : uint8_t {
  output = 0,  // bytes the terminal read from the master: what the screen showed
  input = 1,   // bytes the terminal wrote to the master: keystrokes
};

// Bytes the terminal read from the pty master (what the user saw), in one read.
struct Output {
  std::string data;

  bool operator==(const Output&) const = default;
};

// Bytes the terminal wrote to the pty master (keystrokes), in one write.
struct Input {
  std::string data;

  bool operator==(const Input&) const = default;
};

// Input typed while the slave had ECHO off and ICANON on (a password prompt): only its length
// is kept, never the bytes.
struct InputSuppressed {
  uint32_t length = 0;

  bool operator==(const InputSuppressed&) const = default;
};

// The terminal's size changed (TIOCSWINSZ), or the initial size became known.
struct Resize {
  uint16_t cols = 0;
  uint16_t rows = 0;

  bool operator==(const Resize&) const = default;
};

// Who opened the session: sticky, never changes when someone runs sudo or su inside.
struct Opener {
  enum class Source : uint8_t {
    loginuid = 0,     // the session leader's loginuid (audit login uid)
    leader_exec = 1,  // the session leader's uid at its first exec on the pty
    master_open = 2,  // the uid that opened /dev/ptmx
    imported = 3,     // taken from an imported file's metadata
  };
  uint32_t uid = 0;
  uint32_t pid = 0;        // the process the identity was taken from
  Source source = Source::loginuid;
  std::string user;        // user name when known at record time, else empty

  bool operator==(const Opener&) const = default;
};

// The process writing to the slave side (or its credentials) changed: sudo, su, setuid exec.
struct WriterChange {
  static constexpr uint32_t kNoLoginUid = 0xFFFFFFFF;
  uint32_t pid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  uint32_t loginuid = kNoLoginUid;
  std::string comm;        // the kernel's task comm (≤ 15 bytes)

  bool operator==(const WriterChange&) const = default;
};

// A program was executed by a process of the session.
struct Exec {
  uint32_t pid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  std::string filename;    // the path given to execve
  std::string argv;        // arguments joined with NUL bytes, possibly cut short

  bool operator==(const Exec&) const = default;
};

// A point of interest: a prompt mark, a title change, a note from a tool or the recorder.
struct Marker {
  enum class Kind : uint8_t {
    note = 0,                 // free text (asciicast "m" events, tapconv imports)
    prompt = 1,               // a shell prompt (OSC 133)
    joined_late = 2,          // the recorder found the session already running
    keyframes_suspended = 3,  // the terminal model fell behind; no keyframes until resumed
    keyframes_resumed = 4,
    title = 5,                // the window title became `label`
  };
  Kind kind = Kind::note;
  std::string label;

  bool operator==(const Marker&) const = default;
};

// Bytes that were lost before they could be recorded. `offset` is the byte offset in the
// stream where the gap starts, so offset + bytes is where the next recorded byte sits.
struct Gap {
  enum class Reason : uint8_t {
    unknown = 0,
    ring_overflow = 1,   // the kernel ring buffer was full
    recorder_down = 2,   // taprec was not running (restart after a crash or stop)
    joined_late = 3,     // output before the recorder attached
    source_damaged = 4,  // an imported source file was corrupt here
  };
  Stream stream = Stream::output;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint64_t events = 0;   // how many reads/writes were lost, when known (else 0)
  Reason reason = Reason::unknown;

  bool operator==(const Gap&) const = default;
};

// A saved terminal state: restoring `state` and applying the events from sequence number
// `event_seq` on gives the same screen as replaying the session from its start.
// The bytes are opaque to the format; tap::term defines them (docs/term.md).
struct Keyframe {
  uint64_t event_seq = 0;  // the first event NOT reflected in `state`
  std::string state;

  bool operator==(const Keyframe&) const = default;
};

// The session ended (always the last event of a complete recording).
struct SessionEnd {
  enum class Reason : uint8_t {
    unknown = 0,
    closed = 1,            // last close of the pty master
    hangup = 2,            // the master read EIO: the slave side went away
    recorder_stopped = 3,  // taprec stopped while the session went on
    source_ended = 4,      // an imported file ended
  };
  Reason reason = Reason::unknown;
  int32_t exit_status = -1;  // the session leader's wait status when known, else -1

  bool operator==(const SessionEnd&) const = default;
};

enum class EventKind : uint8_t {
  output = 1,
  input = 2,
  input_suppressed = 3,
  resize = 4,
  opener = 5,
  writer = 6,
  exec = 7,
  marker = 8,
  gap = 9,
  keyframe = 10,
  end = 11,
};

using EventBody = std::variant<Output, Input, InputSuppressed, Resize, Opener, WriterChange, Exec,
                               Marker, Gap, Keyframe, SessionEnd>;

struct Event {
  Nanos time = 0;
  EventBody body;

  EventKind kind() const { return static_cast<EventKind>(body.index() + 1); }
  template <typename T>
  const T* get() const { return std::get_if<T>(&body); }
  template <typename T>
  T* get() { return std::get_if<T>(&body); }

  bool operator==(const Event&) const = default;
};

// "output", "input", "input-suppressed", "resize", "opener", "writer", "exec", "marker",
// "gap", "keyframe", "end": the names used by tapinfo, tapconv's JSON lines and the docs.
std::string_view kind_name(EventKind kind);
std::string_view stream_name(Stream stream);
std::string_view gap_reason_name(Gap::Reason reason);
std::string_view end_reason_name(SessionEnd::Reason reason);
std::string_view marker_kind_name(Marker::Kind kind);
std::string_view opener_source_name(Opener::Source source);

}  // namespace tap::format
