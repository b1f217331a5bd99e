// The player: plays a recording on a terminal with its original timing (docs/tapplay.md).
//
// On a terminal it reads keys (space pause, `.` step, ←/→ ±10 s, `]`/`[` next/previous mark,
// `q` quit) with the terminal in raw mode, and restores the terminal on every way out,
// signals included (they arrive through a signalfd). Seeks repaint the screen from the
// terminal model (keyframe + replay), so going back costs one keyframe interval. Into a pipe
// it writes the recorded output bytes unchanged; `speed == 0` writes them without waiting.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/replay/recording.hpp"
#include "tap/support/result.hpp"

namespace tap::replay {

struct PlayOptions {
  double speed = 1.0;                       // 0: no waiting at all
  std::optional<format::Nanos> idle_limit;  // longest pause kept (recording time)
  bool follow = false;                      // wait for a recording that is still being written
  bool keys = true;                         // read keys when the output is a terminal
};

struct PlayResult {
  int signal = 0;                     // the signal that ended playback, else 0
  bool output_closed = false;         // the reader of our output went away (EPIPE)
  std::vector<std::string> warnings;  // to print once the terminal is restored
  std::optional<Error> fault;         // corruption met: played up to the last intact record
};

// Plays `recording` (and the later segments of its session) to `out_fd`.
Result<PlayResult> play(Recording& recording, const PlayOptions& options, int out_fd);

}  // namespace tap::replay
