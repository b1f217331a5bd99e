#include "tap/support/time_spec.hpp"

#include <gtest/gtest.h>

namespace tap {
namespace {

constexpr int64_t kS = 1'000'000'000;

int64_t offset_of(const char* text) {
  Result<TimeSpec> r = parse_time_spec(text);
  EXPECT_TRUE(r.ok()) << text;
  if (!r.ok()) return -1;
  EXPECT_EQ(r->kind, TimeSpec::Kind::offset) << text;
  return r->ns;
}

TEST(TimeSpec, ParsesOffsetsFromTheStart) {
  EXPECT_EQ(offset_of("12:03"), (12 * 60 + 3) * kS);
  EXPECT_EQ(offset_of("1:02:03.5"), (3723 * kS) + kS / 2);
  EXPECT_EQ(offset_of("90"), 90 * kS);
  EXPECT_EQ(offset_of("0.001"), 1'000'000);
  EXPECT_EQ(offset_of("0:00:01.123456789"), kS + 123456789);
}

TEST(TimeSpec, RejectsMalformedTimesWithTheExpectedForms) {
  for (const char* bad : {"", "1:75", "a", "1::2", "1.", "-5", "1:2:3:4", "@25:00", "@12",
                          "2026-11-23T12:03:00", "1.1234567891"}) {
    Result<TimeSpec> r = parse_time_spec(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::invalid_argument);
    EXPECT_NE(r.error().what().find("expected"), std::string::npos);
  }
}

// 2026-11-23T11:00:00Z, recorded in a zone one hour east of UTC (12:00 local).
constexpr int64_t kStart = 1'795'431'600LL * kS;

TEST(TimeSpec, ResolvesWallClockTimesInTheRecordingsZone) {
  ASSERT_EQ(format_wall_time(kStart, 3600), "2026-11-23T12:00:00.000+01:00");
  Result<TimeSpec> tod = parse_time_spec("@12:03");
  ASSERT_TRUE(tod.ok());
  Result<int64_t> off = resolve_time_spec(*tod, kStart, 3600, 3600 * kS);
  ASSERT_TRUE(off.ok()) << off.error().what();
  EXPECT_EQ(*off, 180 * kS);

  Result<TimeSpec> iso = parse_time_spec("2026-11-23T11:03:30Z");
  ASSERT_TRUE(iso.ok());
  EXPECT_EQ(*resolve_time_spec(*iso, kStart, 3600, 3600 * kS), 210 * kS);
  Result<TimeSpec> iso_zone = parse_time_spec("2026-11-23T12:03:30+01:00");
  ASSERT_TRUE(iso_zone.ok());
  EXPECT_EQ(*resolve_time_spec(*iso_zone, kStart, 3600, 3600 * kS), 210 * kS);

  Result<TimeSpec> end = parse_time_spec("end");
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*resolve_time_spec(*end, kStart, 3600, 77 * kS), 77 * kS);
}

TEST(TimeSpec, AClockTimeAfterMidnightBelongsToTheNextDay) {
  // Starts 23:30 local, lasts an hour: @00:10 is 40 minutes in.
  const int64_t start = kStart + (11 * 3600 + 1800) * kS;
  ASSERT_EQ(format_wall_time(start, 3600), "2026-11-23T23:30:00.000+01:00");
  EXPECT_EQ(*resolve_time_spec(*parse_time_spec("@00:10"), start, 3600, 3600 * kS), 40 * 60 * kS);
}

TEST(TimeSpec, OutOfRangeTimesNameTheRecordingsRange) {
  Result<int64_t> r = resolve_time_spec(*parse_time_spec("5:00"), kStart, 0, 60 * kS);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::invalid_argument);
  EXPECT_NE(r.error().what().find("0:00:00.000 to 0:01:00.000"), std::string::npos) << r.error().what();
  EXPECT_FALSE(resolve_time_spec(*parse_time_spec("@10:00"), kStart, 3600, 60 * kS).ok());
}

TEST(TimeSpec, FormatsOffsetsAsTapgrepPrintsThem) {
  EXPECT_EQ(format_offset(0), "0:00:00.000");
  EXPECT_EQ(format_offset(3723 * kS + 456'000'000), "1:02:03.456");
  EXPECT_EQ(format_offset(-5), "0:00:00.000");
  // What format_offset prints parses back to the same millisecond.
  EXPECT_EQ(offset_of(format_offset(3723 * kS + 456'000'000).c_str()), 3723 * kS + 456'000'000);
}

}  // namespace
}  // namespace tap
