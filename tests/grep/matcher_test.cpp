#include "tap/grep/matcher.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tap::grep {
namespace {

Matcher make(std::vector<std::string> patterns, bool fixed = false, bool icase = false) {
  auto m = Matcher::create(MatchOptions{std::move(patterns), fixed, icase});
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().what());
  return std::move(m).value();
}

constexpr size_t npos = std::string_view::npos;

TEST(Matcher, FindsAFixedStringAndItsOffset) {
  Matcher m = make({"iptables -F"}, true);
  std::string text = "ls\nsudo iptables -F\nexit\n";
  EXPECT_EQ(m.find(text, 0, text.size()), text.find("iptables"));
  EXPECT_EQ(m.find(text, text.find("exit"), text.size()), npos);
}

TEST(Matcher, FixedStringsAreNotRegularExpressions) {
  Matcher m = make({"a.c"}, true);
  EXPECT_FALSE(m.matches("abc"));
  EXPECT_TRUE(m.matches("xa.cx"));
}

TEST(Matcher, IgnoreCaseWorksForFixedStringsAndRegexps) {
  EXPECT_TRUE(make({"SUDO"}, true, true).matches("$ sudo -i"));
  EXPECT_TRUE(make({"S.DO"}, false, true).matches("$ sudo -i"));
  EXPECT_FALSE(make({"SUDO"}, true, false).matches("$ sudo -i"));
}

TEST(Matcher, SeveralPatternsMatchAnyOfThem) {
  Matcher m = make({"rm -rf", "shutdown"});
  EXPECT_TRUE(m.matches("# shutdown -h now"));
  EXPECT_TRUE(m.matches("$ rm -rf /tmp/x"));
  EXPECT_FALSE(m.matches("$ ls"));
  // A newline inside a pattern separates patterns, as in grep.
  Matcher nl = make({"alpha\nbeta"}, true);
  EXPECT_TRUE(nl.matches("beta"));
  EXPECT_TRUE(nl.matches("alpha"));
}

TEST(Matcher, AMatchNeverSpansTwoLines) {
  Matcher re = make({"foo.*bar"});
  std::string text = "foo\nbar\n";
  EXPECT_EQ(re.find(text, 0, text.size()), npos);
  Matcher cls = make({"foo\\sbar"});
  EXPECT_EQ(cls.find(text, 0, text.size()), npos);
  Matcher neg = make({"foo[^x]bar"});
  EXPECT_EQ(neg.find(text, 0, text.size()), npos);
  std::string same = "x\nfoo bar\n";
  EXPECT_EQ(re.find(same, 0, same.size()), 2u);
}

TEST(Matcher, AnchorsApplyToEachLine) {
  Matcher m = make({"^root"});
  std::string text = "x root\nroot# id\n";
  EXPECT_EQ(m.find(text, 0, text.size()), text.find("root#"));
  Matcher end = make({"F$"});
  std::string t2 = "-F x\nipt -F\n";
  EXPECT_EQ(end.find(t2, 0, t2.size()), t2.find("F\n"));
  // Searching from the middle of a line does not make that point a line start.
  EXPECT_EQ(m.find(text, 3, text.size()), text.find("root#"));
}

TEST(Matcher, SearchesOnlyTheGivenRange) {
  Matcher m = make({"needle"}, true);
  std::string text = "hay\nneedle\n";
  EXPECT_EQ(m.find(text, 0, 4), npos);
  Matcher re = make({"need+le"});
  EXPECT_EQ(re.find(text, 0, 4), npos);
  EXPECT_EQ(re.find(text, 0, text.size()), 4u);
}

TEST(Matcher, ABadPatternIsAnInvalidArgument) {
  auto m = Matcher::create(MatchOptions{{"a(b"}, false, false});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind(), ErrorKind::invalid_argument);
  EXPECT_NE(m.error().what().find("bad pattern"), std::string::npos);
  EXPECT_FALSE(Matcher::create(MatchOptions{}).ok());
}

TEST(Matcher, PatternsThatMatchEmptyTextMatchEveryLine) {
  Matcher m = make({"x*"});
  std::string text = "abc\n";
  EXPECT_EQ(m.find(text, 0, text.size()), 0u);
}

TEST(Matcher, ExponentialPatternsRunInLinearTime) {
  // (a|a)*b on a run of a's: a backtracking engine takes 2^n steps; RE2 does not.
  Matcher m = make({"^(a|aa)*b$"});
  std::string text(100000, 'a');
  text += '\n';
  EXPECT_EQ(m.find(text, 0, text.size()), npos);
}

// LiteralSearch filters on the needle's two rarest bytes 16 or 32 positions at a time: it must
// find the first occurrence exactly as std::string::find does, at every offset and alignment,
// near the buffer's ends, with needles of repeated and of common bytes.
TEST(LiteralSearch, FindsTheFirstOccurrenceAsStringFindDoes) {
  uint64_t seed = 88172645463325252ull;
  auto next = [&seed](uint32_t n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return static_cast<uint32_t>(seed % n);
  };
  const std::string alphabet = "ab-\x1b[m ";
  size_t found = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string hay(next(200), ' ');
    for (char& c : hay) c = alphabet[next(static_cast<uint32_t>(alphabet.size()))];
    std::string needle(1 + next(12), ' ');
    for (char& c : needle) c = alphabet[next(static_cast<uint32_t>(alphabet.size()))];
    if (next(2) == 0 && hay.size() >= needle.size()) {
      hay.replace(next(static_cast<uint32_t>(hay.size() - needle.size() + 1)), needle.size(), needle);
    }
    const LiteralSearch search(needle);
    for (size_t from : {size_t{0}, size_t{1}, size_t{7}}) {
      if (from > hay.size()) continue;
      const std::string_view h = std::string_view(hay).substr(from);
      const size_t want = h.find(needle);
      ASSERT_EQ(search.find(h), want) << "needle '" << needle << "' in '" << hay << "' from " << from;
      found += want != std::string_view::npos;
    }
  }
  EXPECT_GT(found, 2000u);
  EXPECT_EQ(LiteralSearch("").find("abc"), 0u);
  EXPECT_EQ(LiteralSearch("abc").find(""), std::string_view::npos);
  EXPECT_EQ(LiteralSearch("needle").find(std::string(100000, 'x') + "needle"), 100000u);
}

}  // namespace
}  // namespace tap::grep
