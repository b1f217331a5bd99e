// Seconds in JSON numbers ⇄ nanoseconds, without the rounding of a trip through double for the
// plain decimal forms asciinema writes ("1.234567").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tap::convert {

// Parses a JSON number of seconds into ns (rounded to the nearest ns); false if it is not a
// number or is out of range (|value| > ~292 years).
bool parse_seconds(std::string_view text, int64_t* ns);

// Appends ns as seconds with 6 decimals, rounded to the nearest microsecond ("12.000250").
void append_seconds_us(std::string& out, int64_t ns);
// Appends a microsecond count as seconds with 6 decimals.
void append_micros(std::string& out, int64_t us);
// ns rounded to the nearest microsecond (halves away from zero).
int64_t round_to_us(int64_t ns);

}  // namespace tap::convert
