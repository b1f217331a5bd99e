// `tap list`, `tap snapshot N`, `tap watch N`.
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "tap/live/cli.hpp"
#include "tap/live/client.hpp"
#include "tap/live/screen.hpp"
#include "tap/support/text.hpp"

namespace tap::live {

namespace {

std::string user_name(uint32_t uid, const std::string& known) {
  if (!known.empty()) return escape_for_terminal(known);
  // Resolved here, not in the daemon, so a slow name service never stalls capture.
  passwd pw{};
  passwd* res = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != nullptr) return res->pw_name;
  return std::to_string(uid);
}

std::string duration(int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns < 1'000'000'000) return std::to_string(ns / 1'000'000) + "ms";
  return std::to_string(ns / 1'000'000'000) + "s";
}

std::string pad(uint64_t v, size_t width) {
  std::string s = std::to_string(v);
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

void json_str(std::string& out, std::string_view s) {
  out += '"';
  append_json_string_body(out, s);
  out += '"';
}

std::string list_text(const SessionList& list) {
  std::string out = std::to_string(list.sessions.size()) + " active session(s):\n";
  for (const auto& e : list.sessions) {
    out += "pty=" + pad(e.pty_index, 2) + " ";
    std::string opener = e.opener_known
                             ? user_name(e.opener_uid, e.opener_user) + "(" +
                                   std::to_string(e.opener_uid) + ")"
                             : std::string("?");
    bool writer_differs = e.opener_known && e.writer_pid != 0 && e.writer_uid != e.opener_uid;
    if (writer_differs) {
      out += "opener=" + opener + " writer=" + user_name(e.writer_uid, e.writer_user) + "(" +
             std::to_string(e.writer_uid) + ")";
    } else {
      out += "user=" + opener;
    }
    const std::string& comm = e.leader_comm.empty() ? e.writer_comm : e.leader_comm;
    uint32_t pid = e.leader_pid != 0 ? e.leader_pid : e.writer_pid;
    out += " comm=" + (comm.empty() ? std::string("?") : escape_for_terminal(comm));
    out += " pid=" + pad(pid, 5);
    out += " out=" + std::to_string(e.output_bytes) + "b/" + std::to_string(e.output_events) + "ev";
    out += " in=" + std::to_string(e.input_bytes) + "b/" + std::to_string(e.input_events) + "ev";
    if (e.lost_bytes) out += " lost=" + std::to_string(e.lost_bytes) + "b";
    out += " age=" + std::to_string(std::max<int64_t>(0, list.now_wall_ns - e.start_wall_ns) /
                                     1'000'000'000) + "s";
    int64_t last = e.last_activity_wall_ns ? e.last_activity_wall_ns : e.start_wall_ns;
    out += " idle=" + duration(list.now_wall_ns - last);
    if (!e.container.empty()) out += " container=" + escape_for_terminal(e.container);
    if (!e.path.empty()) out += " file=" + escape_for_terminal(e.path);
    out += "\n";
  }
  return out;
}

std::string list_json(const SessionList& list) {
  std::string out = "{\"now_ns\":" + std::to_string(list.now_wall_ns) + ",\"sessions\":[";
  bool first = true;
  for (const auto& e : list.sessions) {
    if (!first) out += ',';
    first = false;
    out += "{\"pty_index\":" + std::to_string(e.pty_index) + ",\"opener\":";
    if (e.opener_known) {
      out += "{\"uid\":" + std::to_string(e.opener_uid) + ",\"user\":";
      json_str(out, e.opener_user.empty() ? user_name(e.opener_uid, {}) : e.opener_user);
      out += "}";
    } else {
      out += "null";
    }
    out += ",\"writer\":{\"pid\":" + std::to_string(e.writer_pid) +
           ",\"uid\":" + std::to_string(e.writer_uid) + ",\"user\":";
    json_str(out, user_name(e.writer_uid, e.writer_user));
    out += ",\"comm\":";
    json_str(out, e.writer_comm);
    out += "},\"leader\":{\"pid\":" + std::to_string(e.leader_pid) + ",\"comm\":";
    json_str(out, e.leader_comm);
    out += "},\"output_bytes\":" + std::to_string(e.output_bytes) +
           ",\"output_events\":" + std::to_string(e.output_events) +
           ",\"input_bytes\":" + std::to_string(e.input_bytes) +
           ",\"input_events\":" + std::to_string(e.input_events) +
           ",\"lost_bytes\":" + std::to_string(e.lost_bytes) + ",\"cols\":" +
           std::to_string(e.cols) + ",\"rows\":" + std::to_string(e.rows) +
           ",\"start_ns\":" + std::to_string(e.start_wall_ns) +
           ",\"last_activity_ns\":" + std::to_string(e.last_activity_wall_ns) + ",\"container\":";
    if (e.container.empty()) out += "null"; else json_str(out, e.container);
    out += ",\"path\":";
    if (e.path.empty()) out += "null"; else json_str(out, e.path);
    out += "}";
  }
  out += "]}\n";
  return out;
}

Result<Client> open(const TapOptions& o, Op op) {
  TAP_TRY(Client c, Client::connect(o.socket_path));
  Request req;
  req.op = op;
  req.pty_index = o.pty_index;
  TAP_CHECK(c.start(req));
  return c;
}

Failure server_error(const ErrorReply& e) {
  ErrorKind kind = e.code == ErrorCode::not_found ? ErrorKind::not_found : ErrorKind::protocol;
  return fail(kind, e.message);
}

Result<int> run_list(const TapOptions& o) {
  TAP_TRY(Client c, open(o, Op::list));
  TAP_TRY(Message m, c.next(o.timeout_ms));
  if (m.type == MessageType::error) return server_error(m.error);
  if (m.type != MessageType::session_list)
    return fail(ErrorKind::protocol, "unexpected reply from taprec");
  std::string out = o.json ? list_json(m.list) : list_text(m.list);
  TAP_CHECK(write_all(STDOUT_FILENO, out));
  return 0;
}

Result<int> run_snapshot(const TapOptions& o) {
  TAP_TRY(Client c, open(o, Op::snapshot));
  TAP_TRY(Message m, c.next(o.timeout_ms));
  if (m.type == MessageType::error) return server_error(m.error);
  if (m.type != MessageType::screen) return fail(ErrorKind::protocol, "unexpected reply from taprec");
  std::string out;
  switch (o.format) {
    case SnapshotFormat::text:
      out = o.no_frame ? render_plain_text(m.screen) : render_framed_text(m.screen, o.pty_index);
      break;
    case SnapshotFormat::ansi:
      if (o.no_frame) {
        out = render_repaint(m.screen);
      } else {
        out = render_framed_ansi(m.screen, o.pty_index);
      }
      break;
    case SnapshotFormat::json:
      out = render_json(m.screen, o.pty_index);
      break;
  }
  TAP_CHECK(write_all(STDOUT_FILENO, out));
  return 0;
}

// Puts the caller's terminal back as it was, whatever the stream did to it.
class TerminalGuard {
 public:
  TerminalGuard() {
    out_tty_ = ::isatty(STDOUT_FILENO) == 1;
    if (::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      have_saved_ = true;
      termios t = saved_;
      // Keystrokes would be echoed into the picture; Ctrl-C still raises SIGINT.
      t.c_lflag &= static_cast<tcflag_t>(~(ECHO | ICANON));
      ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
  }
  ~TerminalGuard() {
    if (out_tty_) {
      // Default pen, visible cursor, main screen, no mouse reporting or bracketed paste,
      // normal cursor keys and keypad, full scroll region.
      static const char kReset[] =
          "\x1b[0m\x1b[r\x1b[?25h\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"
          "\x1b[?2004l\x1b[?1l\x1b>\r\n";
      (void)write_all(STDOUT_FILENO, std::string_view(kReset, sizeof kReset - 1));
    }
    if (have_saved_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  bool out_tty_ = false;
  bool have_saved_ = false;
  termios saved_{};
};

Result<int> run_watch(const TapOptions& o) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGPIPE);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  Fd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) return Error::from_errno("signalfd", errno);

  TAP_TRY(Client c, open(o, Op::watch));
  TAP_TRY(Message m, c.next(o.timeout_ms));
  if (m.type == MessageType::error) return server_error(m.error);
  if (m.type != MessageType::watch_start)
    return fail(ErrorKind::protocol, "unexpected reply from taprec");

  std::optional<TerminalGuard> guard;
  if (o.json) {
    std::string line = "{\"type\":\"start\",\"stream_id\":" + std::to_string(m.watch.stream_id) +
                       ",\"next_seq\":" + std::to_string(m.watch.next_seq) + ",\"screen\":";
    std::string screen = render_json(m.watch.screen, o.pty_index);
    screen.pop_back();  // its newline
    line += screen + "}\n";
    TAP_CHECK(write_all(STDOUT_FILENO, line));
  } else {
    std::string frame = render_repaint(m.watch.screen);
    std::fprintf(stderr, "(stream opened: stream_id=%llu)\n(initial frame: %ux%u, replay=%zu bytes)\n",
                 static_cast<unsigned long long>(m.watch.stream_id), m.watch.screen.rows,
                 m.watch.screen.cols, frame.size());
    guard.emplace();
    TAP_CHECK(write_all(STDOUT_FILENO, frame));
  }

  for (;;) {
    pollfd p[2] = {{c.fd(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    int r = ::poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll", errno);
    }
    if (p[1].revents & POLLIN) {
      signalfd_siginfo si{};
      (void)::read(sfd.get(), &si, sizeof si);
      if (si.ssi_signo == SIGPIPE) return 1;
      return 0;  // Ctrl-C or termination: the guard restores the terminal
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    // Every message already read is handled before polling again.
    for (;;) {
    auto next = c.next(0);
    if (!next.ok() && next.error().kind() == ErrorKind::timeout) break;
    TAP_TRY(Message msg, std::move(next));
    switch (msg.type) {
      case MessageType::output:
        if (o.json) {
          std::string line = "{\"type\":\"output\",\"data\":\"";
          append_json_string_body(line, msg.output);
          line += "\"}\n";
          TAP_CHECK(write_all(STDOUT_FILENO, line));
        } else {
          TAP_CHECK(write_all(STDOUT_FILENO, msg.output));
        }
        break;
      case MessageType::end:
        guard.reset();
        if (o.json) {
          std::string line = "{\"type\":\"end\",\"message\":";
          json_str(line, msg.end.message);
          line += "}\n";
          TAP_CHECK(write_all(STDOUT_FILENO, line));
        } else {
          std::fprintf(stderr, "(stream ended: %s)\n", escape_for_terminal(msg.end.message).c_str());
        }
        return 0;
      case MessageType::error:
        guard.reset();
        return server_error(msg.error);
      default:
        return fail(ErrorKind::protocol, "unexpected message from taprec");
    }
    }
  }
}

}  // namespace

Result<int> run_tap(const TapOptions& o) {
  switch (o.command) {
    case Command::list: return run_list(o);
    case Command::snapshot: return run_snapshot(o);
    case Command::watch: return run_watch(o);
  }
  return 2;
}

}  // namespace tap::live
