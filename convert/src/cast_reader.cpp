// asciicast v1/v2/v3 → tap events (docs/convert.md §Import). asciinema's format documents:
// v1 one JSON object with "stdout": [[delay, data], ...]; v2 a header line then
// [time, code, data] lines; v3 a header with "term": {cols, rows, type} then
// [interval, code, data] lines, "#" comments and an "x" exit event.
#include "tap/convert/cast_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <simdjson.h>

#include <charconv>
#include <deque>
#include <vector>

#include "json_time.hpp"
#include "line_reader.hpp"
#include "tap/support/version.hpp"

namespace tap::convert {
namespace {

namespace od = simdjson::ondemand;
using format::Event;
using format::Nanos;

std::string line_msg(uint64_t line, std::string_view what) {
  return "line " + std::to_string(line) + ": " + std::string(what);
}

// The last character that is not white space (simdjson 3.0's on-demand parser has no
// document::at_end to find trailing bytes).
char last_char(std::string_view s) {
  size_t i = s.find_last_not_of(" \t\r\n");
  return i == std::string_view::npos ? '\0' : s[i];
}

// `"version": 2` or 3 in a line (a v2/v3 header, even a damaged one).
bool looks_like_v2_or_v3(std::string_view s) {
  size_t p = s.find("\"version\"");
  if (p == std::string_view::npos) return false;
  p += 9;
  while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == ':')) ++p;
  return p < s.size() && (s[p] == '2' || s[p] == '3');
}

bool is_blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

// Parses "COLSxROWS".
bool parse_size(std::string_view s, uint16_t* cols, uint16_t* rows) {
  size_t x = s.find('x');
  if (x == std::string_view::npos) return false;
  unsigned c = 0, r = 0;
  auto a = std::from_chars(s.data(), s.data() + x, c);
  auto b = std::from_chars(s.data() + x + 1, s.data() + s.size(), r);
  if (a.ec != std::errc() || a.ptr != s.data() + x || b.ec != std::errc() ||
      b.ptr != s.data() + s.size() || c == 0 || r == 0 || c > 65535 || r > 65535)
    return false;
  *cols = static_cast<uint16_t>(c);
  *rows = static_cast<uint16_t>(r);
  return true;
}

// A JSON value as seconds (ns); false when it is not a number.
bool value_seconds(od::value& v, Nanos* out) {
  od::json_type t;
  if (v.type().get(t) || t != od::json_type::number) return false;
  return parse_seconds(v.raw_json_token(), out);
}

bool value_uint(od::value& v, uint64_t* out) {
  od::json_type t;
  if (v.type().get(t) || t != od::json_type::number) return false;
  double d = 0;
  if (v.get_double().get(d) || d < 0 || d > 1e15) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

class CastDecoder final : public Decoder {
 public:
  explicit CastDecoder(LineReader reader, std::string name)
      : reader_(std::move(reader)), name_(std::move(name)) {}

  Result<void> open();

  const format::SessionInfo& info() const override { return info_; }
  const SourceFacts& facts() const override { return facts_; }
  uint64_t bytes_consumed() const override { return reader_.consumed(); }
  uint64_t bytes_total() const override { return reader_.total(); }

  Result<const Event*> next() override;

 private:
  Result<void> parse_header_object(od::object obj);
  Result<void> parse_v1(std::string doc);
  // Parses one event line into current_; false when the line carries nothing to yield.
  Result<bool> parse_event_line(std::string_view line);
  Error fault(ErrorKind kind, std::string_view what) {
    return Error(kind, name_ + ": " + line_msg(reader_.line_number(), what));
  }
  Result<bool> add_event(Nanos t, std::string_view code, od::value& data);
  void queue_header_events();
  Nanos advance(Nanos t);

  LineReader reader_;
  std::string name_;
  format::SessionInfo info_;
  SourceFacts facts_;
  int version_ = 0;
  int64_t header_version_ = -1;
  od::parser parser_;
  std::string line_buf_;        // the line being parsed, with simdjson's padding after it
  std::deque<Event> queued_;    // header events, and all of v1
  Event current_;
  Nanos last_ = 0;              // time of the last yielded event (absolute)
  std::optional<Error> error_;
  bool done_ = false;
  bool ended_ = false;
};

// Copies `line` into line_buf_ with simdjson's required padding behind it.
simdjson::padded_string_view padded(std::string& buf, std::string_view line) {
  if (buf.size() < line.size() + simdjson::SIMDJSON_PADDING)
    buf.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buf.data(), line.data(), line.size());
  std::memset(buf.data() + line.size(), ' ', simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(buf.data(), line.size(), buf.size());
}

Result<void> CastDecoder::open() {
  std::string_view line;
  for (;;) {
    TAP_TRY(bool got, reader_.next(&line));
    if (!got) return Error(ErrorKind::corrupt, name_ + ": empty file, not an asciicast");
    if (!is_blank(line)) break;
  }
  info_.imported = true;
  // Try the first line alone as the header (v2/v3; a one-line v1); a v1 document spread over
  // lines fails here and is read whole.
  od::document doc;
  od::object obj;
  int64_t version = 0;
  bool one_line = false;
  {
    auto err = parser_.iterate(padded(line_buf_, line)).get(doc);
    if (!err && !doc.get_object().get(obj)) {
      od::value v;
      if (!obj.find_field_unordered("version").get(v) && !v.get_int64().get(version)) one_line = true;
    }
  }
  if (!one_line && looks_like_v2_or_v3(line)) {
    // A broken v2/v3 header: reading the whole file as a v1 document would not bound memory.
    return fault(reader_.last_line_unterminated() ? ErrorKind::truncated : ErrorKind::corrupt,
                 "header is not a complete JSON object");
  }
  if (!one_line || version == 1) {
    std::string whole(line);
    whole += '\n';
    TAP_TRY(std::string rest, reader_.rest());
    whole += rest;
    if (whole.find_first_not_of(" \t\r\n") == std::string::npos || whole[whole.find_first_not_of(" \t\r\n")] != '{')
      return Error(ErrorKind::corrupt, name_ + ": not an asciicast (no JSON header object)");
    return parse_v1(std::move(whole));
  }
  if (version != 2 && version != 3)
    return Error(ErrorKind::unsupported_version,
                 name_ + ": asciicast version " + std::to_string(version) + " is not supported");
  version_ = static_cast<int>(version);
  // Parse again from the start: the version lookup consumed the object's iterator.
  if (auto err = parser_.iterate(padded(line_buf_, line)).get(doc); err)
    return fault(ErrorKind::corrupt, std::string("header: ") + simdjson::error_message(err));
  if (auto err = doc.get_object().get(obj); err)
    return fault(ErrorKind::corrupt, "header is not a JSON object");
  TAP_CHECK(parse_header_object(obj));
  if (last_char(line) != '}') return fault(ErrorKind::corrupt, "header: trailing bytes after the object");
  queue_header_events();
  return {};
}

Result<void> CastDecoder::parse_header_object(od::object obj) {
  info_.recorder = std::string("tapconv ") + kVersion + " (asciicast v" + std::to_string(version_) + ")";
  facts_.format = "asciicast v" + std::to_string(version_);
  for (auto field_r : obj) {
    od::field field;
    if (auto err = std::move(field_r).get(field); err)
      return fault(ErrorKind::corrupt, std::string("header: ") + simdjson::error_message(err));
    std::string_view key;
    if (field.unescaped_key().get(key)) return fault(ErrorKind::corrupt, "header: bad key");
    od::value v = field.value();
    uint64_t n = 0;
    if (key == "version") {
      if (!value_uint(v, &n)) return fault(ErrorKind::corrupt, "header: \"version\" is not a number");
      header_version_ = static_cast<int64_t>(n);
    } else if (key == "width" || key == "height") {
      // asciinema 2.2 writes 0 when its terminal reports no size (players then use 80×24).
      if (!value_uint(v, &n) || n > 65535)
        return fault(ErrorKind::corrupt, "header: \"" + std::string(key) + "\" is not a size");
      (key == "width" ? facts_.cols : facts_.rows) = static_cast<uint16_t>(n);
    } else if (key == "term" && version_ >= 3) {
      od::object term;
      if (v.get_object().get(term)) return fault(ErrorKind::corrupt, "header: \"term\" is not an object");
      for (auto tf_r : term) {
        od::field tf;
        if (std::move(tf_r).get(tf)) return fault(ErrorKind::corrupt, "header: bad \"term\" object");
        std::string_view tk;
        if (tf.unescaped_key().get(tk)) return fault(ErrorKind::corrupt, "header: bad key");
        od::value tv = tf.value();
        if (tk == "cols" || tk == "rows") {
          if (!value_uint(tv, &n) || n > 65535)
            return fault(ErrorKind::corrupt, "header: \"term." + std::string(tk) + "\" is not a size");
          (tk == "cols" ? facts_.cols : facts_.rows) = static_cast<uint16_t>(n);
        } else if (tk == "type") {
          std::string_view s;
          if (!tv.get_string().get(s)) info_.term = std::string(s);
        }
      }
    } else if (key == "timestamp") {
      Nanos t = 0;
      if (value_seconds(v, &t)) info_.start_wall_ns = t;
    } else if (key == "duration") {
      Nanos t = 0;
      if (value_seconds(v, &t) && t >= 0) facts_.duration = t;
    } else if (key == "title" || key == "command") {
      std::string_view s;
      if (!v.get_string().get(s)) (key == "title" ? facts_.title : facts_.command) = std::string(s);
    } else if (key == "env") {
      od::object env;
      if (v.get_object().get(env)) continue;  // "env": null from some writers
      for (auto ef_r : env) {
        od::field ef;
        if (std::move(ef_r).get(ef)) return fault(ErrorKind::corrupt, "header: bad \"env\" object");
        std::string_view ek, s;
        if (ef.unescaped_key().get(ek)) return fault(ErrorKind::corrupt, "header: bad key");
        if (ef.value().get_string().get(s)) continue;
        if (ek == "TERM" && info_.term.empty()) info_.term = std::string(s);
        if (ek == "SHELL") facts_.shell = std::string(s);
      }
    } else if (key == "stdout" && version_ == 1) {
      od::array arr;
      if (v.get_array().get(arr)) return fault(ErrorKind::corrupt, "\"stdout\" is not an array");
      Nanos t = 0;
      size_t index = 0;
      for (auto frame_r : arr) {
        od::value frame;
        od::array pair;
        std::string what = "stdout[" + std::to_string(index++) + "]";
        if (frame_r.get(frame) || frame.get_array().get(pair))
          return Error(ErrorKind::corrupt, name_ + ": " + what + " is not [delay, data]");
        Nanos delay = 0;
        std::string_view data;
        size_t k = 0;
        bool ok = true;
        for (auto el_r : pair) {
          od::value el;
          if (el_r.get(el)) { ok = false; break; }
          if (k == 0) ok = value_seconds(el, &delay);
          else if (k == 1) ok = !el.get_string().get(data);
          if (!ok) break;
          ++k;
        }
        if (!ok || k < 2)
          return Error(ErrorKind::corrupt, name_ + ": " + what + " is not [delay, data]");
        t += delay < 0 ? 0 : delay;
        queued_.push_back(Event{t, format::Output{std::string(data)}});
      }
    }
    // Any other key (idle_time_limit, theme, tags, ...) carries nothing tap keeps.
  }
  return {};
}

Result<void> CastDecoder::parse_v1(std::string doc_text) {
  version_ = 1;
  simdjson::padded_string padded_doc(doc_text);
  od::document doc;
  if (auto err = parser_.iterate(padded_doc).get(doc); err)
    return Error(ErrorKind::corrupt, name_ + ": " + simdjson::error_message(err));
  od::object obj;
  if (auto err = doc.get_object().get(obj); err)
    return Error(ErrorKind::corrupt, name_ + ": not an asciicast (no JSON header object)");
  // The version must be read in document order with the rest: parse everything, then check.
  std::deque<Event> frames;
  version_ = 1;
  auto r = parse_header_object(obj);
  if (!r.ok()) return r;
  if (last_char(doc_text) != '}') return Error(ErrorKind::corrupt, name_ + ": trailing bytes after the document");
  if (header_version_ != 1)
    return Error(header_version_ < 0 ? ErrorKind::corrupt : ErrorKind::unsupported_version,
                 name_ + (header_version_ < 0 ? std::string(": not an asciicast (no \"version\")")
                                              : ": a multi-line asciicast header must be version 1, not " +
                                                    std::to_string(header_version_)));
  frames.swap(queued_);
  queue_header_events();
  for (auto& e : frames) queued_.push_back(std::move(e));
  done_ = true;  // nothing left to read from the file
  return {};
}

void CastDecoder::queue_header_events() {
  std::deque<Event> head;
  if (facts_.cols != 0 && facts_.rows != 0)
    head.push_back(Event{0, format::Resize{facts_.cols, facts_.rows}});
  if (!facts_.title.empty())
    head.push_back(Event{0, format::Marker{format::Marker::Kind::title, facts_.title}});
  for (auto it = head.rbegin(); it != head.rend(); ++it) queued_.push_front(std::move(*it));
}

Nanos CastDecoder::advance(Nanos t) {
  // Times never go backwards in tap; a writer's jitter (or a negative v3 interval) is clamped.
  if (t < last_) t = last_;
  last_ = t;
  return t;
}

Result<bool> CastDecoder::add_event(Nanos t, std::string_view code, od::value& data) {
  std::string_view s;
  auto need_string = [&]() -> Result<void> {
    if (data.get_string().get(s))
      return fault(ErrorKind::corrupt, "event \"" + std::string(code) + "\": data is not a string");
    return {};
  };
  if (code == "o") {
    TAP_CHECK(need_string());
    // Reuse the previous event's buffer: no allocation per event once it has grown.
    if (auto* o = current_.get<format::Output>()) o->data.assign(s);
    else current_.body = format::Output{std::string(s)};
    current_.time = advance(t);
  } else if (code == "i") {
    TAP_CHECK(need_string());
    if (auto* i = current_.get<format::Input>()) i->data.assign(s);
    else current_.body = format::Input{std::string(s)};
    current_.time = advance(t);
  } else if (code == "r") {
    TAP_CHECK(need_string());
    format::Resize r;
    if (!parse_size(s, &r.cols, &r.rows))
      return fault(ErrorKind::corrupt, "resize \"" + std::string(s.substr(0, 32)) + "\" is not COLSxROWS");
    current_ = Event{advance(t), r};
  } else if (code == "m") {
    TAP_CHECK(need_string());
    current_ = Event{advance(t), format::Marker{format::Marker::Kind::note, std::string(s)}};
  } else if (code == "x" && version_ >= 3) {
    int64_t status = 0;
    if (!data.get_string().get(s)) {
      auto res = std::from_chars(s.data(), s.data() + s.size(), status);
      if (res.ec != std::errc() || res.ptr != s.data() + s.size()) status = -1;
    } else if (data.get_int64().get(status)) {
      status = -1;
    }
    format::SessionEnd end{format::SessionEnd::Reason::source_ended,
                           status >= 0 && status < 256 ? static_cast<int32_t>(status << 8) : -1};
    current_ = Event{advance(t), end};
    ended_ = true;
  } else {
    // Unknown codes (newer asciinema, other tools) carry nothing tap keeps, but their time does
    // count for v3's relative intervals.
    if (version_ >= 3) advance(t);
    return false;
  }
  return true;
}

Result<bool> CastDecoder::parse_event_line(std::string_view line) {
  od::document doc;
  auto trunc_or_corrupt = [&](std::string what) -> Error {
    return fault(reader_.last_line_unterminated() ? ErrorKind::truncated : ErrorKind::corrupt,
                 reader_.last_line_unterminated() ? "truncated event: " + what : what);
  };
  if (auto err = parser_.iterate(padded(line_buf_, line)).get(doc); err)
    return trunc_or_corrupt(simdjson::error_message(err));
  od::array arr;
  if (auto err = doc.get_array().get(arr); err)
    return trunc_or_corrupt("expected an event [time, code, data]");
  Nanos t = 0;
  std::string_view code;
  size_t k = 0;
  bool yielded = false;
  for (auto el_r : arr) {
    od::value el;
    if (auto err = el_r.get(el); err) return trunc_or_corrupt(simdjson::error_message(err));
    if (k == 0) {
      if (!value_seconds(el, &t)) return trunc_or_corrupt("event time is not a number");
      if (version_ >= 3) t = last_ + (t < 0 ? 0 : t);
    } else if (k == 1) {
      if (el.get_string().get(code)) return trunc_or_corrupt("event code is not a string");
      // get_string's view lives in the parser's string buffer until the next document.
    } else if (k == 2) {
      std::string code_copy(code);
      auto r = add_event(t, code_copy, el);
      if (!r.ok()) return r;
      yielded = *r;
    }
    ++k;
  }
  if (k < 3) return trunc_or_corrupt("expected an event [time, code, data]");
  if (last_char(line) != ']') return trunc_or_corrupt("trailing bytes after the event");
  return yielded;
}

Result<const Event*> CastDecoder::next() {
  if (error_) return *error_;
  if (!queued_.empty()) {
    current_ = std::move(queued_.front());
    queued_.pop_front();
    last_ = std::max(last_, current_.time);
    return &current_;
  }
  if (done_) return nullptr;
  std::string_view line;
  for (;;) {
    auto got = reader_.next(&line);
    if (!got.ok()) {
      error_ = std::move(got).error().context(name_);
      return *error_;
    }
    if (!*got) {
      done_ = true;
      if (facts_.duration && !ended_) {
        // A stated duration is when the session ended (tapconv writes it; asciinema 2 does not).
        current_ = Event{advance(*facts_.duration), format::SessionEnd{format::SessionEnd::Reason::source_ended, -1}};
        return &current_;
      }
      return nullptr;
    }
    if (is_blank(line)) continue;
    if (version_ >= 3 && line[0] == '#') continue;  // v3 comment
    auto r = parse_event_line(line);
    if (!r.ok()) {
      error_ = std::move(r).error();
      return *error_;
    }
    if (*r) return &current_;
  }
}

}  // namespace

bool looks_like_cast(std::string_view head) {
  size_t i = head.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || head[i] != '{') return false;
  return head.find("\"version\"") != std::string_view::npos;
}

Result<std::unique_ptr<Decoder>> open_cast_fd(Fd fd, std::string name, std::string head) {
  uint64_t total = 0;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) total = static_cast<uint64_t>(st.st_size);
  auto dec = std::make_unique<CastDecoder>(LineReader(std::move(fd), total, std::move(head)), std::move(name));
  TAP_CHECK(dec->open());
  return std::unique_ptr<Decoder>(std::move(dec));
}

Result<std::unique_ptr<Decoder>> open_cast_reader(const std::filesystem::path& path) {
  if (path == "-") return open_cast_fd(Fd(::dup(0)), "-");
  auto fd = Fd::open(path.string(), O_RDONLY);
  if (!fd.ok()) return std::move(fd).error();
  return open_cast_fd(std::move(*fd), path.string());
}

Result<std::unique_ptr<Decoder>> open_cast_buffer(std::string bytes, std::string name) {
  auto dec = std::make_unique<CastDecoder>(LineReader(std::move(bytes)), std::move(name));
  TAP_CHECK(dec->open());
  return std::unique_ptr<Decoder>(std::move(dec));
}

}  // namespace tap::convert
