#include <gtest/gtest.h>

#include "tap/live/screen.hpp"

namespace tap::live {
namespace {

Screen two_rows() {
  Screen s;
  s.cols = 6;
  s.rows = 2;
  Style green;
  green.fg = Colour{Colour::Kind::indexed, 2};
  s.lines = {{Span{Style{}, 3, "ab "}, Span{green, 3, "ok "}}, {Span{Style{}, 6, "      "}}};
  s.cursor_row = 1;
  return s;
}

TEST(LiveScreen, FramedTextShowsTheSizeAndPadsEveryRow) {
  std::string out = render_framed_text(two_rows(), 3);
  EXPECT_EQ(out.substr(0, out.find('\n')), "snapshot pty=3 (2x6) cursor=1,0");
  EXPECT_NE(out.find("\xe2\x94\x82" "ab ok \xe2\x94\x82\n"), std::string::npos);
  EXPECT_NE(out.find("\xe2\x94\x82      \xe2\x94\x82\n"), std::string::npos);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

TEST(LiveScreen, PlainTextTrimsLikeCapturePane) {
  EXPECT_EQ(render_plain_text(two_rows()), "ab ok\n\n");
}

TEST(LiveScreen, AnsiCarriesColoursAndResets) {
  std::string out = render_framed_ansi(two_rows(), 3);
  EXPECT_NE(out.find("\x1b[0;32mok \x1b[0m"), std::string::npos);
}

TEST(LiveScreen, UntrustedTitleIsEscaped) {
  Screen s = two_rows();
  s.title = "x\x1b]2;owned\x07";
  std::string out = render_framed_text(s, 1);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\x07'), std::string::npos);
}

TEST(LiveScreen, JsonListsLinesAndStyledSpans) {
  std::string out = render_json(two_rows(), 3);
  EXPECT_NE(out.find("\"lines\":[\"ab ok\",\"\"]"), std::string::npos);
  EXPECT_NE(out.find("{\"col\":3,\"cells\":3,\"text\":\"ok \",\"fg\":2,\"bg\":null}"),
            std::string::npos) << out;
}

TEST(LiveScreen, RepaintPlacesRowsAndCursor) {
  std::string out = render_repaint(two_rows());
  EXPECT_EQ(out.rfind("\x1b[2;1H"), out.size() - std::string("\x1b[2;1H\x1b[?25h").size());
  EXPECT_NE(out.find("\x1b[1;1Hab \x1b[0;32mok \x1b[0m"), std::string::npos);
}

}  // namespace
}  // namespace tap::live
