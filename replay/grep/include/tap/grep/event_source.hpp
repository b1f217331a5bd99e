// EventSource: the events and header of one recording, whatever its file format.
//
// tapgrep reads .tap files through tap::format::SessionReader (a file with every later segment
// of its session, as one stream in session time) and asciicast files through
// tap::convert's decoder; both look the same from here, so the search code does not care.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::grep {

class EventSource {
 public:
  virtual ~EventSource() = default;

  virtual const format::SessionInfo& info() const = 0;
  // The next event, nullptr at the end; a fault in the middle comes after every intact event.
  virtual Result<const format::Event*> next() = 0;
  // The recording's length when it is known without decoding (an index), else nullopt.
  virtual std::optional<format::Nanos> duration() const = 0;
  // Non-fatal findings (a torn tail), valid once next() returned nullptr.
  virtual std::vector<std::string> warnings() const = 0;
};

enum class SourceFormat { tap, cast };

// What a path holds, decided from its name (".cast" is asciicast, anything else .tap).
SourceFormat source_format(const std::filesystem::path& path);

// Opens a recording (a .tap with its session's later segments); fails when its header is
// unusable.
Result<std::unique_ptr<EventSource>> open_event_source(const std::filesystem::path& path);

// An EventSource over events in memory (tests, and formats decoded whole).
std::unique_ptr<EventSource> memory_event_source(format::SessionInfo info,
                                                 std::vector<format::Event> events);

}  // namespace tap::grep
