// Reading asciicast v1, v2 and v3 files (asciinema's formats) as tap events.
//
// tapconv imports through it and tapgrep and tapplay read .cast files through it. v2 and v3
// are read line by line with simdjson's on-demand parser in bounded memory (the longest line
// plus a read buffer); v1 is one JSON document and is read whole. Unknown header keys and
// event codes are skipped, v3 comment lines ("#...") and blank lines are ignored.
//
// Event mapping (docs/convert.md §Import): "o" → Output, "i" → Input, "r" "COLSxROWS" →
// Resize, "m" → Marker(note), v3 "x" → SessionEnd(source_ended, exit status << 8). The header
// size becomes a Resize at time 0 and its title a Marker(title) at time 0. String data is the
// UTF-8 the JSON carries. Times keep the file's precision, to the nanosecond.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "tap/convert/decoder.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/result.hpp"

namespace tap::convert {

// Opens a .cast file ("-" reads standard input). Fails (corrupt / unsupported_version) when
// the header is not an asciicast v1, v2 or v3 header.
Result<std::unique_ptr<Decoder>> open_cast_reader(const std::filesystem::path& path);
// Same over an open descriptor (a pipe is fine); `name` prefixes error messages. `head`: bytes
// already read from it (sniffing a pipe), taken as its start.
Result<std::unique_ptr<Decoder>> open_cast_fd(Fd fd, std::string name, std::string head = {});
// Same over bytes in memory (tests, fuzzing).
Result<std::unique_ptr<Decoder>> open_cast_buffer(std::string bytes, std::string name = "cast");

// True when `head` (the first bytes of a file) looks like an asciicast header.
bool looks_like_cast(std::string_view head);

}  // namespace tap::convert
