// tap events → byte streams: raw output, ANSI-stripped output, util-linux script
// (typescript + timing, classic or --log-io). docs/convert.md §raw, §strip, §script.
#include <ctime>
#include <string>

#include "encoder_base.hpp"
#include "json_time.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

// Output bytes exactly as recorded, concatenated: what `asciinema cat` prints for a cast.
class RawEncoder final : public BufferedEncoder {
 public:
  using BufferedEncoder::BufferedEncoder;
  Result<void> begin(const Header&) override { return {}; }
  Result<void> event(const Event& e) override {
    const auto* o = e.get<format::Output>();
    if (o == nullptr) return {};
    ++stats_.events;
    if (o->data.size() >= kFlushAt) {
      // Large reads go straight through: no copy into the buffer.
      TAP_CHECK(flush());
      return out_.write(o->data);
    }
    buf_ += o->data;
    return maybe_flush();
  }
  Result<void> end(Nanos) override { return flush(); }
};

// Output with escape sequences (CSI, OSC, DCS and other strings, two- and three-byte ESC
// forms) and controls removed; CR LF and lone CR become LF, tabs are kept. State carries
// across events, as sequences may be split between reads.
class StripEncoder final : public BufferedEncoder {
 public:
  using BufferedEncoder::BufferedEncoder;
  Result<void> begin(const Header&) override { return {}; }
  Result<void> event(const Event& e) override {
    const auto* o = e.get<format::Output>();
    if (o == nullptr) return {};
    ++stats_.events;
    for (unsigned char c : o->data) step(c);
    return maybe_flush();
  }
  Result<void> end(Nanos) override {
    if (!line_start_) buf_ += '\n';
    return flush();
  }

 private:
  enum class State { ground, esc, esc_inter, csi, str, str_esc };
  void step(unsigned char c) {
    switch (state_) {
      case State::ground:
        if (c == 0x1B) { state_ = State::esc; return; }
        if (c == '\r') {
          // A carriage return that rewrites a line (progress bars) starts a new one; one at
          // the start of a line, or before a line feed, changes nothing.
          cr_ = !line_start_;
          return;
        }
        if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7F)) {
          if (cr_ && c != '\n') buf_ += '\n';
          cr_ = false;
          buf_ += static_cast<char>(c);
          line_start_ = c == '\n';
        }
        return;
      case State::esc:
        if (c == '[') state_ = State::csi;
        else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') state_ = State::str;
        else if (c >= 0x20 && c <= 0x2F) state_ = State::esc_inter;  // ESC ( B and friends
        else state_ = State::ground;
        return;
      case State::esc_inter:
        if (c < 0x20 || c > 0x2F) state_ = State::ground;
        return;
      case State::csi:
        if (c >= 0x40 && c <= 0x7E) state_ = State::ground;
        else if (c == 0x1B) state_ = State::esc;
        return;
      case State::str:
        if (c == 0x07) state_ = State::ground;
        else if (c == 0x1B) state_ = State::str_esc;
        return;
      case State::str_esc:
        state_ = c == '\\' ? State::ground : State::str;
        return;
    }
  }
  State state_ = State::ground;
  bool cr_ = false;          // a carriage return is pending
  bool line_start_ = true;   // nothing written since the last line feed
};

// "2026-11-23 05:53:56+00:00" as util-linux script writes it.
std::string script_date(int64_t wall_ns, int32_t offset_s) {
  time_t t = static_cast<time_t>(wall_ns / 1'000'000'000 + offset_s);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  int off = offset_s < 0 ? -offset_s : offset_s;
  char zone[16];
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_s < 0 ? '-' : '+', off / 3600, off / 60 % 60);
  return std::string(buf) + zone;
}

// util-linux script: the typescript holds a "Script started" line, then the bytes; the
// timing file says when each chunk came. Classic (-t): "DELAY BYTES" per output chunk.
// Advanced (--log-io + --log-timing): "O|I DELAY BYTES", "S DELAY SIGWINCH ROWS=R COLS=C",
// "H DELAY NAME VALUE" lines, input interleaved with output in the one log.
class ScriptEncoder final : public BufferedEncoder {
 public:
  ScriptEncoder(Sink& typescript, Sink& timing, bool log_io)
      : BufferedEncoder(typescript), timing_(timing), log_io_(log_io) {}

  Result<void> begin(const Header& h) override {
    start_wall_ns_ = h.info.start_wall_ns;
    utc_offset_s_ = h.info.utc_offset_s;
    std::string date = script_date(h.info.start_wall_ns, h.info.utc_offset_s);
    buf_ += "Script started on " + date + " [";
    if (!h.command.empty()) buf_ += "COMMAND=\"" + h.command + "\" ";
    if (!h.info.term.empty()) buf_ += "TERM=\"" + h.info.term + "\" ";
    buf_ += "COLUMNS=\"" + std::to_string(h.cols ? h.cols : 80) + "\" LINES=\"" +
            std::to_string(h.rows ? h.rows : 24) + "\"]\n";
    cols_ = h.cols ? h.cols : 80;
    rows_ = h.rows ? h.rows : 24;
    if (log_io_) {
      timing_buf_ += "H 0.000000 START_TIME " + date + "\n";
      if (!h.info.term.empty()) timing_buf_ += "H 0.000000 TERM " + h.info.term + "\n";
      timing_buf_ += "H 0.000000 COLUMNS " + std::to_string(cols_) + "\n";
      timing_buf_ += "H 0.000000 LINES " + std::to_string(rows_) + "\n";
      if (!h.shell.empty()) timing_buf_ += "H 0.000000 SHELL " + h.shell + "\n";
      if (!h.command.empty()) timing_buf_ += "H 0.000000 COMMAND " + h.command + "\n";
    }
    return {};
  }

  Result<void> event(const Event& e) override {
    if (const auto* o = e.get<format::Output>()) {
      chunk(e.time, 'O', o->data);
    } else if (const auto* i = e.get<format::Input>()) {
      if (log_io_) chunk(e.time, 'I', i->data);
      else ++stats_.dropped_events;
    } else if (const auto* r = e.get<format::Resize>()) {
      if (r->cols != cols_ || r->rows != rows_) {
        cols_ = r->cols;
        rows_ = r->rows;
        if (log_io_) {
          timing_buf_ += "S ";
          append_delay(e.time);
          timing_buf_ += " SIGWINCH ROWS=" + std::to_string(r->rows) + " COLS=" + std::to_string(r->cols) + "\n";
          ++stats_.events;
        } else {
          ++stats_.dropped_events;
        }
      }
    } else if (const auto* end = e.get<format::SessionEnd>()) {
      exit_status_ = end->exit_status;
    } else if (e.kind() != format::EventKind::keyframe) {
      ++stats_.dropped_events;
    }
    if (timing_buf_.size() >= kFlushAt) {
      TAP_CHECK(timing_.write(timing_buf_));
      timing_buf_.clear();
    }
    return maybe_flush();
  }

  Result<void> end(Nanos end_time) override {
    int code = exit_code_of(exit_status_);
    buf_ += "\nScript done on " + script_date(start_wall_ns_ + end_time, utc_offset_s_) + " [";
    if (code >= 0) buf_ += "COMMAND_EXIT_CODE=\"" + std::to_string(code) + "\"";
    buf_ += "]\n";
    if (log_io_) {
      timing_buf_ += "H 0.000000 DURATION ";
      append_seconds_us(timing_buf_, end_time);
      timing_buf_ += '\n';
      if (code >= 0) timing_buf_ += "H 0.000000 EXIT_CODE " + std::to_string(code) + "\n";
    }
    TAP_CHECK(timing_.write(timing_buf_));
    timing_buf_.clear();
    return flush();
  }

 private:
  void append_delay(Nanos t) {
    int64_t us = round_to_us(t);
    append_micros(timing_buf_, us - last_us_);
    last_us_ = us;
  }
  void chunk(Nanos t, char kind, const std::string& data) {
    if (data.empty()) return;
    if (log_io_) {
      timing_buf_ += kind;
      timing_buf_ += ' ';
    }
    append_delay(t);
    timing_buf_ += ' ';
    timing_buf_ += std::to_string(data.size());
    timing_buf_ += '\n';
    buf_ += data;
    ++stats_.events;
  }

  Sink& timing_;
  bool log_io_;
  std::string timing_buf_;
  int64_t last_us_ = 0;
  int64_t start_wall_ns_ = 0;
  int32_t utc_offset_s_ = 0;
  int32_t exit_status_ = -1;
  uint16_t cols_ = 80, rows_ = 24;
};

}  // namespace

std::unique_ptr<Encoder> make_raw_encoder(Sink& out) { return std::make_unique<RawEncoder>(out); }
std::unique_ptr<Encoder> make_strip_encoder(Sink& out) { return std::make_unique<StripEncoder>(out); }
std::unique_ptr<Encoder> make_script_encoder(Sink& typescript, Sink& timing, bool log_io) {
  return std::make_unique<ScriptEncoder>(typescript, timing, log_io);
}

}  // namespace tap::convert
