// The cell encoder every renderer shares: SGR sequences, JSON colours and attributes, safe text.
#include <gtest/gtest.h>

#include "tap/support/cell_encoding.hpp"

namespace tap {
namespace {

CellColour indexed(uint8_t i) { return CellColour{CellColour::Kind::indexed, i, 0, 0, 0}; }
CellColour rgb(uint8_t r, uint8_t g, uint8_t b) {
  return CellColour{CellColour::Kind::rgb, 0, r, g, b};
}

TEST(CellEncoding, SgrStartsWithAResetAndNamesOnlyWhatIsSet) {
  EXPECT_EQ(sgr(CellStyle{}), "\x1b[0m");
  CellStyle st;
  st.bold = true;
  st.fg = indexed(1);
  EXPECT_EQ(sgr(st), "\x1b[0;1;31m");
}

TEST(CellEncoding, SgrColoursUseTheShortestFormOfEachPalette) {
  CellStyle st;
  st.fg = indexed(7);
  st.bg = indexed(0);
  EXPECT_EQ(sgr(st), "\x1b[0;37;40m");
  st.fg = indexed(9);
  st.bg = indexed(15);
  EXPECT_EQ(sgr(st), "\x1b[0;91;107m");
  st.fg = indexed(208);
  st.bg = rgb(1, 2, 3);
  EXPECT_EQ(sgr(st), "\x1b[0;38;5;208;48;2;1;2;3m");
}

TEST(CellEncoding, SgrAttributesComeInOneFixedOrder) {
  CellStyle st;
  st.strike = st.conceal = st.reverse = st.blink = st.italic = st.bold = true;
  st.underline = 3;
  st.font = 2;
  EXPECT_EQ(sgr(st), "\x1b[0;1;3;4:3;5;7;8;9;12m");
  st = CellStyle{};
  st.underline = 2;
  EXPECT_EQ(sgr(st), "\x1b[0;21m");
  st.underline = 1;
  st.font = 10;  // not an SGR font: ignored
  EXPECT_EQ(sgr(st), "\x1b[0;4m");
}

TEST(CellEncoding, SgrNeverPassesSixteenParametersInOneSequence) {
  CellStyle st;
  st.strike = st.conceal = st.reverse = st.blink = st.italic = st.bold = true;
  st.underline = 3;
  st.font = 2;
  st.fg = rgb(10, 20, 30);
  EXPECT_EQ(sgr(st), "\x1b[0;1;3;4:3;5;7;8;9;12;38;2;10;20;30m");  // 15: one sequence
  st.bg = indexed(196);
  EXPECT_EQ(sgr(st), "\x1b[0;1;3;4:3;5;7;8;9;12;38;2;10;20;30m\x1b[48;5;196m");
  st.bg = rgb(1, 2, 3);
  EXPECT_EQ(sgr(st), "\x1b[0;1;3;4:3;5;7;8;9;12;38;2;10;20;30m\x1b[48;2;1;2;3m");
  st.font = 0;
  st.underline = 1;
  st.bg = indexed(4);  // 15 with the background: stays one sequence
  EXPECT_EQ(sgr(st), "\x1b[0;1;3;4;5;7;8;9;38;2;10;20;30;44m");
}

TEST(CellEncoding, JsonColoursAreIndexesOrLowercaseHexOrNull) {
  std::string out;
  append_json_colour(out, CellColour{});
  out += ' ';
  append_json_colour(out, indexed(208));
  out += ' ';
  append_json_colour(out, rgb(0xab, 0x0c, 0xff));
  EXPECT_EQ(out, "null 208 \"#ab0cff\"");
}

TEST(CellEncoding, JsonAttributesListOnlyWhatIsSet) {
  std::string out;
  append_json_attributes(out, CellStyle{});
  EXPECT_EQ(out, "");
  CellStyle st;
  st.bold = st.strike = true;
  st.underline = 2;
  st.font = 1;
  append_json_attributes(out, st);
  EXPECT_EQ(out, ",\"bold\":true,\"underline\":2,\"strike\":true,\"font\":1");
}

TEST(CellEncoding, CodePointsThatCouldActOnATerminalBecomeReplacementCharacters) {
  std::string out;
  for (char32_t c : {U'a', char32_t{0x1b}, char32_t{0x7f}, char32_t{0x9b}, char32_t{0xd800},
                     char32_t{0xffff}, char32_t{0x110000}})
    append_code_point(out, c);
  std::string replacement = "\xef\xbf\xbd";
  std::string expected = "a";
  for (int i = 0; i < 6; ++i) expected += replacement;
  EXPECT_EQ(out, expected);
  out.clear();
  for (char32_t c : {U'\u00e9', U'\u6f22', U'\U0001F600'}) append_code_point(out, c);
  EXPECT_EQ(out, "\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x98\x80");
}

TEST(CellEncoding, SafeTextReplacesControlsAndKeepsPrintableUtf8) {
  std::string out;
  append_safe_text(out, "a\x1b]0;x\x07\xc2\x9b" "b\\\xe6\xbc\xa2\x7f");
  EXPECT_EQ(out, "a\xef\xbf\xbd]0;x\xef\xbf\xbd\xef\xbf\xbd" "b\\\xe6\xbc\xa2\xef\xbf\xbd");
}

}  // namespace
}  // namespace tap
