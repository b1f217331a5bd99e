// The player's hold on the user's terminal: raw mode that is undone on every exit path, and
// signals delivered as readable events (signalfd) instead of handlers and global flags.
#pragma once

#include <signal.h>
#include <termios.h>

#include <optional>
#include <string>

#include "tap/support/fd.hpp"
#include "tap/support/result.hpp"

namespace tap::replay {

// Puts a terminal in raw mode (no echo, no line editing, no signals from keys, no output
// processing, so recorded bytes reach the screen unchanged) and restores the saved settings
// when destroyed or restore()d. Moving it moves the duty to restore.
class RawMode {
 public:
  static Result<RawMode> enter(int fd);
  RawMode(RawMode&& other) noexcept;
  RawMode& operator=(RawMode&&) = delete;
  RawMode(const RawMode&) = delete;
  ~RawMode();

  // Restores the saved settings now (idempotent); enter_again() re-applies raw mode (SIGCONT).
  void restore();
  void enter_again();

 private:
  RawMode(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
  int fd_ = -1;
  termios saved_{};
  bool active_ = true;
};

// Blocks the signals that end or suspend the player and reads them from a signalfd. The old
// mask is put back when destroyed.
class SignalWatch {
 public:
  static Result<SignalWatch> create();
  SignalWatch(SignalWatch&&) noexcept = default;
  ~SignalWatch();

  int fd() const { return fd_.get(); }
  // The next pending signal, or 0 when none is pending.
  int take();

 private:
  SignalWatch(Fd fd, const sigset_t& old) : fd_(std::move(fd)), old_(old) {}
  Fd fd_;
  sigset_t old_{};
};

// Columns and rows of the terminal on `fd`, when it is one.
std::optional<std::pair<int, int>> terminal_size(int fd);

}  // namespace tap::replay
