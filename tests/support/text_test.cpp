#include "tap/support/text.hpp"

#include <gtest/gtest.h>

namespace tap {
namespace {

TEST(EscapeForTerminal, NeutralisesEveryControlSequenceButKeepsUtf8Text) {
  EXPECT_EQ(escape_for_terminal("ls -l"), "ls -l");
  EXPECT_EQ(escape_for_terminal("\x1b]0;pwned\x07"), "\\e]0;pwned\\x07");
  EXPECT_EQ(escape_for_terminal("a\r\nb\tc"), "a\\r\\nb\\tc");
  EXPECT_EQ(escape_for_terminal("a\tc", true), "a\tc");
  EXPECT_EQ(escape_for_terminal("\x7f"), "\\x7f");
  EXPECT_EQ(escape_for_terminal("\xc2\x9b" "31m"), "\\u009b31m");  // 8-bit CSI
  EXPECT_EQ(escape_for_terminal("caf\xc3\xa9 \xe4\xb8\xad"), "caf\xc3\xa9 \xe4\xb8\xad");
  EXPECT_EQ(escape_for_terminal("\xff\xc3"), "\\xff\\xc3");
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_for_terminal("back\\slash"), "back\\\\slash");
}

TEST(JsonStringBody, EscapesControlsAndReplacesInvalidBytes) {
  std::string out;
  EXPECT_EQ(append_json_string_body(out, "a\"b\\c\n\x1b[0m"), 0u);
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\u001b[0m");
  out.clear();
  EXPECT_EQ(append_json_string_body(out, "x\xff\xfey\xe2\x82\xac"), 2u);
  EXPECT_EQ(out, "x\xef\xbf\xbd\xef\xbf\xbdy\xe2\x82\xac");
}

TEST(Utf8CompletePrefix, HoldsBackOnlyAnUnfinishedSequence) {
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("ab\xe2\x82"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xe2\x82\xac"), 5u);
  EXPECT_EQ(utf8_complete_prefix("\xf0\x9f\x98"), 0u);
  EXPECT_EQ(utf8_complete_prefix("a\xc3"), 1u);
  EXPECT_EQ(utf8_complete_prefix("a\xff"), 2u);  // invalid bytes are not held back
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
}

}  // namespace
}  // namespace tap
