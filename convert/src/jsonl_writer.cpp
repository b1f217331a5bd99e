// tap events → JSON lines: a "session" object, then one object per event, every kind
// included (docs/convert.md §jsonl). Byte payloads are JSON strings (UTF-8 joined across
// events; invalid bytes become U+FFFD and are counted).
#include <string>

#include "encoder_base.hpp"
#include "json_time.hpp"
#include "tap/support/time_spec.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

void hex_id(std::string& out, const format::Id128& id) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint8_t b : id) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
}

// Nanoseconds as seconds with all 9 decimals: JSON lines keeps tap's full precision.
void append_seconds_ns(std::string& out, Nanos ns) {
  if (ns < 0) { out += '-'; ns = -ns; }
  out += std::to_string(ns / 1'000'000'000);
  std::string frac = std::to_string(ns % 1'000'000'000);
  out += '.';
  out.append(9 - frac.size(), '0');
  out += frac;
}

class JsonlEncoder final : public BufferedEncoder {
 public:
  JsonlEncoder(Sink& out, bool keyframes) : BufferedEncoder(out), keyframes_(keyframes) {}

  Result<void> begin(const Header& h) override {
    const auto& i = h.info;
    buf_ += "{\"kind\":\"session\",\"session_id\":\"";
    hex_id(buf_, i.session_id);
    buf_ += "\",\"segment\":" + std::to_string(i.segment) + ",\"host\":";
    str(i.host_name);
    buf_ += ",\"start\":\"" + format_wall_time(i.start_wall_ns, i.utc_offset_s) + "\"";
    buf_ += ",\"start_ns\":" + std::to_string(i.start_wall_ns);
    buf_ += ",\"pty\":" + std::to_string(i.pty_index) + ",\"term\":";
    str(i.term);
    buf_ += ",\"recorder\":";
    str(i.recorder);
    buf_ += i.imported ? ",\"imported\":true" : ",\"imported\":false";
    buf_ += i.joined_late ? ",\"joined_late\":true" : ",\"joined_late\":false";
    if (h.cols != 0) buf_ += ",\"cols\":" + std::to_string(h.cols) + ",\"rows\":" + std::to_string(h.rows);
    if (h.duration) {
      buf_ += ",\"duration\":";
      append_seconds_ns(buf_, *h.duration);
    }
    buf_ += "}\n";
    return {};
  }

  Result<void> event(const Event& e) override {
    if (e.kind() == format::EventKind::keyframe && !keyframes_) return {};
    buf_ += "{\"t\":";
    append_seconds_ns(buf_, e.time);
    buf_ += ",\"kind\":\"";
    buf_ += format::kind_name(e.kind());
    buf_ += '"';
    if (const auto* o = e.get<format::Output>()) {
      data(out_join_.take(o->data));
    } else if (const auto* in = e.get<format::Input>()) {
      data(in_join_.take(in->data));
    } else if (const auto* q = e.get<format::InputSuppressed>()) {
      buf_ += ",\"bytes\":" + std::to_string(q->length);
    } else if (const auto* r = e.get<format::Resize>()) {
      buf_ += ",\"cols\":" + std::to_string(r->cols) + ",\"rows\":" + std::to_string(r->rows);
    } else if (const auto* op = e.get<format::Opener>()) {
      buf_ += ",\"uid\":" + std::to_string(op->uid) + ",\"pid\":" + std::to_string(op->pid) +
              ",\"source\":\"" + std::string(format::opener_source_name(op->source)) + "\",\"user\":";
      str(op->user);
    } else if (const auto* w = e.get<format::WriterChange>()) {
      buf_ += ",\"pid\":" + std::to_string(w->pid) + ",\"uid\":" + std::to_string(w->uid) +
              ",\"euid\":" + std::to_string(w->euid);
      if (w->loginuid != format::WriterChange::kNoLoginUid)
        buf_ += ",\"loginuid\":" + std::to_string(w->loginuid);
      buf_ += ",\"comm\":";
      str(w->comm);
    } else if (const auto* x = e.get<format::Exec>()) {
      buf_ += ",\"pid\":" + std::to_string(x->pid) + ",\"uid\":" + std::to_string(x->uid) +
              ",\"euid\":" + std::to_string(x->euid) + ",\"filename\":";
      str(x->filename);
      buf_ += ",\"argv\":[";
      std::string_view rest = x->argv;
      bool first = true;
      while (!rest.empty()) {
        size_t z = rest.find('\0');
        if (!first) buf_ += ',';
        first = false;
        str(rest.substr(0, z));
        if (z == std::string_view::npos) break;
        rest.remove_prefix(z + 1);
      }
      buf_ += ']';
    } else if (const auto* m = e.get<format::Marker>()) {
      buf_ += ",\"marker\":\"" + std::string(format::marker_kind_name(m->kind)) + "\",\"label\":";
      str(m->label);
    } else if (const auto* g = e.get<format::Gap>()) {
      buf_ += ",\"stream\":\"" + std::string(format::stream_name(g->stream)) +
              "\",\"offset\":" + std::to_string(g->offset) + ",\"bytes\":" + std::to_string(g->bytes) +
              ",\"events\":" + std::to_string(g->events) + ",\"reason\":\"" +
              std::string(format::gap_reason_name(g->reason)) + "\"";
    } else if (const auto* k = e.get<format::Keyframe>()) {
      buf_ += ",\"event_seq\":" + std::to_string(k->event_seq) + ",\"bytes\":" + std::to_string(k->state.size());
    } else if (const auto* end = e.get<format::SessionEnd>()) {
      buf_ += ",\"reason\":\"" + std::string(format::end_reason_name(end->reason)) + "\"";
      if (end->exit_status >= 0) buf_ += ",\"exit_status\":" + std::to_string(exit_code_of(end->exit_status));
    }
    buf_ += "}\n";
    ++stats_.events;
    return maybe_flush();
  }

  Result<void> end(Nanos t) override {
    // A UTF-8 sequence cut off at the very end of a stream: written, replaced, at the end.
    if (!out_join_.empty()) tail(t, "output", out_join_.flush());
    if (!in_join_.empty()) tail(t, "input", in_join_.flush());
    return flush();
  }

 private:
  void str(std::string_view s) {
    buf_ += '"';
    stats_.replaced_bytes += append_json_escaped(buf_, s);
    buf_ += '"';
  }
  void data(std::string_view s) {
    buf_ += ",\"data\":";
    str(s);
  }
  void tail(Nanos t, const char* kind, std::string_view s) {
    buf_ += "{\"t\":";
    append_seconds_ns(buf_, t);
    buf_ += ",\"kind\":\"";
    buf_ += kind;
    buf_ += '"';
    data(s);
    buf_ += "}\n";
  }
  bool keyframes_;
  Utf8Joiner out_join_, in_join_;
};

}  // namespace

std::unique_ptr<Encoder> make_jsonl_encoder(Sink& out, bool keyframes) {
  return std::make_unique<JsonlEncoder>(out, keyframes);
}

}  // namespace tap::convert
