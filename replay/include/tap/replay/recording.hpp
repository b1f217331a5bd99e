// A recording named on the command line: a .tap file, `-` (standard input, read into memory).
// A file is read with every segment of its session (`NAME.tap`, `NAME.segK.tap` beside it,
// each linking the one before: format::SessionReader::open_session), as one stream whose times
// and event numbers run over the whole session.
// An asciicast (v1/v2/v3) file or stream is read through tap::convert's decoder and held in
// memory as a .tap with keyframes, so it plays and seeks like a recording.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tap/convert/decoder.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/support/result.hpp"

namespace tap::replay {

struct RecordingArg {
  std::string path;
  std::optional<std::string> time;  // the T of FILE@T
};

// FILE@T → {FILE, T}, split at the last '@' (docs/cli.md). An argument that names an existing
// file as a whole is that file, so a file name with an '@' in it still opens.
RecordingArg split_recording_arg(std::string_view arg);

class Recording {
 public:
  // Opens `path`; "-" reads standard input to its end first.
  static Result<Recording> open(const std::string& path);

  const std::string& path() const { return path_; }
  // Read from standard input (keys then come from /dev/tty).
  bool is_stdin() const { return path_ == "-"; }
  // Held in memory (standard input, an imported .cast): no cache entry, no segments, no
  // --follow.
  bool in_memory() const { return stdin_bytes_ != nullptr; }
  // Converted from another format on open ("asciicast v2"), else empty.
  const std::string& imported_from() const { return imported_from_; }
  // Bytes in the session's files (or read from stdin) when opened or last refreshed.
  uint64_t size() const { return size_; }
  format::SessionReader& reader() { return *reader_; }
  const format::SessionInfo& info() const { return reader_->info(); }

  // A second, independent reader of the same session (index builds, probes).
  Result<std::unique_ptr<format::SessionReader>> reopen() const;
  // Takes in what was appended since (a new segment included) without reopening: the reader
  // continues after the last event it returned. Whether anything new was found.
  Result<bool> refresh();
  // The source of an import was damaged here (everything before it was kept).
  const std::optional<Error>& import_fault() const { return import_fault_; }


 private:
  Result<void> hold_import(convert::Decoder& decoder);
  // Bytes in the segment files the reader spans.
  uint64_t session_bytes() const;

  std::string path_;
  std::shared_ptr<const std::string> stdin_bytes_;  // the .tap bytes when held in memory
  std::string imported_from_;
  std::optional<Error> import_fault_;
  uint64_t size_ = 0;
  std::unique_ptr<format::SessionReader> reader_;
};

}  // namespace tap::replay
