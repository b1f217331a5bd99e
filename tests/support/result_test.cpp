#include "tap/support/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

namespace tap {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return fail(ErrorKind::invalid_argument, std::string("not a digit: ") + c);
  return c - '0';
}

Result<int> second_digit(const char* s) {
  Result<int> r = parse_digit(s[1]);
  if (!r) return fail(std::move(r).error().context("second"));
  return r;
}

Result<int> sum_two(const char* s) {
  TAP_TRY(int a, parse_digit(s[0]));
  TAP_TRY(int b, second_digit(s));
  return a + b;
}

Result<void> check_positive(int v) {
  if (v <= 0) return fail(ErrorKind::invalid_argument, "not positive");
  return {};
}

Result<int> double_if_positive(int v) {
  TAP_CHECK(check_positive(v));
  return v * 2;
}

TEST(Result, CarriesAValueOrAnError) {
  Result<int> ok = parse_digit('7');
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  Result<int> bad = parse_digit('x');
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::invalid_argument);
  EXPECT_EQ(bad.error().what(), "not a digit: x");
}

TEST(Result, TryPropagatesTheFirstErrorWithItsContext) {
  EXPECT_EQ(*sum_two("34"), 7);
  Result<int> r = sum_two("3y");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().what(), "second: not a digit: y");
  Result<int> first = sum_two("z4");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().what(), "not a digit: z");
}

TEST(Result, CheckPropagatesVoidErrors) {
  EXPECT_EQ(*double_if_positive(4), 8);
  Result<int> r = double_if_positive(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().what(), "not positive");
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Error, ContextNestsOutermostFirst) {
  Error e = Error(ErrorKind::corrupt, "bad CRC").context("record 12").context("open s.tap");
  EXPECT_EQ(e.what(), "open s.tap: record 12: bad CRC");
  EXPECT_EQ(e.kind(), ErrorKind::corrupt);
}

TEST(Error, FromErrnoMapsKindsAndNamesTheCall) {
  Error missing = Error::from_errno("/nope", ENOENT);
  EXPECT_EQ(missing.kind(), ErrorKind::not_found);
  EXPECT_EQ(missing.what(), "/nope: No such file or directory");
  EXPECT_EQ(Error::from_errno("x", EACCES).kind(), ErrorKind::permission);
  EXPECT_EQ(Error::from_errno("x", EEXIST).kind(), ErrorKind::exists);
  EXPECT_EQ(Error::from_errno("x", EIO).kind(), ErrorKind::io);
  EXPECT_EQ(to_string(ErrorKind::tampered), "tampered");
}

}  // namespace
}  // namespace tap
