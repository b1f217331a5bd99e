// The screen at any moment of a recording: the last keyframe at or before T, restored, and the
// events after it replayed up to T (DESIGN.md §5: one keyframe and at most one interval).
#pragma once

#include <optional>

#include "tap/format/session_reader.hpp"
#include "tap/replay/replay_index.hpp"
#include "tap/support/result.hpp"
#include "tap/term/terminal.hpp"

namespace tap::replay {

// The size a terminal has before a recording's first resize event.
constexpr int kDefaultCols = 80;
constexpr int kDefaultRows = 24;

struct Position {
  term::Terminal terminal{kDefaultCols, kDefaultRows};
  // The first event after T, already read from the reader (which continues after it).
  std::optional<format::Event> pending;
  // The writer seen in the replayed interval (the index knows the ones before it).
  std::optional<format::WriterChange> writer;
  // A fault met before T: the screen shows every intact event before it.
  std::optional<Error> fault;
};

// Applies an event to the terminal: output is fed, resizes resize; the rest does not change
// the screen.
void apply_event(term::Terminal& terminal, const format::Event& event);

// The screen at `t` (every event with time <= t applied). Keyframes come from the recording,
// else from `index` (may be null). The reader is left positioned after Position::pending.
Result<Position> screen_at(format::SessionReader& reader, const ReplayIndex* index,
                           format::Nanos t);

}  // namespace tap::replay
