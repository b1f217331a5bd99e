// The term worker's loop (docs/live-protocol.md §Term worker).
#include "tap/worker/term_worker.hpp"

#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <limits>

#include "tap/format/session_reader.hpp"
#include "tap/live/protocol.hpp"
#include "tap/support/cell_encoding.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/log.hpp"
#include "tap/term/redraw.hpp"

namespace tap::worker {

namespace {

live::Style style_of(const term::Pen& p) {
  live::Style s;
  s.fg = term::cell_colour(p.fg);
  s.bg = term::cell_colour(p.bg);
  if (p.bold) s.flags |= live::Style::kBold;
  if (p.italic) s.flags |= live::Style::kItalic;
  if (p.blink) s.flags |= live::Style::kBlink;
  if (p.reverse) s.flags |= live::Style::kReverse;
  if (p.conceal) s.flags |= live::Style::kConceal;
  if (p.strike) s.flags |= live::Style::kStrike;
  s.underline = p.underline > 3 ? 1 : p.underline;
  return s;
}

void sleep_ns(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  nanosleep(&ts, nullptr);
}

}  // namespace

live::Screen screen_of(const term::Terminal& t) {
  live::Screen s;
  s.cols = static_cast<uint16_t>(t.cols());
  s.rows = static_cast<uint16_t>(t.rows());
  term::Cursor cur = t.cursor();
  s.cursor_row = static_cast<uint16_t>(cur.row < 0 ? 0 : cur.row);
  s.cursor_col = static_cast<uint16_t>(cur.col < 0 ? 0 : cur.col);
  s.cursor_visible = cur.visible;
  s.alt_screen = t.alt_screen();
  s.title = t.title();
  s.lines.resize(s.rows);
  for (int r = 0; r < t.rows(); ++r) {
    auto& line = s.lines[r];
    for (int c = 0; c < t.cols(); ++c) {
      const term::Cell& cell = t.cell(r, c);
      if (cell.width == 0) continue;  // the right half of a wide character
      live::Style st = style_of(cell.pen);
      if (line.empty() || !(line.back().style == st)) {
        line.push_back(live::Span{st, 0, {}});
      }
      live::Span& span = line.back();
      if (cell.chars[0] == 0) {
        span.text += ' ';
      } else {
        for (char32_t ch : cell.chars) {
          if (ch == 0) break;
          append_code_point(span.text, ch);  // controls and surrogates become U+FFFD
        }
      }
      uint16_t w = cell.width == 2 && c + 1 < t.cols() ? 2 : 1;
      span.cells = static_cast<uint16_t>(span.cells + w);
    }
  }
  return s;
}

std::optional<format::Keyframe> SessionScreen::output(uint64_t seq, std::string_view bytes,
                                                      bool last) {
  auto kf = keyframer_.output(seq, bytes, last);
  if (!last) return std::nullopt;
  next_seq_ = seq + 1;
  return keyframes_enabled ? std::move(kf) : std::nullopt;
}

std::optional<format::Keyframe> SessionScreen::resize(uint64_t seq, int cols, int rows) {
  auto kf = keyframer_.resize(seq, cols, rows);
  next_seq_ = seq + 1;
  return keyframes_enabled ? std::move(kf) : std::nullopt;
}

void SessionScreen::reset(term::Terminal t, uint64_t next_seq) {
  keyframer_ = term::Keyframer(rule_, std::move(t));
  next_seq_ = next_seq;
}

Result<term::Terminal> rebuild_from_file(const std::string& path, uint64_t until_seq,
                                         int64_t wait_ns) {
  term::Terminal t(80, 24);
  if (until_seq == 0) return t;
  uint64_t applied_next = 0;  // every event below this seq is in `t`
  format::Nanos last_time = 0;
  bool first = true;
  int64_t waited = 0;
  for (;;) {
    TAP_TRY(auto reader, format::SessionReader::open(path));
    if (first) {
      TAP_TRY(auto kf, reader->seek_keyframe(std::numeric_limits<format::Nanos>::max()));
      if (kf && kf->event_seq <= until_seq) {
        TAP_TRY(t, term::Terminal::restore(kf->state));
        applied_next = kf->event_seq;
      } else if (kf) {
        // A keyframe beyond what was asked for: replay from the start instead.
        TAP_CHECK(reader->seek(0));
      }
      first = false;
    } else {
      TAP_CHECK(reader->seek(last_time));
    }
    for (;;) {
      if (applied_next >= until_seq) return t;
      uint64_t seq = reader->next_seq();
      TAP_TRY(const format::Event* ev, reader->next());
      if (ev == nullptr) break;
      if (seq < applied_next) continue;
      if (seq >= until_seq) return t;
      if (const auto* out = ev->get<format::Output>()) {
        t.feed(out->data);
      } else if (const auto* rz = ev->get<format::Resize>()) {
        if (rz->cols > 0 && rz->rows > 0) t.resize(rz->cols, rz->rows);
      }
      applied_next = seq + 1;
      last_time = ev->time;
    }
    // The daemon flushes at least every second: wait for the rest to reach the file.
    if (waited >= wait_ns)
      return fail(ErrorKind::truncated, path + ": events up to " + std::to_string(until_seq) +
                                            " did not reach the file (have " +
                                            std::to_string(applied_next) + ")");
    sleep_ns(100'000'000);
    waited += 100'000'000;
  }
}

namespace {

class WorkerLoop {
 public:
  explicit WorkerLoop(const WorkerOptions& o) : o_(o), reader_(live::worker::kMaxFrame) {}

  Result<int> run() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(o_.fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) return 0;  // taprec closed the channel with replies unread
        return Error::from_errno("read from taprec", errno);
      }
      if (n == 0) return 0;  // taprec closed the channel: done
      reader_.append(std::string_view(buf, static_cast<size_t>(n)));
      for (;;) {
        TAP_TRY(auto frame, reader_.next());
        if (!frame) break;
        TAP_TRY(auto msg, live::worker::decode(*frame));
        TAP_CHECK(handle(msg));
        if (closed_) return 0;
      }
      if (!out_.empty()) {
        TAP_TRY(bool open, send_out());
        if (!open) return 0;  // taprec closed the channel (it is stopping): done
      }
    }
  }

 private:
  Result<void> handle(const live::worker::Message& m) {
    using live::worker::Type;
    switch (m.type) {
      case Type::open: {
        auto s = std::make_unique<SessionScreen>(m.cols, m.rows, o_.rule);
        s->keyframes_enabled = o_.keyframes;
        sessions_[m.sid] = std::move(s);
        return {};
      }
      case Type::close:
        // Everything of the session (its keyframes) is in out_ before this answer.
        sessions_.erase(m.sid);
        live::worker::encode_closed(out_, m.sid);
        return {};
      default:
        break;
    }
    auto it = sessions_.find(m.sid);
    if (it == sessions_.end()) {
      if (m.type == Type::snapshot)
        live::worker::encode_screen(out_, m.tag, m.sid, 0, nullptr, "no such session");
      return {};
    }
    SessionScreen& s = *it->second;
    std::optional<format::Keyframe> kf;
    switch (m.type) {
      case Type::output:
        kf = s.output(m.seq, m.bytes, true);
        break;
      case Type::output_part:
        kf = s.output(m.seq, m.bytes, false);
        break;
      case Type::resize:
        kf = s.resize(m.seq, m.cols, m.rows);
        break;
      case Type::snapshot: {
        live::Screen screen = screen_of(s.terminal());
        live::worker::encode_screen(out_, m.tag, m.sid, s.next_seq(), &screen, {});
        break;
      }
      case Type::resync: {
        std::string path(m.bytes);
        auto t = rebuild_from_file(path, m.seq, o_.resync_wait_ns);
        if (t.ok()) {
          s.reset(std::move(t).value(), m.seq);
          s.keyframes_enabled = o_.keyframes;
          live::worker::encode_resynced(out_, m.sid, m.seq, true, {});
        } else {
          // The screen is unknown: keep serving snapshots of what follows, never keyframes.
          s.reset(term::Terminal(s.terminal().cols(), s.terminal().rows()), m.seq);
          s.keyframes_enabled = false;
          live::worker::encode_resynced(out_, m.sid, m.seq, false, t.error().what());
        }
        break;
      }
      default:
        break;
    }
    if (kf) live::worker::encode_keyframe(out_, m.sid, kf->event_seq, kf->state);
    // Replies leave in batches, but a big backlog is not held back.
    if (out_.size() > (1u << 20)) {
      TAP_TRY(bool open, send_out());
      if (!open) closed_ = true;
    }
    return {};
  }

  // Writes out_; false when taprec has closed its end (not an error: it stops or restarts us).
  Result<bool> send_out() {
    std::string_view rest = out_;
    while (!rest.empty()) {
      ssize_t n = ::write(o_.fd, rest.data(), rest.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EPIPE || errno == ECONNRESET) return false;
        return Error::from_errno("write to taprec", errno);
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    out_.clear();
    return true;
  }

  WorkerOptions o_;
  live::FrameReader reader_;
  std::string out_;
  bool closed_ = false;  // taprec closed the channel
  std::unordered_map<uint64_t, std::unique_ptr<SessionScreen>> sessions_;
};

}  // namespace

Result<int> run_worker(const WorkerOptions& options) {
  if (options.sandbox) TAP_CHECK(enter_sandbox());
  WorkerLoop loop(options);
  return loop.run();
}

}  // namespace tap::worker
