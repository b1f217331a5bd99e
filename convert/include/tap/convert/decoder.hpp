// Decoder: a source of tap events read from a file in another format (asciicast, script).
//
// A decoder yields the same event model a .tap file holds (tap/format/event.hpp), so every
// consumer (tapconv's encoders, tapgrep, tapplay) treats a .cast like a recording. The size
// and title a foreign header states arrive as events at time 0 (a Resize, a Marker of kind
// title), as they do in a .tap file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::convert {

// What a source states about itself beyond SessionInfo, when it states it.
struct SourceFacts {
  std::string format;                      // "asciicast v2", "script --log-io", ...
  std::optional<format::Nanos> duration;   // from the header (asciicast v1/v2, script)
  std::string title;
  std::string command;
  std::string shell;
  uint16_t cols = 0, rows = 0;             // the initial size (0 when not stated)
};

class Decoder {
 public:
  virtual ~Decoder() = default;

  // SessionInfo with imported = true, recorder naming the source format, term and start
  // time when the source states them; ids are zero (the writer of a .tap assigns them).
  virtual const format::SessionInfo& info() const = 0;
  virtual const SourceFacts& facts() const = 0;

  // The next event (times never decrease), or nullptr at the end. The pointer stays valid
  // until the next call. Malformed input: every event before the fault first, then an error
  // naming the line (or byte offset) of the fault; later calls return the same error.
  virtual Result<const format::Event*> next() = 0;

  // Bytes of the source consumed so far and in total (0 when unknown: a pipe), for progress.
  virtual uint64_t bytes_consumed() const = 0;
  virtual uint64_t bytes_total() const = 0;
};

}  // namespace tap::convert
