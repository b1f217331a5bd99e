// The keyframe rule, owned here for every writer of .tap files (docs/term.md §Keyframes):
// a keyframe at the first event boundary after 256 KiB of output or after ~4,096 scrolled lines
// (scaled by 4,800 / (rows × cols)), taken only where the terminal's state is fully known.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tap/format/event.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/term/terminal.hpp"

namespace tap::term {

struct KeyframeRule {
  uint64_t output_bytes = 256 * 1024;
  uint64_t scrolled_lines = 4096;  // at 120 × 40; scaled by 4800 / (rows × cols)
};

// Follows a session's events with a Terminal and says when to write a keyframe.
class Keyframer {
 public:
  explicit Keyframer(KeyframeRule rule = {}, int cols = 80, int rows = 24);
  // Continues from a restored state (a keyframe, or a screen rebuilt from a file): the rule's
  // counters start at zero there.
  Keyframer(KeyframeRule rule, Terminal terminal);

  // Applies the event with sequence number `seq` (output and resize change the terminal).
  // Returns a keyframe describing the state after it (Keyframe::event_seq == seq + 1) when
  // the rule says one is due at this boundary.
  std::optional<format::Keyframe> observe(uint64_t seq, const format::Event& event);

  // The same for callers that hold the bytes apart from an Event (the term worker). An output
  // event may come in pieces: all but the last with `last` false, which never yields a
  // keyframe, so one is only taken at an event boundary.
  std::optional<format::Keyframe> output(uint64_t seq, std::string_view bytes, bool last = true);
  std::optional<format::Keyframe> resize(uint64_t seq, int cols, int rows);

  const Terminal& terminal() const { return terminal_; }

 private:
  std::optional<format::Keyframe> due(uint64_t seq);

  KeyframeRule rule_;
  Terminal terminal_;
  uint64_t output_since_ = 0;
  uint64_t scrolled_at_last_ = 0;
};

// A SessionWriter that adds keyframes by the rule (tapconv imports; the recorder's term worker
// uses Keyframer directly and sends keyframes back to the daemon).
class KeyframingWriter {
 public:
  explicit KeyframingWriter(format::SessionWriter& out, KeyframeRule rule = {});
  Result<uint64_t> append(const format::Event& event);
  Result<void> finish(const format::SessionEnd& end);
  const Terminal& terminal() const { return keyframer_.terminal(); }

 private:
  format::SessionWriter& out_;
  Keyframer keyframer_;
};

}  // namespace tap::term
