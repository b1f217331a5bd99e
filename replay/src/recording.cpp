#include "tap/replay/recording.hpp"

#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "tap/convert/cast_reader.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/replay/replay_index.hpp"
#include "tap/term/keyframer.hpp"

namespace tap::replay {
namespace {

// Streams a decoder's events into a .tap (with keyframes by tap::term's rule) in a temporary
// file, and returns that file's bytes.
struct Imported {
  std::string bytes;
  std::optional<Error> fault;  // the source was damaged here; everything before it is kept
};

Result<Imported> import_to_tap(convert::Decoder& decoder) {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::filesystem::path dir = tmpdir != nullptr && tmpdir[0] == '/' ? tmpdir : "/tmp";
  std::filesystem::path path;
  Result<std::unique_ptr<format::SessionWriter>> writer =
      fail(ErrorKind::internal, "no temporary file");
  for (int attempt = 0; attempt < 16 && !writer.ok(); ++attempt) {
    path = dir / ("tapplay-import-" + std::to_string(::getpid()) + "-" +
                  std::to_string(attempt) + ".tap");
    writer = format::SessionWriter::create(path, decoder.info());
  }
  if (!writer.ok()) return fail(std::move(writer).error().context("import"));
  struct Unlink {
    std::filesystem::path p;
    ~Unlink() { ::unlink(p.c_str()); }
  } unlink_after{path};
  term::KeyframingWriter out(**writer);
  std::optional<format::SessionEnd> end;
  Result<void> fault;
  format::Nanos last = 0;
  while (true) {
    auto next = decoder.next();
    if (!next.ok()) {
      fault = fail(std::move(next).error());
      break;
    }
    const format::Event* ev = *next;
    if (ev == nullptr) break;
    if (const auto* se = ev->get<format::SessionEnd>()) end = *se;
    last = std::max(last, ev->time);
    format::Event copy = *ev;
    copy.time = last;  // a writer refuses time going backwards; decoders promise it never does
    TAP_CHECK(out.append(copy));
  }
  TAP_CHECK(out.finish(end.value_or(format::SessionEnd{format::SessionEnd::Reason::source_ended, -1})));
  TAP_TRY(Fd fd, Fd::open(path.string(), O_RDONLY));
  Imported imported;
  if (!fault.ok()) imported.fault = fault.error();
  std::string& bytes = imported.bytes;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Error::from_errno("read " + path.string(), errno));
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  return imported;
}

// The session `path` belongs to, every segment of it as one stream (a new one too, on
// refresh()); a later segment cut off from segment 0 is read alone.
Result<std::unique_ptr<format::SessionReader>> open_file(const std::string& path) {
  return format::SessionReader::open_session(path);
}

}  // namespace

RecordingArg split_recording_arg(std::string_view arg) {
  RecordingArg out{std::string(arg), std::nullopt};
  std::error_code ec;
  if (arg == "-" || std::filesystem::exists(std::filesystem::path(std::string(arg)), ec)) return out;
  const size_t at = arg.rfind('@');
  if (at == std::string_view::npos || at == 0) return out;
  out.path = std::string(arg.substr(0, at));
  out.time = std::string(arg.substr(at + 1));
  return out;
}

Result<Recording> Recording::open(const std::string& path) {
  Recording rec;
  rec.path_ = path;
  // An asciicast file (by extension or content) is imported; anything else is a .tap.
  std::error_code ec;
  if (path != "-" && !std::filesystem::is_directory(path, ec)) {
    std::string head(64, '\0');
    auto fd = Fd::open(path, O_RDONLY);
    if (fd.ok()) {
      auto n = pread_full(fd->get(), head.data(), head.size(), 0);
      head.resize(n.ok() ? *n : 0);
      const bool cast_name = std::filesystem::path(path).extension() == ".cast";
      if (cast_name || convert::looks_like_cast(head)) {
        TAP_TRY(auto decoder, convert::open_cast_reader(path));
        TAP_CHECK(rec.hold_import(*decoder));
        return rec;
      }
    }
  }
  if (path == "-") {
    std::string bytes;
    char buf[1 << 16];
    while (true) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(Error::from_errno("read standard input", errno));
      if (n == 0) break;
      bytes.append(buf, static_cast<size_t>(n));
    }
    if (convert::looks_like_cast(std::string_view(bytes).substr(0, 64))) {
      TAP_TRY(auto decoder, convert::open_cast_buffer(std::move(bytes), "<stdin>"));
      TAP_CHECK(rec.hold_import(*decoder));
      return rec;
    }
    rec.size_ = bytes.size();
    rec.stdin_bytes_ = std::make_shared<const std::string>(std::move(bytes));
    TAP_TRY(rec.reader_, format::SessionReader::open_buffer(*rec.stdin_bytes_));
    return rec;
  }
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorKind::invalid_argument, path + ": is a directory");
  }
  TAP_TRY(rec.reader_, open_file(path));
  rec.size_ = rec.session_bytes();
  return rec;
}

Result<void> Recording::hold_import(convert::Decoder& decoder) {
  imported_from_ = decoder.facts().format.empty() ? std::string("asciicast") : decoder.facts().format;
  TAP_TRY(Imported imported, import_to_tap(decoder));
  import_fault_ = std::move(imported.fault);
  size_ = imported.bytes.size();
  stdin_bytes_ = std::make_shared<const std::string>(std::move(imported.bytes));
  TAP_TRY(reader_, format::SessionReader::open_buffer(*stdin_bytes_));
  return {};
}

Result<std::unique_ptr<format::SessionReader>> Recording::reopen() const {
  if (stdin_bytes_) return format::SessionReader::open_buffer(*stdin_bytes_);
  return open_file(path_);
}

Result<bool> Recording::refresh() {
  if (stdin_bytes_) return false;
  TAP_TRY(bool grew, reader_->refresh());
  if (grew) size_ = session_bytes();
  return grew;
}

uint64_t Recording::session_bytes() const {
  // The files the reader spans: the first segment_count() of the session's segment files.
  const std::vector<std::filesystem::path> paths = session_files(path_);
  const size_t n = std::min(paths.size(), reader_->segment_count());
  uint64_t total = 0;
  for (size_t k = 0; k < n; ++k) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(paths[k], ec);
    if (!ec) total += size;
  }
  return total;
}

}  // namespace tap::replay
