// The conversion driver behind tapconv (docs/convert.md).
#include "tap/convert/convert.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <vector>

#include "tap/convert/cast_reader.hpp"
#include "tap/convert/script_reader.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/time_spec.hpp"
#include "tap/term/redraw.hpp"
#include "tap_io.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Script files come in pairs: (typescript, timing) from what the user named.
std::pair<std::string, std::string> script_pair(const std::string& path, const std::string& timing) {
  if (!timing.empty()) return {path, timing};
  if (ends_with(path, ".timing")) return {path.substr(0, path.size() - 7), path};
  return {path, path + ".timing"};
}

// An output file written under a temporary name beside it and renamed into place at the end,
// so a failed conversion never leaves half a file where the output should be, and an
// existing file is only replaced with --force.
class OutputFile {
 public:
  OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  }

  // `open_fd`: create the temporary file now (else only reserve its name, for a writer
  // that creates the file itself).
  Result<void> prepare(const std::string& path, bool force, bool open_fd) {
    path_ = path;
    force_ = force;
    if (path == "-") {
      if (open_fd) fd_ = 1;
      else stdout_copy_ = true;
    } else {
      struct stat st {};
      if (!force && ::lstat(path.c_str(), &st) == 0)
        return fail(ErrorKind::exists, path + ": exists (use --force to replace it)");
    }
    if (path != "-" || stdout_copy_) {
      std::string dir = ".";
      std::string base = path;
      if (path != "-") {
        size_t slash = path.rfind('/');
        if (slash != std::string::npos) {
          dir = slash == 0 ? "/" : path.substr(0, slash);
          base = path.substr(slash + 1);
        }
      } else {
        const char* t = ::getenv("TMPDIR");
        dir = t != nullptr && *t != '\0' ? t : "/tmp";
        base = "stdout";
      }
      for (int attempt = 0; attempt < 100; ++attempt) {
        tmp_ = dir + "/." + base + ".tapconv-" + std::to_string(::getpid()) + "-" + std::to_string(attempt);
        struct stat st {};
        if (::lstat(tmp_.c_str(), &st) == 0) continue;
        if (!open_fd) return {};
        int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) {
          int err = errno;
          tmp_.clear();
          return Error::from_errno("create " + path, err);
        }
        owned_.reset(fd);
        fd_ = fd;
        return {};
      }
      tmp_.clear();
      return fail(ErrorKind::io, "create " + path + ": no free temporary name");
    }
    return {};
  }

  int fd() const { return fd_; }
  const std::string& tmp_path() const { return tmp_; }

  // Puts the finished file in place.
  Result<void> commit() {
    // No fsync: like cp, a conversion promises a whole file or none to readers (the rename),
    // not durability across a power cut; syncing cost more than the conversion itself.
    if (owned_.valid()) {
      if (::close(owned_.release()) != 0) return Error::from_errno("write " + path_, errno);
    }
    if (stdout_copy_) {
      auto in = Fd::open(tmp_, O_RDONLY);
      if (!in.ok()) return std::move(in).error();
      char buf[1 << 16];
      for (;;) {
        ssize_t n = ::read(in->get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_errno("read " + tmp_, errno);
        if (n == 0) break;
        TAP_CHECK(write_all(1, std::string_view(buf, static_cast<size_t>(n))));
      }
      return {};  // the destructor removes the temporary file
    }
    if (tmp_.empty()) {
      committed_ = true;
      return {};
    }
    int rc = force_ ? ::rename(tmp_.c_str(), path_.c_str())
                    : ::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
    if (rc != 0) {
      if (errno == EEXIST) return fail(ErrorKind::exists, path_ + ": exists (use --force to replace it)");
      return Error::from_errno("rename to " + path_, errno);
    }
    committed_ = true;
    return {};
  }

 private:
  std::string path_, tmp_;
  bool force_ = false;
  bool committed_ = false;
  bool stdout_copy_ = false;
  Fd owned_;
  int fd_ = -1;
};

// "tapconv: [############                  ]  42%" redrawn in place on stderr, at most 5 times
// a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void update(const Decoder& d) {
    if (!enabled_ || ++calls_ % 256 != 0) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    uint64_t done = d.bytes_consumed(), total = d.bytes_total();
    if (total == 0) return;
    int pct = static_cast<int>(std::min<uint64_t>(done * 100 / total, 100));
    char bar[31];
    for (int i = 0; i < 30; ++i) bar[i] = i < pct * 30 / 100 ? '#' : ' ';
    bar[30] = '\0';
    std::fprintf(stderr, "\rtapconv: [%s] %3d%%", bar, pct);
    drawn_ = true;
  }
  void clear() {
    if (drawn_) std::fprintf(stderr, "\r\x1b[K");
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

// The first bytes of standard input, read once for sniffing and handed to the decoder.
Result<std::string> read_stdin_head() {
  std::string head(512, '\0');
  size_t got = 0;
  while (got < head.size()) {
    ssize_t n = ::read(0, head.data() + got, head.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read standard input", errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  head.resize(got);
  return head;
}

Result<Format> sniff_bytes(std::string_view h, const std::string& path) {
  if (h.substr(0, 4) == "\x89TAP") return Format::tap;
  if (looks_like_cast(h)) return Format::cast_v2;
  if (h.substr(0, 18) == "Script started on ") return Format::script;
  return fail(ErrorKind::invalid_argument, path + ": cannot tell its format (use --from)");
}

Result<Format> sniff(const std::string& path) {
  auto fd = Fd::open(path, O_RDONLY);
  if (!fd.ok()) return std::move(fd).error();
  char head[512];
  auto n = pread_full(fd->get(), head, sizeof head, 0);
  if (!n.ok()) return std::move(n).error().context(path);
  std::string_view h(head, *n);
  if (h.substr(0, 4) == "\x89TAP") return Format::tap;
  if (looks_like_cast(h)) return Format::cast_v2;
  if (h.substr(0, 18) == "Script started on ") return Format::script;
  return fail(ErrorKind::invalid_argument, path + ": cannot tell its format (use --from)");
}

}  // namespace

Result<std::unique_ptr<Decoder>> open_decoder(const std::string& path, std::optional<Format> format,
                                              const std::string& timing) {
  Format f;
  if (path == "-" && (!format || *format == Format::tap || *format == Format::cast_v1 ||
                      *format == Format::cast_v2 || *format == Format::cast_v3)) {
    // A pipe can be read only once: its first bytes decide and then lead the decoder's input.
    TAP_TRY(std::string head, read_stdin_head());
    if (format) {
      f = *format;
    } else {
      TAP_TRY(f, sniff_bytes(head, "standard input"));
    }
    if (f == Format::tap) return open_tap_decoder(path, std::move(head));
    return open_cast_fd(Fd(::dup(0)), "-", std::move(head));
  }
  if (format) {
    f = *format;
  } else {
    auto ext = format_from_extension(path);
    if (ext && can_read(*ext) && *ext != Format::cast_v2) {
      f = *ext;
    } else {
      TAP_TRY(f, sniff(path));
    }
  }
  switch (f) {
    case Format::tap:
      return open_tap_decoder(path);
    case Format::cast_v1:
    case Format::cast_v2:
    case Format::cast_v3:
      return open_cast_reader(path);
    case Format::script:
    case Format::script_io: {
      auto [ts, tm] = script_pair(path, timing);
      return open_script_reader(ts, tm);
    }
    default:
      return fail(ErrorKind::invalid_argument, "cannot read " + std::string(format_name(f)) + " input");
  }
}

Result<ConvertReport> convert(const ConvertOptions& o) {
  ConvertReport report;
  // Formats.
  std::optional<Format> to = o.to;
  if (!to) {
    if (o.output == "-") return fail(ErrorKind::invalid_argument, "writing to standard output needs --to");
    to = format_from_extension(o.output);
    if (!to) return fail(ErrorKind::invalid_argument, o.output + ": cannot tell the output format from its name (use --to)");
  }
  if (!can_write(*to)) return fail(ErrorKind::invalid_argument, "cannot write " + std::string(format_name(*to)));
  report.to = *to;

  TAP_TRY(auto dec, open_decoder(o.input, o.from, o.timing));
  if (dec->facts().format == "tap") report.from = Format::tap;
  else if (dec->facts().format.rfind("asciicast v", 0) == 0)
    report.from = dec->facts().format.back() == '1' ? Format::cast_v1
                : dec->facts().format.back() == '3' ? Format::cast_v3 : Format::cast_v2;
  else report.from = dec->facts().format == "script" ? Format::script : Format::script_io;

  // The time window.
  const auto& info = dec->info();
  Nanos duration = dec->facts().duration.value_or(INT64_MAX / 4);
  Nanos from = 0, until = INT64_MAX;
  if (!o.from_time.empty()) {
    TAP_TRY(TimeSpec spec, parse_time_spec(o.from_time));
    auto r = resolve_time_spec(spec, info.start_wall_ns, info.utc_offset_s, duration);
    if (!r.ok()) return std::move(r).error().context("--from-time");
    from = *r;
  }
  if (!o.to_time.empty()) {
    TAP_TRY(TimeSpec spec, parse_time_spec(o.to_time));
    auto r = resolve_time_spec(spec, info.start_wall_ns, info.utc_offset_s, duration);
    if (!r.ok()) return std::move(r).error().context("--to-time");
    until = *r;
    if (until < from) return fail(ErrorKind::invalid_argument, "--to-time is before --from-time");
  }

  // Outputs.
  OutputFile out, timing_out;
  std::unique_ptr<Sink> sink, timing_sink;
  std::unique_ptr<Encoder> enc;
  if (*to == Format::tap) {
    TAP_CHECK(out.prepare(o.output, o.force, false));
    enc = make_tap_encoder(out.tmp_path(), o.keyframes);
  } else if (*to == Format::script || *to == Format::script_io) {
    if (o.output == "-") return fail(ErrorKind::invalid_argument, "script output needs a file name (two files are written)");
    auto [ts, tm] = script_pair(
        o.output, report.from == Format::script || report.from == Format::script_io ? std::string() : o.timing);
    TAP_CHECK(out.prepare(ts, o.force, true));
    TAP_CHECK(timing_out.prepare(tm, o.force, true));
    sink = std::make_unique<FdSink>(out.fd());
    timing_sink = std::make_unique<FdSink>(timing_out.fd());
    EncoderOptions eo;
    eo.timing = timing_sink.get();
    TAP_TRY(enc, make_encoder(*to, *sink, eo));
  } else {
    TAP_CHECK(out.prepare(o.output, o.force, true));
    sink = std::make_unique<FdSink>(out.fd());
    TAP_TRY(enc, make_encoder(*to, *sink));
  }

  Header h;
  h.info = info;
  h.cols = dec->facts().cols;
  h.rows = dec->facts().rows;
  h.title = dec->facts().title;
  h.command = dec->facts().command;
  h.shell = dec->facts().shell;
  if (dec->facts().duration) h.duration = std::min(*dec->facts().duration, until) - from;
  if (from > 0) {
    h.title.clear();
    if (h.info.start_wall_ns != 0) h.info.start_wall_ns += from;  // the part starts later
  }

  // A part cut from the middle starts with the screen as it was at its start: the terminal is
  // rebuilt from the last keyframe before it (a .tap; other inputs replay from the start) and
  // the events up to it, and drawn by the part's first output event.
  std::optional<term::Terminal> screen;
  bool sized = false;  // the screen's size is the session's (a keyframe or a resize set it)
  if (from > 0) {
    TAP_TRY(screen, seek_screen_before(*dec, from));
    sized = screen.has_value();
    if (!screen) screen.emplace(h.cols ? h.cols : 80, h.rows ? h.rows : 24);
  }

  Progress progress(o.progress);
  std::vector<Event> pending;  // events before the header is written
  Event shifted;               // reused: times moved by --from-time
  bool begun = false;
  Nanos last = 0;
  uint64_t out_bytes = 0;
  bool cut = false;

  auto begin = [&]() -> Result<void> {
    if (from > 0 && sized) {
      h.cols = static_cast<uint16_t>(screen->cols());
      h.rows = static_cast<uint16_t>(screen->rows());
    }
    // The size and title the session starts with (in the window) go in the header.
    bool seen_output = false, have_size = from > 0 && h.cols != 0, have_title = false;
    for (const auto& e : pending) {
      if (e.kind() == format::EventKind::output || e.kind() == format::EventKind::input) seen_output = true;
      if (seen_output) break;
      if (const auto* r = e.get<format::Resize>(); r && !have_size) {
        h.cols = r->cols;
        h.rows = r->rows;
        have_size = true;
      }
      if (const auto* m = e.get<format::Marker>(); m && m->kind == format::Marker::Kind::title && !have_title) {
        h.title = m->label;
        have_title = true;
      }
    }
    if (from > 0) {
      // A window cut from the middle starts at the size the terminal had then, showing what
      // it showed then.
      pending.insert(pending.begin(), Event{0, format::Output{term::redraw_screen(*screen)}});
      if (h.cols != 0) pending.insert(pending.begin(), Event{0, format::Resize{h.cols, h.rows}});
    }
    TAP_CHECK(enc->begin(h));
    for (const auto& e : pending) TAP_CHECK(enc->event(e));
    pending.clear();
    begun = true;
    return {};
  };

  for (;;) {
    auto r = dec->next();
    if (!r.ok()) {
      report.input_fault = std::move(r).error();
      break;
    }
    const Event* e = *r;
    if (e == nullptr) break;
    ++report.events_read;
    progress.update(*dec);
    if (e->time < from) {
      if (const auto* out_ev = e->get<format::Output>()) {
        screen->feed(out_ev->data);
      } else if (const auto* rs = e->get<format::Resize>()) {
        h.cols = rs->cols;
        h.rows = rs->rows;
        if (rs->cols > 0 && rs->rows > 0) {
          screen->resize(rs->cols, rs->rows);
          sized = true;
        }
      }
      continue;
    }
    if (e->time > until) {
      cut = true;
      break;
    }
    last = e->time - from;
    if (const auto* out_ev = e->get<format::Output>()) out_bytes += out_ev->data.size();
    if (!begun) {
      bool io = e->kind() == format::EventKind::output || e->kind() == format::EventKind::input;
      pending.push_back(*e);
      pending.back().time = last;
      if (io || pending.size() >= 64) TAP_CHECK(begin());
      continue;
    }
    if (from == 0) {
      TAP_CHECK(enc->event(*e));  // no copy of the payload on the common path
    } else {
      shifted = *e;
      shifted.time = last;
      TAP_CHECK(enc->event(shifted));
    }
  }
  progress.clear();
  if (!begun) TAP_CHECK(begin());
  if (report.input_fault) {
    // Mark where the source broke off, in formats that can say so.
    TAP_CHECK(enc->event(Event{last, format::Gap{format::Stream::output, out_bytes, 0, 0,
                                                 format::Gap::Reason::source_damaged}}));
  }
  Nanos end_time = cut ? until - from : last;
  TAP_CHECK(enc->end(end_time));
  TAP_CHECK(out.commit());
  if (*to == Format::script || *to == Format::script_io) TAP_CHECK(timing_out.commit());

  const auto& st = enc->stats();
  report.events_written = st.events;
  report.dropped_events = st.dropped_events;
  report.replaced_bytes = st.replaced_bytes;
  if (auto w = tap_status_warning(*dec)) report.warnings.push_back(o.input + ": " + *w);
  if (st.replaced_bytes > 0)
    report.warnings.push_back(std::to_string(st.replaced_bytes) + " invalid UTF-8 bytes written as U+FFFD (" +
                              std::string(format_name(*to)) + " strings are UTF-8)");
  if (st.dropped_events > 0)
    report.warnings.push_back(std::to_string(st.dropped_events) + " events " + std::string(format_name(*to)) +
                              " cannot hold were left out (see docs/convert.md)");
  return report;
}

}  // namespace tap::convert
