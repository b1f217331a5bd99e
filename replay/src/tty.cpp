#include "tap/replay/tty.hpp"

#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace tap::replay {
namespace {

// Every signal that would end or stop the player while the terminal is raw.
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT, SIGWINCH}) {
    sigaddset(&set, s);
  }
  return set;
}

}  // namespace

Result<RawMode> RawMode::enter(int fd) {
  termios saved{};
  if (::tcgetattr(fd, &saved) != 0) return fail(Error::from_errno("tcgetattr", errno));
  RawMode mode(fd, saved);
  mode.active_ = false;
  mode.enter_again();
  if (!mode.active_) return fail(Error::from_errno("tcsetattr", errno));
  return mode;
}

RawMode::RawMode(RawMode&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_),
      active_(std::exchange(other.active_, false)) {}

RawMode::~RawMode() { restore(); }

void RawMode::restore() {
  if (!active_ || fd_ < 0) return;
  ::tcsetattr(fd_, TCSADRAIN, &saved_);
  active_ = false;
}

void RawMode::enter_again() {
  if (active_ || fd_ < 0) return;
  termios raw = saved_;
  raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  raw.c_oflag &= ~OPOST;
  raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  raw.c_cflag &= ~(CSIZE | PARENB);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(fd_, TCSADRAIN, &raw) == 0) active_ = true;
}

Result<SignalWatch> SignalWatch::create() {
  const sigset_t set = watched_signals();
  sigset_t old;
  if (::sigprocmask(SIG_BLOCK, &set, &old) != 0) {
    return fail(Error::from_errno("sigprocmask", errno));
  }
  const int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return fail(Error::from_errno("signalfd", err));
  }
  return SignalWatch(Fd(fd), old);
}

SignalWatch::~SignalWatch() {
  if (fd_.valid()) ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

int SignalWatch::take() {
  signalfd_siginfo info{};
  const ssize_t n = ::read(fd_.get(), &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return 0;
  return static_cast<int>(info.ssi_signo);
}

std::optional<std::pair<int, int>> terminal_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) return std::nullopt;
  return std::make_pair(static_cast<int>(ws.ws_col), static_cast<int>(ws.ws_row));
}

}  // namespace tap::replay
