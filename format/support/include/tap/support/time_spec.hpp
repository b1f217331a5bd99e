// Time specifications used by tapplay --at, tapconv --from-time/--to-time and tapgrep
// (docs/cli.md "Times"):
//   [[h:]m:]s[.frac]   an offset from the session start ("12:03" = 12 min 3 s)
//   end                the end of the recording
//   @hh:mm[:ss[.frac]] a wall-clock time on the recording's start day, in its stored UTC offset
//   YYYY-MM-DDThh:mm[:ss[.frac]](Z|±hh:mm)  an absolute wall-clock time (ISO 8601)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tap/support/result.hpp"

namespace tap {

struct TimeSpec {
  enum class Kind { offset, end, time_of_day, absolute };
  Kind kind = Kind::offset;
  // offset: ns from the session start; time_of_day: ns since local midnight;
  // absolute: ns since the Unix epoch (UTC).
  int64_t ns = 0;
};

Result<TimeSpec> parse_time_spec(std::string_view text);

// The offset from the session start that `spec` names, for a recording that started at
// `start_wall_ns` (Unix epoch, UTC) in a zone `utc_offset_s` east of UTC and lasts
// `duration_ns`. Times before the start or after the end are errors (invalid_argument) that
// name the recording's range.
Result<int64_t> resolve_time_spec(const TimeSpec& spec, int64_t start_wall_ns,
                                  int32_t utc_offset_s, int64_t duration_ns);

// "h:mm:ss.mmm" for an offset in ns (negative offsets clamp to 0), as tapgrep prints hits and
// tapplay accepts them back.
std::string format_offset(int64_t ns);
// "YYYY-MM-DDThh:mm:ss.mmm±hh:mm" for a wall time in ns since the epoch, in the given zone.
std::string format_wall_time(int64_t wall_ns, int32_t utc_offset_s);

}  // namespace tap
