#include "tap/support/time_spec.hpp"

#include <cstdio>
#include <string>

namespace tap {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSec;

// Parses an unsigned decimal integer of at most `max_digits` digits at the front of `s`.
bool take_uint(std::string_view& s, int64_t* out, size_t max_digits = 9) {
  size_t n = 0;
  int64_t v = 0;
  while (n < s.size() && n < max_digits && s[n] >= '0' && s[n] <= '9') v = v * 10 + (s[n++] - '0');
  if (n == 0 || (n < s.size() && s[n] >= '0' && s[n] <= '9')) return false;
  s.remove_prefix(n);
  *out = v;
  return true;
}

// ".frac" → ns (up to 9 digits; more are rejected rather than silently dropped).
bool take_frac(std::string_view& s, int64_t* ns) {
  *ns = 0;
  if (s.empty() || s.front() != '.') return true;
  s.remove_prefix(1);
  int64_t scale = 100'000'000;
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
    if (n == 9) return false;
    *ns += (s[n] - '0') * scale;
    scale /= 10;
    ++n;
  }
  if (n == 0) return false;
  s.remove_prefix(n);
  return true;
}

// hh:mm[:ss[.frac]] → ns since midnight.
bool parse_clock(std::string_view s, int64_t* out) {
  int64_t h, m, sec = 0, frac = 0;
  if (!take_uint(s, &h, 2) || s.empty() || s.front() != ':') return false;
  s.remove_prefix(1);
  if (!take_uint(s, &m, 2)) return false;
  if (!s.empty() && s.front() == ':') {
    s.remove_prefix(1);
    if (!take_uint(s, &sec, 2) || !take_frac(s, &frac)) return false;
  }
  if (!s.empty() || h > 23 || m > 59 || sec > 60) return false;
  *out = ((h * 60 + m) * 60 + sec) * kSec + frac;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool parse_iso(std::string_view s, int64_t* out) {
  int64_t y, mo, d;
  if (!take_uint(s, &y, 4) || s.empty() || s.front() != '-') return false;
  s.remove_prefix(1);
  if (!take_uint(s, &mo, 2) || s.empty() || s.front() != '-') return false;
  s.remove_prefix(1);
  if (!take_uint(s, &d, 2) || s.empty() || (s.front() != 'T' && s.front() != 't' && s.front() != ' '))
    return false;
  s.remove_prefix(1);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  size_t zone = s.find_first_of("Zz+-");
  if (zone == std::string_view::npos) return false;  // a zone is required: never guess one
  int64_t tod;
  if (!parse_clock(s.substr(0, zone), &tod)) return false;
  std::string_view z = s.substr(zone);
  int64_t offset_s = 0;
  if (z == "Z" || z == "z") {
    offset_s = 0;
  } else {
    int sign = z.front() == '-' ? -1 : 1;
    z.remove_prefix(1);
    int64_t oh, om = 0;
    if (!take_uint(z, &oh, 2)) return false;
    if (!z.empty() && z.front() == ':') z.remove_prefix(1);
    if (!z.empty() && !take_uint(z, &om, 2)) return false;
    if (!z.empty() || oh > 23 || om > 59) return false;
    offset_s = sign * (oh * 3600 + om * 60);
  }
  *out = days_from_civil(y, mo, d) * kDay + tod - offset_s * kSec;
  return true;
}

// [[h:]m:]s[.frac]
bool parse_offset(std::string_view s, int64_t* out) {
  int64_t parts[3];
  int count = 0;
  int64_t frac = 0;
  while (true) {
    if (count == 3 || !take_uint(s, &parts[count], 12)) return false;
    ++count;
    if (!s.empty() && s.front() == ':') {
      s.remove_prefix(1);
      continue;
    }
    if (!take_frac(s, &frac) || !s.empty()) return false;
    break;
  }
  // Units below the first must be < 60 ("1:75" is a typo, not 2:15).
  for (int i = 1; i < count; ++i)
    if (parts[i] >= 60) return false;
  int64_t secs = 0;
  for (int i = 0; i < count; ++i) secs = secs * 60 + parts[i];
  if (secs > 100LL * 365 * 86400) return false;
  *out = secs * kSec + frac;
  return true;
}

}  // namespace

Result<TimeSpec> parse_time_spec(std::string_view text) {
  TimeSpec spec;
  if (text == "end") {
    spec.kind = TimeSpec::Kind::end;
    return spec;
  }
  bool ok;
  if (!text.empty() && text.front() == '@') {
    spec.kind = TimeSpec::Kind::time_of_day;
    ok = parse_clock(text.substr(1), &spec.ns);
  } else if (text.size() > 10 && text[4] == '-') {
    spec.kind = TimeSpec::Kind::absolute;
    ok = parse_iso(text, &spec.ns);
  } else {
    spec.kind = TimeSpec::Kind::offset;
    ok = parse_offset(text, &spec.ns);
  }
  if (!ok) {
    return fail(ErrorKind::invalid_argument,
                "bad time '" + std::string(text) +
                    "': expected [[h:]m:]s[.frac], end, @hh:mm[:ss] or YYYY-MM-DDThh:mm:ssZ");
  }
  return spec;
}

Result<int64_t> resolve_time_spec(const TimeSpec& spec, int64_t start_wall_ns, int32_t utc_offset_s,
                                  int64_t duration_ns) {
  int64_t offset = 0;
  switch (spec.kind) {
    case TimeSpec::Kind::end: return duration_ns;
    case TimeSpec::Kind::offset: offset = spec.ns; break;
    case TimeSpec::Kind::absolute: offset = spec.ns - start_wall_ns; break;
    case TimeSpec::Kind::time_of_day: {
      const int64_t local_start = start_wall_ns + int64_t{utc_offset_s} * kSec;
      int64_t day = local_start / kDay * kDay;
      if (local_start < 0 && local_start % kDay != 0) day -= kDay;
      int64_t target = day + spec.ns;
      // A recording that runs past midnight: an earlier clock time means the next day.
      if (target < local_start && target + kDay <= local_start + duration_ns) target += kDay;
      offset = target - local_start;
      break;
    }
  }
  if (offset < 0 || offset > duration_ns) {
    return fail(ErrorKind::invalid_argument,
                "time " + format_offset(offset < 0 ? -offset : offset) + (offset < 0 ? " before" : "") +
                    " is outside the recording (0:00:00.000 to " + format_offset(duration_ns) + ", " +
                    format_wall_time(start_wall_ns, utc_offset_s) + " to " +
                    format_wall_time(start_wall_ns + duration_ns, utc_offset_s) + ")");
  }
  return offset;
}

std::string format_offset(int64_t ns) {
  if (ns < 0) ns = 0;
  const int64_t ms = ns / 1'000'000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000),
                static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string format_wall_time(int64_t wall_ns, int32_t utc_offset_s) {
  const int64_t local = wall_ns + int64_t{utc_offset_s} * kSec;
  int64_t days = local / kDay;
  int64_t rem = local % kDay;
  if (rem < 0) {
    rem += kDay;
    --days;
  }
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  const int64_t ms = rem / 1'000'000;
  const int32_t off = utc_offset_s < 0 ? -utc_offset_s : utc_offset_s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%03lld%c%02d:%02d",
                static_cast<long long>(y), m, d, static_cast<long long>(ms / 3'600'000),
                static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                static_cast<long long>(ms % 1000), utc_offset_s < 0 ? '-' : '+', off / 3600,
                off / 60 % 60);
  return buf;
}

}  // namespace tap
