#include "tap/replay/render.hpp"

#include <gtest/gtest.h>

#include "tap/term/terminal.hpp"

namespace tap::replay {
namespace {

using term::Terminal;

Terminal fed(int cols, int rows, std::string_view bytes) {
  Terminal t(cols, rows);
  t.feed(bytes);
  return t;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

TEST(ColorRgb, FollowsXtermsPalette) {
  auto idx = [](uint8_t i) { term::Color c; c.kind = term::Color::Kind::indexed; c.index = i; return c; };
  EXPECT_EQ(color_rgb(idx(1), 0), 0xcd0000u);
  EXPECT_EQ(color_rgb(idx(12), 0), 0x5c5cffu);
  EXPECT_EQ(color_rgb(idx(16), 0), 0x000000u);
  EXPECT_EQ(color_rgb(idx(196), 0), 0xff0000u);
  EXPECT_EQ(color_rgb(idx(208), 0), 0xff8700u);
  EXPECT_EQ(color_rgb(idx(232), 0), 0x080808u);
  EXPECT_EQ(color_rgb(idx(255), 0), 0xeeeeeeu);
  term::Color rgb;
  rgb.kind = term::Color::Kind::rgb;
  rgb.r = 0x12, rgb.g = 0x34, rgb.b = 0x56;
  EXPECT_EQ(color_rgb(rgb, 0), 0x123456u);
  EXPECT_EQ(color_rgb(term::Color{}, 0xabcdef), 0xabcdefu);
}

TEST(RenderFormat, ParsesEveryNameAndRefusesOthers) {
  for (auto f : {RenderFormat::text, RenderFormat::ansi, RenderFormat::html, RenderFormat::svg,
                 RenderFormat::json}) {
    auto parsed = parse_render_format(render_format_name(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  auto bad = parse_render_format("png");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::invalid_argument);
}

TEST(RenderText, TrimsTrailingBlanksAndKeepsEveryRow) {
  Terminal t = fed(10, 3, "ab   \r\n\r\n  c");
  EXPECT_EQ(render_text(t), "ab\n\n  c\n");
}

TEST(RenderText, WritesWideAndCombiningCharactersOnce) {
  Terminal t = fed(10, 1, "\xe6\xbc\xa2x e\xcc\x81");
  EXPECT_EQ(render_text(t), "\xe6\xbc\xa2x e\xcc\x81\n");
}

TEST(RenderAnsi, ReproducesTheScreenThroughAnotherTerminal) {
  const std::string input =
      "\x1b[1;31mred\x1b[0m plain \x1b[38;5;208;48;2;1;2;3mx\x1b[0m\r\n"
      "\x1b[3;4;7mmix\x1b[0m \x1b[9;5mS\x1b[0m\xe6\xbc\xa2\r\n\x1b[44m   \x1b[0m";
  Terminal original = fed(20, 4, input);
  const std::string ansi = render_ansi(original);
  // Feeding the rendering to a fresh terminal gives the same cells.
  std::string replayed_input;
  // Rows end in '\n'; the last one would scroll the copy, so it is left out.
  for (char c : std::string_view(ansi).substr(0, ansi.size() - 1)) {
    if (c == '\n') replayed_input += "\r\n";
    else replayed_input += c;
  }
  Terminal copy = fed(20, 4, replayed_input);
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 20; ++col) {
      EXPECT_EQ(original.cell(row, col), copy.cell(row, col)) << "row " << row << " col " << col;
    }
  }
  EXPECT_NE(ansi.find("\x1b[0;1;31m"), std::string::npos);
  EXPECT_NE(ansi.find("38;5;208"), std::string::npos);
  EXPECT_NE(ansi.find("48;2;1;2;3"), std::string::npos);
}

TEST(RenderAnsiRepaint, PlacesTheCursorAndSwitchesBuffers) {
  Terminal t = fed(10, 3, "\x1b[?1049hab\x1b[2;4H\x1b[?25l");
  const std::string out = render_ansi_repaint(t);
  EXPECT_EQ(out.rfind("\x1b[?1049l", 0), 0u);  // from wherever the terminal was
  EXPECT_NE(out.find("\x1b[?1049h"), std::string::npos);
  EXPECT_NE(out.find("\x1b[2;4H\x1b[?25l"), std::string::npos);
  Terminal copy(10, 3);
  copy.feed(out);
  EXPECT_EQ(copy.row_text(0), "ab");
  EXPECT_EQ(copy.cursor().row, 1);
  EXPECT_EQ(copy.cursor().col, 3);
  EXPECT_FALSE(copy.cursor().visible);
  EXPECT_TRUE(copy.alt_screen());
}

TEST(RenderHtml, EscapesMarkupFromTheRecording) {
  Terminal t = fed(30, 2, "\x1b]2;</title><script>x</script>\x07<img src=x onerror=alert(1)>&");
  RenderContext ctx;
  ctx.source = "a<b>.tap";
  const std::string html = render_html(t, ctx);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;&amp;"), std::string::npos);
  EXPECT_NE(html.find("a&lt;b&gt;.tap"), std::string::npos);
  EXPECT_EQ(count(html, "<pre"), 1u);
}

TEST(RenderHtml, GivesExactColoursAndWideCells) {
  Terminal t = fed(20, 1, "\x1b[38;2;18;52;86mT\x1b[0m\x1b[48;5;196mB\x1b[0m\x1b[7mR\x1b[0m\xe6\xbc\xa2");
  const std::string html = render_html(t, {});
  EXPECT_NE(html.find("color:#123456"), std::string::npos);
  EXPECT_NE(html.find("background:#ff0000"), std::string::npos);
  // Reverse video: default colours swapped.
  EXPECT_NE(html.find("color:#000000;background:#e5e5e5"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"w\">\xe6\xbc\xa2</span>"), std::string::npos);
}

TEST(RenderSvg, PlacesEveryGlyphOnItsCell) {
  Terminal t = fed(10, 2, "ab\xe6\xbc\xa2" "c\r\n\x1b[41m  \x1b[0m<");
  const std::string svg = render_svg(t, {});
  // a b at columns 0 and 1, the wide character at 2, c at 4 (after the two-cell glyph).
  EXPECT_NE(svg.find("<text x=\"0 9 18 36\" y=\"14\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<rect x=\"0\" y=\"18\" width=\"18\" height=\"18\" fill=\"#cd0000\"/>"),
            std::string::npos);
  EXPECT_NE(svg.find("&lt;"), std::string::npos);
  EXPECT_EQ(svg.find("<<"), std::string::npos);
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}

TEST(RenderJson, DescribesCellsCursorAndWriter) {
  Terminal t = fed(6, 2, "\x1b[1;38;5;208mA\x1b[0m\xe6\xbc\xa2\x1b]0;ti\"tle\x07\x1b[2;3H");
  RenderContext ctx;
  ctx.time_ns = 1'500'000'000;
  ctx.wall_ns = 1795435201500000000LL;
  ctx.utc_offset_s = 3600;
  ctx.writer = format::WriterChange{7, 0, 0, 1000, "bash"};
  const std::string json = render_json(t, ctx);
  EXPECT_NE(json.find("\"cols\":6,\"rows\":2"), std::string::npos);
  EXPECT_NE(json.find("\"time\":\"0:00:01.500\""), std::string::npos);
  EXPECT_NE(json.find("\"wall_time\":\"2026-11-23T13:00:01.500+01:00\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"cursor\":{\"row\":1,\"col\":2,\"visible\":true}"), std::string::npos);
  EXPECT_NE(json.find("\"title\":\"ti\\\"tle\""), std::string::npos);
  EXPECT_NE(json.find("\"writer\":{\"pid\":7,\"uid\":0,\"euid\":0,\"loginuid\":1000,\"comm\":\"bash\"}"),
            std::string::npos);
  EXPECT_NE(json.find("{\"t\":\"A\",\"w\":1,\"fg\":208,\"bold\":true}"), std::string::npos);
  EXPECT_NE(json.find("{\"t\":\"\xe6\xbc\xa2\",\"w\":2},{\"t\":\"\",\"w\":0}"), std::string::npos);
  EXPECT_NE(json.find("\"lines\":[\"A\xe6\xbc\xa2\",\"\"]"), std::string::npos);
  EXPECT_NE(json.find("\"alt_screen\":false"), std::string::npos);
}

TEST(Render, NeverPassesControlCharactersThrough) {
  // Whatever the model keeps in its cells, a renderer emits no C0/C1 control from it.
  Terminal t = fed(20, 2, "a\xc2\x9b" "31mb\x1b" "c");
  for (auto f : {RenderFormat::text, RenderFormat::html, RenderFormat::svg, RenderFormat::json}) {
    const std::string out = render(t, f, {});
    for (size_t i = 0; i < out.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(out[i]);
      EXPECT_TRUE(c >= 0x20 || c == '\n') << render_format_name(f) << " byte " << i;
      if (c == 0xc2 && i + 1 < out.size()) {
        const unsigned char d = static_cast<unsigned char>(out[i + 1]);
        EXPECT_FALSE(d >= 0x80 && d <= 0x9f) << render_format_name(f);
      }
    }
  }
}

}  // namespace
}  // namespace tap::replay
