// One conversion, as tapconv runs it: open the input as a Decoder, pick the Encoder for the
// output, stream every event through, write the output atomically (a temporary file renamed
// into place; never over an existing file without `force`).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tap/convert/decoder.hpp"
#include "tap/convert/encoder.hpp"
#include "tap/convert/formats.hpp"
#include "tap/support/result.hpp"

namespace tap::convert {

struct ConvertOptions {
  std::string input;                  // a path, or "-" for standard input
  std::string output;                 // a path, or "-" for standard output
  std::optional<Format> from, to;     // else from the extensions (input: sniffed when unclear)
  std::string timing;                 // script: the timing file (default: see docs/convert.md)
  bool force = false;                 // replace an existing output
  std::string from_time, to_time;     // time specs (docs/cli.md §Times); empty: whole session
  bool progress = false;              // draw progress on stderr (tapconv: on a terminal)
  bool keyframes = true;              // .tap output: add keyframes (tap::term's rule)
};

struct ConvertReport {
  Format from = Format::tap;
  Format to = Format::tap;
  uint64_t events_read = 0;
  uint64_t events_written = 0;
  uint64_t dropped_events = 0;        // events the output format cannot hold
  uint64_t replaced_bytes = 0;        // invalid UTF-8 bytes written as U+FFFD
  std::vector<std::string> warnings;  // one line each, already worded
  // Set when the input is malformed part-way: everything before the fault was converted and
  // written; the caller exits non-zero.
  std::optional<Error> input_fault;
};

Result<ConvertReport> convert(const ConvertOptions& options);

// Opens any readable input: .tap (through tap::format's reader), asciicast v1/v2/v3, script
// typescript + timing. `format` nullopt: from the extension, else sniffed from the content.
// For script input `timing` names the timing file (empty: PATH.timing, or PATH without
// ".timing" as the typescript when PATH is the timing file).
Result<std::unique_ptr<Decoder>> open_decoder(const std::string& path, std::optional<Format> format,
                                              const std::string& timing = {});

}  // namespace tap::convert
