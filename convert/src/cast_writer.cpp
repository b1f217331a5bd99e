// tap events → asciicast v2 and v3 (docs/convert.md §asciicast). Hand-written JSON: the
// layout is fixed and small, and escaping dominates (measured in tests/bench/convert).
#include <string>

#include "encoder_base.hpp"
#include "json_time.hpp"
#include "tap/support/text.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

void append_uint(std::string& out, uint64_t v) { out += std::to_string(v); }

void append_json_string(std::string& out, std::string_view s, EncodeStats& stats) {
  out += '"';
  stats.replaced_bytes += append_json_escaped(out, s);
  out += '"';
}

// The label an "m" event gets for a marker.
std::string marker_label(const format::Marker& m) {
  if (m.kind == format::Marker::Kind::note) return m.label;
  std::string s(format::marker_kind_name(m.kind));
  if (!m.label.empty()) s += ": " + m.label;
  return s;
}

class CastEncoder final : public BufferedEncoder {
 public:
  CastEncoder(Sink& out, int version) : BufferedEncoder(out), version_(version) {}

  Result<void> begin(const Header& h) override {
    cols_ = h.cols ? h.cols : 80;
    rows_ = h.rows ? h.rows : 24;
    title_ = h.title;
    buf_ += "{\"version\": ";
    buf_ += version_ == 2 ? "2" : "3";
    if (version_ == 2) {
      buf_ += ", \"width\": ";
      append_uint(buf_, cols_);
      buf_ += ", \"height\": ";
      append_uint(buf_, rows_);
    } else {
      buf_ += ", \"term\": {\"cols\": ";
      append_uint(buf_, cols_);
      buf_ += ", \"rows\": ";
      append_uint(buf_, rows_);
      if (!h.info.term.empty()) {
        buf_ += ", \"type\": ";
        append_json_string(buf_, h.info.term, stats_);
      }
      buf_ += '}';
    }
    if (h.info.start_wall_ns > 0) {
      buf_ += ", \"timestamp\": ";
      append_uint(buf_, static_cast<uint64_t>(h.info.start_wall_ns / 1'000'000'000));
    }
    if (version_ == 2 && h.duration) {
      buf_ += ", \"duration\": ";
      append_seconds_us(buf_, *h.duration);
    }
    if (!h.command.empty()) {
      buf_ += ", \"command\": ";
      append_json_string(buf_, h.command, stats_);
    }
    if (!h.title.empty()) {
      buf_ += ", \"title\": ";
      append_json_string(buf_, h.title, stats_);
    }
    bool term_in_env = version_ == 2 && !h.info.term.empty();
    if (term_in_env || !h.shell.empty()) {
      buf_ += ", \"env\": {";
      if (term_in_env) {
        buf_ += "\"TERM\": ";
        append_json_string(buf_, h.info.term, stats_);
      }
      if (!h.shell.empty()) {
        if (term_in_env) buf_ += ", ";
        buf_ += "\"SHELL\": ";
        append_json_string(buf_, h.shell, stats_);
      }
      buf_ += '}';
    }
    buf_ += "}\n";
    return {};
  }

  Result<void> event(const Event& e) override {
    last_time_ = e.time;
    switch (e.kind()) {
      case format::EventKind::output: {
        std::string_view s = out_join_.take(e.get<format::Output>()->data);
        if (!s.empty()) write_event(e.time, 'o', s);
        break;
      }
      case format::EventKind::input: {
        std::string_view s = in_join_.take(e.get<format::Input>()->data);
        if (!s.empty()) write_event(e.time, 'i', s);
        break;
      }
      case format::EventKind::resize: {
        const auto* r = e.get<format::Resize>();
        if (r->cols == cols_ && r->rows == rows_) break;  // the header already says so
        cols_ = r->cols;
        rows_ = r->rows;
        std::string size = std::to_string(r->cols) + "x" + std::to_string(r->rows);
        write_event(e.time, 'r', size);
        break;
      }
      case format::EventKind::marker: {
        const auto* m = e.get<format::Marker>();
        if (m->kind == format::Marker::Kind::title && !title_used_ && m->label == title_) {
          title_used_ = true;  // it went into the header
          break;
        }
        write_event(e.time, 'm', marker_label(*m));
        break;
      }
      case format::EventKind::end: {
        const auto* end = e.get<format::SessionEnd>();
        ended_ = true;
        flush_tails(e.time);
        int code = exit_code_of(end->exit_status);
        // v2 has no exit event: its end is the header's duration (or the last event).
        if (version_ >= 3 && code >= 0) write_event(e.time, 'x', std::to_string(code));
        break;
      }
      case format::EventKind::keyframe:
        break;  // tap's own index, not a fact about the session
      default:
        if (version_ >= 3) {
          write_comment(e);
        } else {
          ++stats_.dropped_events;
        }
        break;
    }
    return maybe_flush();
  }

  Result<void> end(Nanos end_time) override {
    if (!ended_) flush_tails(end_time);
    return flush();
  }

 private:
  void flush_tails(Nanos t) {
    if (!out_join_.empty()) write_event(t, 'o', out_join_.flush());
    if (!in_join_.empty()) write_event(t, 'i', in_join_.flush());
  }

  void append_time(Nanos t) {
    if (version_ == 2) {
      append_seconds_us(buf_, t);
    } else {
      // Intervals between microsecond-rounded absolute times: rounding errors do not add up.
      int64_t us = round_to_us(t);
      append_micros(buf_, us - last_us_);
      last_us_ = us;
    }
  }

  void write_event(Nanos t, char code, std::string_view data) {
    buf_ += '[';
    append_time(t);
    buf_ += ", \"";
    buf_ += code;
    buf_ += "\", \"";
    stats_.replaced_bytes += append_json_escaped(buf_, data);
    buf_ += "\"]\n";
    ++stats_.events;
  }

  // v3 keeps tap-only facts as comments; players skip them, readers of the file see them.
  void write_comment(const Event& e) {
    buf_ += "# ";
    append_seconds_us(buf_, e.time);
    buf_ += ' ';
    buf_ += format::kind_name(e.kind());
    std::string s;
    if (const auto* o = e.get<format::Opener>()) {
      s = " uid=" + std::to_string(o->uid) + " pid=" + std::to_string(o->pid) +
          " source=" + std::string(format::opener_source_name(o->source));
      if (!o->user.empty()) s += " user=" + o->user;
    } else if (const auto* w = e.get<format::WriterChange>()) {
      s = " pid=" + std::to_string(w->pid) + " uid=" + std::to_string(w->uid) +
          " euid=" + std::to_string(w->euid);
      if (w->loginuid != format::WriterChange::kNoLoginUid) s += " loginuid=" + std::to_string(w->loginuid);
      s += " comm=" + w->comm;
    } else if (const auto* x = e.get<format::Exec>()) {
      s = " pid=" + std::to_string(x->pid) + " uid=" + std::to_string(x->uid) +
          " euid=" + std::to_string(x->euid) + " filename=" + x->filename;
    } else if (const auto* g = e.get<format::Gap>()) {
      s = " stream=" + std::string(format::stream_name(g->stream)) + " offset=" +
          std::to_string(g->offset) + " bytes=" + std::to_string(g->bytes) +
          " reason=" + std::string(format::gap_reason_name(g->reason));
    } else if (const auto* q = e.get<format::InputSuppressed>()) {
      s = " bytes=" + std::to_string(q->length);
    }
    // One line, no terminal controls, valid UTF-8: recorded names are untrusted bytes.
    buf_ += escape_for_terminal(s);
    buf_ += '\n';
  }

  int version_;
  uint16_t cols_ = 80, rows_ = 24;
  std::string title_;
  bool title_used_ = false;
  bool ended_ = false;
  Nanos last_time_ = 0;
  int64_t last_us_ = 0;
  Utf8Joiner out_join_, in_join_;
};

}  // namespace

std::unique_ptr<Encoder> make_cast_v2_encoder(Sink& out) { return std::make_unique<CastEncoder>(out, 2); }
std::unique_ptr<Encoder> make_cast_v3_encoder(Sink& out) { return std::make_unique<CastEncoder>(out, 3); }

}  // namespace tap::convert
