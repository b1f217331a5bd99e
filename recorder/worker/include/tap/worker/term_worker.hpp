// The term worker: a separate, unprivileged, seccomp-confined process that keeps a
// tap::term::Terminal per live session, produces keyframes and answers snapshots for taprec
// (docs/live-protocol.md §Term worker). It parses untrusted terminal output, so it runs apart
// from the daemon and can die without harming capture.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "tap/live/screen.hpp"
#include "tap/live/worker_channel.hpp"
#include "tap/support/result.hpp"
#include "tap/term/keyframer.hpp"
#include "tap/term/terminal.hpp"

namespace tap::worker {

struct WorkerOptions {
  int fd = 3;               // the channel to taprec
  bool keyframes = true;    // produce keyframes
  bool sandbox = true;      // drop privileges and install the seccomp filter
  term::KeyframeRule rule;  // the rule of tap::term (docs/term.md §Keyframes)
  int64_t resync_wait_ns = 10'000'000'000;  // how long to wait for events to reach the file
};

// The screen a client sees, from the terminal model.
live::Screen screen_of(const term::Terminal& t);

// One session's terminal and keyframe bookkeeping (the rule is tap::term's Keyframer).
class SessionScreen {
 public:
  SessionScreen(int cols, int rows, const term::KeyframeRule& rule)
      : rule_(rule), keyframer_(rule, cols, rows) {}
  // Applies an output event (or a piece of one, `last` false); returns a keyframe when the
  // rule says one is due after this event.
  std::optional<format::Keyframe> output(uint64_t seq, std::string_view bytes, bool last = true);
  std::optional<format::Keyframe> resize(uint64_t seq, int cols, int rows);
  // Replaces the terminal (after a rebuild from the file) and restarts the rule's counters.
  void reset(term::Terminal t, uint64_t next_seq);
  const term::Terminal& terminal() const { return keyframer_.terminal(); }
  uint64_t next_seq() const { return next_seq_; }
  bool keyframes_enabled = true;

 private:
  term::KeyframeRule rule_;
  term::Keyframer keyframer_;
  uint64_t next_seq_ = 0;
};

// Rebuilds a screen from a recording: the state after every event with seq < until_seq,
// waiting up to `wait_ns` for events the daemon has not flushed yet.
Result<term::Terminal> rebuild_from_file(const std::string& path, uint64_t until_seq,
                                         int64_t wait_ns);

// Drops root (to nobody, keeping only CAP_DAC_READ_SEARCH to read the root-only recordings),
// sets no_new_privs and installs the seccomp allowlist.
Result<void> enter_sandbox();

// Serves the channel until it closes. Returns the exit code.
Result<int> run_worker(const WorkerOptions& options);

}  // namespace tap::worker
