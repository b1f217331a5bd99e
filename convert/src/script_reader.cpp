// util-linux script typescript + timing → tap events (docs/convert.md §Import).
#include "tap/convert/script_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <deque>

#include "json_time.hpp"
#include "line_reader.hpp"
#include "tap/support/version.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

constexpr std::string_view kStarted = "Script started on ";

bool parse_u64(std::string_view s, uint64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// "2026-11-23 05:53:56+00:00" (script's START_TIME) → ns since the epoch and the offset.
bool parse_script_date(std::string_view s, int64_t* wall_ns, int32_t* offset_s) {
  int y, mo, d, h, mi, sec, oh = 0, om = 0;
  char sign = '+';
  std::string copy(s);
  int n = std::sscanf(copy.c_str(), "%d-%d-%d %d:%d:%d%c%d:%d", &y, &mo, &d, &h, &mi, &sec, &sign, &oh, &om);
  if (n < 6) return false;
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int32_t off = n >= 9 ? (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1) : 0;
  *wall_ns = (static_cast<int64_t>(timegm(&tm)) - off) * 1'000'000'000LL;
  *offset_s = off;
  return true;
}

// Picks KEY="VALUE" out of the typescript's first line.
std::string header_value(std::string_view line, std::string_view key) {
  std::string k = " " + std::string(key) + "=\"";
  size_t p = line.find(k);
  if (p == std::string_view::npos) {
    k = "[" + std::string(key) + "=\"";
    p = line.find(k);
    if (p == std::string_view::npos) return {};
  }
  p += k.size();
  size_t e = line.find('"', p);
  return std::string(line.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p));
}

class ScriptDecoder final : public Decoder {
 public:
  ScriptDecoder(LineReader typescript, LineReader timing, std::string ts_name, std::string tm_name)
      : ts_(std::move(typescript)), tm_(std::move(timing)), ts_name_(std::move(ts_name)),
        tm_name_(std::move(tm_name)) {}

  Result<void> open() {
    info_.imported = true;
    TAP_TRY(std::string_view head, ts_.peek(kStarted.size()));
    if (head == kStarted) {
      std::string_view line;
      TAP_TRY(bool got, ts_.next(&line));
      (void)got;
      std::string_view rest = line.substr(kStarted.size());
      int64_t wall = 0;
      int32_t off = 0;
      if (parse_script_date(rest.substr(0, rest.find(" [")), &wall, &off)) {
        info_.start_wall_ns = wall;
        info_.utc_offset_s = off;
      }
      info_.term = header_value(line, "TERM");
      facts_.command = header_value(line, "COMMAND");
      uint64_t v = 0;
      if (parse_u64(header_value(line, "COLUMNS"), &v) && v > 0 && v < 65536) facts_.cols = static_cast<uint16_t>(v);
      if (parse_u64(header_value(line, "LINES"), &v) && v > 0 && v < 65536) facts_.rows = static_cast<uint16_t>(v);
    }
    // The timing file's first entry says which mode; "H" lines at its start describe the session.
    for (;;) {
      TAP_TRY(bool got, tm_.next(&line_));
      if (!got) {
        have_line_ = false;
        break;
      }
      if (line_.empty()) continue;
      have_line_ = true;
      advanced_ = !(line_[0] >= '0' && line_[0] <= '9');
      if (!advanced_ || line_[0] != 'H') break;
      TAP_CHECK(header_line(line_));
    }
    facts_.format = advanced_ ? "script --log-io" : "script";
    info_.recorder = std::string("tapconv ") + kVersion + " (" + facts_.format + ")";
    if (facts_.cols != 0 && facts_.rows != 0) queued_.push_back(Event{0, format::Resize{facts_.cols, facts_.rows}});
    return {};
  }

  const format::SessionInfo& info() const override { return info_; }
  const SourceFacts& facts() const override { return facts_; }
  uint64_t bytes_consumed() const override { return ts_.consumed(); }
  uint64_t bytes_total() const override { return ts_.total(); }

  Result<const Event*> next() override {
    if (error_) return *error_;
    if (!queued_.empty()) {
      current_ = std::move(queued_.front());
      queued_.pop_front();
      return &current_;
    }
    for (;;) {
      if (!have_line_) {
        if (done_) return nullptr;
        auto got = tm_.next(&line_);
        if (!got.ok()) return set_error(std::move(got).error().context(tm_name_));
        if (!*got) {
          done_ = true;
          if (exit_code_ >= 0 || facts_.duration) {
            Nanos t = std::max(time_, facts_.duration.value_or(0));
            current_ = Event{t, format::SessionEnd{format::SessionEnd::Reason::source_ended,
                                                   exit_code_ >= 0 ? exit_code_ << 8 : -1}};
            return &current_;
          }
          return nullptr;
        }
      }
      have_line_ = false;
      if (line_.empty()) continue;
      auto r = entry(line_);
      if (!r.ok()) return set_error(std::move(r).error());
      if (*r) return &current_;
    }
  }

 private:
  Error fault(ErrorKind kind, std::string_view what) {
    return Error(kind, tm_name_ + ": line " + std::to_string(tm_.line_number()) + ": " + std::string(what));
  }
  Result<const Event*> set_error(Error e) {
    error_ = std::move(e);
    return *error_;
  }

  Result<void> header_line(std::string_view line) {
    // "H DELAY NAME VALUE"
    size_t a = line.find(' ', 2);
    if (a == std::string_view::npos) return {};
    std::string_view rest = line.substr(a + 1);
    size_t b = rest.find(' ');
    std::string_view name = rest.substr(0, b);
    std::string_view value = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);
    uint64_t v = 0;
    if (name == "START_TIME") {
      int64_t wall = 0;
      int32_t off = 0;
      if (parse_script_date(value, &wall, &off)) {
        info_.start_wall_ns = wall;
        info_.utc_offset_s = off;
      }
    } else if (name == "TERM") {
      info_.term = std::string(value);
    } else if (name == "COLUMNS" && parse_u64(value, &v) && v > 0 && v < 65536) {
      facts_.cols = static_cast<uint16_t>(v);
    } else if (name == "LINES" && parse_u64(value, &v) && v > 0 && v < 65536) {
      facts_.rows = static_cast<uint16_t>(v);
    } else if (name == "SHELL") {
      facts_.shell = std::string(value);
    } else if (name == "COMMAND") {
      facts_.command = std::string(value);
    } else if (name == "DURATION") {
      Nanos d = 0;
      if (parse_seconds(value, &d) && d >= 0) facts_.duration = d;
    } else if (name == "EXIT_CODE" && parse_u64(value, &v) && v < 256) {
      exit_code_ = static_cast<int32_t>(v);
    }
    return {};
  }

  // One timing entry; true when it produced current_.
  Result<bool> entry(std::string_view line) {
    char kind = 'O';
    if (advanced_) {
      if (line.size() < 2 || line[1] != ' ') return fault(ErrorKind::corrupt, "expected \"O|I|S|H DELAY ...\"");
      kind = line[0];
      line.remove_prefix(2);
    }
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return fault(ErrorKind::corrupt, "expected \"DELAY BYTES\"");
    Nanos delay = 0;
    if (!parse_seconds(line.substr(0, sp), &delay)) return fault(ErrorKind::corrupt, "delay is not a number");
    std::string_view rest = line.substr(sp + 1);
    if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
    if (kind == 'H') {
      TAP_CHECK(header_line(std::string("H 0 ") + std::string(rest)));
      return false;
    }
    time_ += delay < 0 ? 0 : delay;
    if (kind == 'S') {
      // "SIGWINCH ROWS=R COLS=C"; other signals carry nothing tap keeps.
      if (rest.substr(0, 9) != "SIGWINCH ") return false;
      uint64_t rows = 0, cols = 0;
      size_t r = rest.find("ROWS="), c = rest.find("COLS=");
      if (r == std::string_view::npos || c == std::string_view::npos) return fault(ErrorKind::corrupt, "bad SIGWINCH entry");
      std::string_view rv = rest.substr(r + 5), cv = rest.substr(c + 5);
      rv = rv.substr(0, rv.find(' '));
      cv = cv.substr(0, cv.find(' '));
      if (!parse_u64(rv, &rows) || !parse_u64(cv, &cols) || rows == 0 || cols == 0 || rows > 65535 || cols > 65535)
        return fault(ErrorKind::corrupt, "bad SIGWINCH entry");
      current_ = Event{time_, format::Resize{static_cast<uint16_t>(cols), static_cast<uint16_t>(rows)}};
      return true;
    }
    if (kind != 'O' && kind != 'I') return false;  // a newer entry type: skipped
    uint64_t n = 0;
    if (!parse_u64(rest, &n)) return fault(ErrorKind::corrupt, "byte count is not a number");
    if (n > (1ULL << 32)) return fault(ErrorKind::corrupt, "byte count is too large");
    std::string data;
    TAP_TRY(size_t got, ts_.read_bytes(n, &data));
    if (got < n)
      return fault(ErrorKind::truncated, ts_name_ + " ends " + std::to_string(n - got) + " bytes short of this entry");
    if (kind == 'O') current_ = Event{time_, format::Output{std::move(data)}};
    else current_ = Event{time_, format::Input{std::move(data)}};
    return true;
  }

  LineReader ts_, tm_;
  std::string ts_name_, tm_name_;
  format::SessionInfo info_;
  SourceFacts facts_;
  std::deque<Event> queued_;
  Event current_;
  std::string_view line_;
  bool have_line_ = false;
  bool advanced_ = false;
  bool done_ = false;
  Nanos time_ = 0;
  int32_t exit_code_ = -1;
  std::optional<Error> error_;
};

Result<LineReader> open_lines(const std::filesystem::path& path) {
  if (path == "-") return LineReader(Fd(::dup(0)));
  auto fd = Fd::open(path.string(), O_RDONLY);
  if (!fd.ok()) return std::move(fd).error();
  uint64_t total = 0;
  struct stat st {};
  if (::fstat(fd->get(), &st) == 0 && S_ISREG(st.st_mode)) total = static_cast<uint64_t>(st.st_size);
  return LineReader(std::move(*fd), total);
}

}  // namespace

Result<std::unique_ptr<Decoder>> open_script_reader(const std::filesystem::path& typescript,
                                                    const std::filesystem::path& timing) {
  TAP_TRY(LineReader ts, open_lines(typescript));
  TAP_TRY(LineReader tm, open_lines(timing));
  auto dec = std::make_unique<ScriptDecoder>(std::move(ts), std::move(tm), typescript.string(), timing.string());
  TAP_CHECK(dec->open());
  return std::unique_ptr<Decoder>(std::move(dec));
}

Result<std::unique_ptr<Decoder>> open_script_buffers(std::string typescript, std::string timing) {
  auto dec = std::make_unique<ScriptDecoder>(LineReader(std::move(typescript)), LineReader(std::move(timing)),
                                             "typescript", "timing");
  TAP_CHECK(dec->open());
  return std::unique_ptr<Decoder>(std::move(dec));
}

}  // namespace tap::convert
