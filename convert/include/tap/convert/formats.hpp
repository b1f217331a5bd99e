// The formats tapconv reads and writes, and how a path or a --to/--from name selects one.
#pragma once

#include <optional>
#include <string_view>

namespace tap::convert {

enum class Format {
  tap,        // .tap (tap::format)
  cast_v1,    // asciicast v1 (import only)
  cast_v2,    // asciicast v2: asciinema 2.x
  cast_v3,    // asciicast v3: asciinema 3.x
  raw,        // output bytes as recorded (what `asciinema cat` prints)
  text,       // rendered screen lines (tap::term)
  strip,      // output with escape sequences and controls removed
  script,     // util-linux script: typescript + classic timing (-t)
  script_io,  // util-linux script --log-io + --log-timing (advanced)
  jsonl,      // one JSON object per event
};

// "tap", "v1"/"cast-v1", "v2"/"cast"/"asciicast", "v3", "raw", "text"/"txt", "strip",
// "script"/"typescript", "log-io"/"script-io", "jsonl"/"json".
std::optional<Format> parse_format(std::string_view name);
std::string_view format_name(Format f);
// From a file name's extension: .tap, .cast (v2 for output; sniffed for input), .raw, .txt,
// .jsonl/.ndjson, .timing/.log/.typescript (script). nullopt when it says nothing.
std::optional<Format> format_from_extension(std::string_view path);
bool can_read(Format f);
bool can_write(Format f);

}  // namespace tap::convert
