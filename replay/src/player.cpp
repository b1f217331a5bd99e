#include "tap/replay/player.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "tap/replay/render.hpp"
#include "tap/replay/replay_index.hpp"
#include "tap/replay/seek.hpp"
#include "tap/replay/tty.hpp"
#include "tap/term/terminal.hpp"

namespace tap::replay {
namespace {

using format::Nanos;

constexpr Nanos kSecond = 1'000'000'000;
constexpr Nanos kSeekStep = 10 * kSecond;
constexpr int kFollowPollMs = 250;
// Writes into a pipe at full speed are gathered into blocks of this size.
constexpr size_t kOutputBlock = 256 * 1024;

// Leaves the user's terminal usable whatever the recording did: pen, cursor, mouse
// reporting, bracketed paste, application keypad and cursor keys, scroll region.
constexpr std::string_view kTerminalReset =
    "\x1b[0m\x1b[?25h\x1b[?1l\x1b>\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l"
    "\x1b" "7\x1b[r\x1b" "8";

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * kSecond + ts.tv_nsec;
}

enum class Wake { proceed, seeked, quit };

class Player {
 public:
  Player(Recording& recording, const PlayOptions& options, int out_fd)
      : rec_(recording), opt_(options), out_(out_fd) {}

  Result<PlayResult> run();

 private:
  Result<void> setup_terminal();
  void finish_terminal();
  Result<Wake> wait_until(int64_t deadline);
  Result<Wake> handle_keys();
  Result<Wake> handle_signal(int signo);
  Result<void> seek_to(Nanos target);
  Result<void> jump_mark(bool forward);
  Result<void> ensure_index();
  Result<const ReplayIndex*> index_for_seek();
  Result<bool> advance_source();
  void note_resize(const format::Resize& rs);
  Result<void> emit(std::string_view bytes);
  Result<void> flush();

  Recording& rec_;
  PlayOptions opt_;
  int out_;
  bool interactive_ = false;
  Fd tty_fd_;
  int key_fd_ = -1;
  std::optional<SignalWatch> signals_;
  std::optional<RawMode> raw_;
  std::optional<term::Terminal> model_;
  std::optional<ReplayIndex> index_;
  std::optional<bool> has_keyframes_;
  std::optional<format::Event> pending_;
  Nanos now_ = 0;
  int64_t deadline_ = 0;
  bool paused_ = false;
  bool step_ = false;
  bool quit_ = false;
  bool size_warned_ = false;
  uint64_t since_look_ = 0;
  std::string outbuf_;
  PlayResult result_;
};

Result<void> Player::setup_terminal() {
  interactive_ = ::isatty(out_) == 1;
  if (!interactive_) return {};
  model_.emplace(kDefaultCols, kDefaultRows);
  TAP_TRY(SignalWatch watch, SignalWatch::create());
  signals_.emplace(std::move(watch));
  if (!opt_.keys) return {};
  if (!rec_.is_stdin() && ::isatty(STDIN_FILENO) == 1) {
    key_fd_ = STDIN_FILENO;
  } else {
    tty_fd_.reset(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    key_fd_ = tty_fd_.get();
  }
  if (key_fd_ >= 0) {
    auto raw = RawMode::enter(key_fd_);
    if (!raw.ok()) return fail(std::move(raw).error().context("terminal"));
    raw_.emplace(std::move(raw).value());
  }
  return {};
}

void Player::finish_terminal() {
  if (!interactive_) return;
  std::string reset(kTerminalReset);
  if (model_ && model_->alt_screen()) reset += "\x1b[?1049l";
  if (!model_ || model_->cursor().col != 0) reset += "\r\n";
  (void)write_all(out_, reset);
  if (raw_) raw_->restore();
}

Result<void> Player::emit(std::string_view bytes) {
  if (result_.output_closed) return {};
  if (!interactive_ && opt_.speed == 0) {
    outbuf_.append(bytes);
    if (outbuf_.size() >= kOutputBlock) return flush();
    return {};
  }
  auto written = write_all(out_, bytes);
  if (!written.ok()) {
    if (errno == EPIPE) {
      result_.output_closed = true;
      quit_ = true;
      return {};
    }
    return written;
  }
  return {};
}

Result<void> Player::flush() {
  if (outbuf_.empty() || result_.output_closed) return {};
  auto written = write_all(out_, outbuf_);
  outbuf_.clear();
  if (!written.ok()) {
    if (errno == EPIPE) {
      result_.output_closed = true;
      quit_ = true;
      return {};
    }
    return written;
  }
  return {};
}

void Player::note_resize(const format::Resize& rs) {
  if (!interactive_ || size_warned_) return;
  auto size = terminal_size(out_);
  if (!size) return;
  if (rs.cols > size->first || rs.rows > size->second) {
    size_warned_ = true;
    result_.warnings.push_back("the recording is " + std::to_string(rs.cols) + "x" +
                               std::to_string(rs.rows) + ", larger than this terminal (" +
                               std::to_string(size->first) + "x" + std::to_string(size->second) +
                               "): lines wrapped");
  }
}

Result<void> Player::ensure_index() {
  if (index_) return {};
  if (!has_keyframes_) {
    TAP_TRY(auto probe, rec_.reopen());
    TAP_TRY(auto kf, probe->seek_keyframe(probe->duration()));
    has_keyframes_ = kf.has_value();
  }
  const bool need_keyframes = !*has_keyframes_ && rec_.size() >= ReplayIndex::kCacheMinBytes;
  TAP_TRY(auto reader, rec_.reopen());
  if (rec_.in_memory()) {
    TAP_TRY(ReplayIndex built, ReplayIndex::build(*reader, {need_keyframes}));
    index_.emplace(std::move(built));
  } else {
    TAP_TRY(ReplayIndex loaded, ReplayIndex::load_or_build(rec_.path(), *reader, need_keyframes));
    index_.emplace(std::move(loaded));
  }
  return {};
}

// Seeks need an index only for its keyframes: when the recording has none of its own and is
// large enough that replaying from the start would be slow.
Result<const ReplayIndex*> Player::index_for_seek() {
  if (index_) return &*index_;
  if (rec_.size() < ReplayIndex::kCacheMinBytes) return static_cast<const ReplayIndex*>(nullptr);
  if (!has_keyframes_) {
    TAP_TRY(auto probe, rec_.reopen());
    TAP_TRY(auto kf, probe->seek_keyframe(probe->duration()));
    has_keyframes_ = kf.has_value();
  }
  if (*has_keyframes_) return static_cast<const ReplayIndex*>(nullptr);
  TAP_CHECK(ensure_index());
  return &*index_;
}

Result<void> Player::seek_to(Nanos target) {
  const Nanos duration = rec_.reader().duration();
  target = std::clamp<Nanos>(target, 0, std::max<Nanos>(duration, 0));
  TAP_TRY(const ReplayIndex* index, index_for_seek());
  TAP_TRY(Position pos, screen_at(rec_.reader(), index, target));
  if (pos.fault) result_.fault = std::move(pos.fault);
  if (interactive_) TAP_CHECK(emit(render_ansi_repaint(pos.terminal)));
  model_ = std::move(pos.terminal);
  pending_ = std::move(pos.pending);
  now_ = target;
  deadline_ = monotonic_ns();
  return {};
}

Result<void> Player::jump_mark(bool forward) {
  TAP_CHECK(ensure_index());
  const auto& marks = index_->marks();
  const Mark* target = nullptr;
  if (forward) {
    auto it = std::upper_bound(marks.begin(), marks.end(), now_,
                               [](Nanos t, const Mark& m) { return t < m.time; });
    if (it != marks.end()) target = &*it;
  } else {
    auto it = std::lower_bound(marks.begin(), marks.end(), now_,
                               [](const Mark& m, Nanos t) { return m.time < t; });
    if (it != marks.begin()) target = &*std::prev(it);
  }
  if (target == nullptr) return emit("\a");
  return seek_to(target->time);
}

Result<Wake> Player::handle_signal(int signo) {
  switch (signo) {
    case SIGWINCH:
    case SIGCONT:
      return Wake::proceed;
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU: {
      // Give the terminal back while stopped, take it again when continued.
      (void)write_all(out_, kTerminalReset);
      if (raw_) raw_->restore();
      ::kill(::getpid(), SIGSTOP);
      if (raw_) raw_->enter_again();
      deadline_ = monotonic_ns();
      return Wake::proceed;
    }
    default:
      result_.signal = signo;
      quit_ = true;
      return Wake::quit;
  }
}

Result<Wake> Player::handle_keys() {
  char buf[64];
  const ssize_t n = ::read(key_fd_, buf, sizeof buf);
  if (n <= 0) {
    if (n == 0) key_fd_ = -1;  // the terminal went away: keep playing without keys
    return Wake::proceed;
  }
  Wake wake = Wake::proceed;
  for (ssize_t i = 0; i < n && !quit_; ++i) {
    const char c = buf[i];
    if (c == '\x1b' && i + 2 < n + 0 && (buf[i + 1] == '[' || buf[i + 1] == 'O')) {
      const char k = buf[i + 2];
      i += 2;
      if (k == 'C' || k == 'D') {
        TAP_CHECK(seek_to(now_ + (k == 'C' ? kSeekStep : -kSeekStep)));
        wake = Wake::seeked;
      }
      continue;
    }
    switch (c) {
      case ' ':
        paused_ = !paused_;
        step_ = false;
        deadline_ = monotonic_ns();
        break;
      case '.':
        if (paused_) step_ = true;
        break;
      case ']':
      case '[':
        TAP_CHECK(jump_mark(c == ']'));
        wake = Wake::seeked;
        break;
      case 'q':
      case 'Q':
      case '\x03':  // Ctrl-C arrives as a key in raw mode
        quit_ = true;
        return Wake::quit;
      default:
        break;
    }
  }
  return wake;
}

Result<Wake> Player::wait_until(int64_t deadline) {
  while (!quit_) {
    if (step_) return Wake::proceed;
    int timeout = -1;
    bool due = false;  // poll once without blocking, then go on
    if (!paused_) {
      const int64_t left = deadline - monotonic_ns();
      due = left <= 0;
      timeout = due ? 0 : static_cast<int>(std::min<int64_t>((left + 999'999) / 1'000'000, 1 << 30));
    }
    pollfd fds[2];
    nfds_t nfds = 0;
    if (signals_) fds[nfds++] = {signals_->fd(), POLLIN, 0};
    const nfds_t key_slot = nfds;
    if (key_fd_ >= 0) fds[nfds++] = {key_fd_, POLLIN, 0};
    if (nfds == 0 && (due || timeout < 0)) return Wake::proceed;
    const int r = ::poll(fds, nfds, timeout);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail(Error::from_errno("poll", errno));
    }
    if (signals_ && (fds[0].revents & POLLIN)) {
      while (int signo = signals_->take()) {
        TAP_TRY(Wake w, handle_signal(signo));
        if (w != Wake::proceed) return w;
      }
    }
    if (key_fd_ >= 0 && key_slot < nfds && (fds[key_slot].revents & (POLLIN | POLLHUP | POLLERR))) {
      TAP_TRY(Wake w, handle_keys());
      if (w != Wake::proceed) return w;
    }
    if (due && !paused_) return Wake::proceed;
  }
  return Wake::quit;
}

// At the end of what has been written so far: with --follow, wait and take in what was appended
// (the session reader crosses into a new segment itself). True when there is more to play.
Result<bool> Player::advance_source() {
  if (!opt_.follow || rec_.in_memory() || rec_.reader().status().complete) return false;
  TAP_TRY(Wake w, wait_until(monotonic_ns() + int64_t{kFollowPollMs} * 1'000'000));
  if (w == Wake::quit) return false;
  if (w == Wake::seeked) return true;
  TAP_TRY(bool grew, rec_.refresh());
  if (grew) index_.reset();  // its marks end where the recording did
  return true;
}

Result<PlayResult> Player::run() {
  TAP_CHECK(setup_terminal());
  deadline_ = monotonic_ns();
  Result<void> outcome = [&]() -> Result<void> {
    while (!quit_) {
      const format::Event* ev = nullptr;
      const bool from_pending = pending_.has_value();
      if (from_pending) {
        ev = &*pending_;
      } else {
        auto next = rec_.reader().next();
        if (!next.ok()) {
          result_.fault = std::move(next).error();
          break;
        }
        ev = *next;
        if (ev == nullptr) {
          TAP_CHECK(flush());
          TAP_TRY(bool more, advance_source());
          if (!more) break;
          continue;
        }
      }
      if (opt_.speed > 0) {
        Nanos delay = std::max<Nanos>(ev->time - now_, 0);
        if (opt_.idle_limit) delay = std::min(delay, *opt_.idle_limit);
        deadline_ += static_cast<int64_t>(std::llround(static_cast<double>(delay) / opt_.speed));
      }
      // Without waiting, keys and signals are still looked at every few hundred events.
      const bool look = opt_.speed == 0 && (signals_ || key_fd_ >= 0) && ++since_look_ % 256 == 0;
      if (opt_.speed > 0 || paused_ || look) {
        TAP_TRY(Wake w, wait_until(deadline_));
        if (w == Wake::quit) break;
        if (w == Wake::seeked) continue;  // the seek replaced what comes next
      }
      if (const auto* out = ev->get<format::Output>()) {
        TAP_CHECK(emit(out->data));
        if (step_) {
          step_ = false;
          deadline_ = monotonic_ns();
        }
      } else if (const auto* rs = ev->get<format::Resize>()) {
        note_resize(*rs);
      }
      if (model_) apply_event(*model_, *ev);
      now_ = std::max(now_, ev->time);
      if (from_pending) pending_.reset();
    }
    return flush();
  }();
  finish_terminal();
  if (!outcome.ok()) return fail(std::move(outcome).error());
  return std::move(result_);
}

}  // namespace

Result<PlayResult> play(Recording& recording, const PlayOptions& options, int out_fd) {
  Player player(recording, options, out_fd);
  return player.run();
}

}  // namespace tap::replay
