// tap::term::Terminal on hand-written sequences, one feature per test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tap/term/terminal.hpp"

namespace tap::term {
namespace {

struct Lines : LineSink {
  void scrolled_out(Buffer, int row, std::string_view text, int) override {
    rows.push_back(row);
    texts.emplace_back(text);
  }
  std::vector<int> rows;
  std::vector<std::string> texts;
};

TEST(Terminal, PrintsTextAndMovesTheCursor) {
  Terminal t(20, 5);
  t.feed("hello\r\nworld");
  EXPECT_EQ(t.row_text(0), "hello");
  EXPECT_EQ(t.row_text(1), "world");
  EXPECT_EQ(t.cursor().row, 1);
  EXPECT_EQ(t.cursor().col, 5);
  t.feed("\x1b[3;4HX");
  EXPECT_EQ(t.row_text(2), "   X");
  EXPECT_EQ(t.cell(2, 3).chars[0], U'X');
  EXPECT_EQ(t.cell(2, 0).chars[0], U'\0');
}

TEST(Terminal, WrapsAndScrollsLinesOutThroughTheSink) {
  Terminal t(4, 3);
  Lines sink;
  t.set_line_sink(&sink);
  t.feed("abcdefgh\r\n1\r\n2\r\n3");
  EXPECT_EQ(t.row_text(0), "1");
  EXPECT_EQ(t.row_text(1), "2");
  EXPECT_EQ(t.row_text(2), "3");
  ASSERT_EQ(sink.texts.size(), 2u);
  EXPECT_EQ(sink.texts[0], "abcd");
  EXPECT_EQ(sink.texts[1], "efgh");
  EXPECT_EQ(t.scrolled_lines(), 2u);
}

TEST(Terminal, RowContinuesAfterAnAutowrapAndFollowsScrolling) {
  Terminal t(4, 3);
  t.feed("abcdefg");  // wraps once: "abcd" continues on "efg"
  EXPECT_TRUE(t.row_continues(Buffer::primary, 0));
  EXPECT_FALSE(t.row_continues(Buffer::primary, 1));
  t.feed("\r\nxy");  // a hard line break is not a continuation
  EXPECT_FALSE(t.row_continues(Buffer::primary, 1));
  t.feed("\r\n");   // scrolls: the wrapped pair moves up with its flag
  EXPECT_EQ(t.row_text(0), "efg");
  EXPECT_FALSE(t.row_continues(Buffer::primary, 0));
  t.feed("\x1b[H\x1b[2J1234567\r\n89");
  EXPECT_TRUE(t.row_continues(Buffer::primary, 0));
  t.feed("12345");  // wraps at the bottom row: the screen scrolls and the flag moves up
  EXPECT_EQ(t.row_text(0), "567");
  EXPECT_EQ(t.row_text(1), "8912");
  EXPECT_EQ(t.row_text(2), "345");
  EXPECT_TRUE(t.row_continues(Buffer::primary, 1));
  EXPECT_FALSE(t.row_continues(Buffer::primary, 0));  // "567" ended at a hard line break
  EXPECT_FALSE(t.row_continues(Buffer::primary, 2));  // the last row has no next row
  EXPECT_FALSE(t.row_continues(Buffer::primary, -1));
  EXPECT_FALSE(t.row_continues(Buffer::primary, 7));
}

TEST(Terminal, RowContinuationEndsWhenTheNextRowIsRedrawnOrErased) {
  Terminal t(4, 4);
  t.feed("abcdefgh");
  ASSERT_TRUE(t.row_continues(Buffer::primary, 0));
  t.feed("\x1b[2;1HX");  // row 1 rewritten from column 0 by cursor addressing
  EXPECT_FALSE(t.row_continues(Buffer::primary, 0));
  t.feed("\x1b[H\x1b[2Jabcdefgh");
  ASSERT_TRUE(t.row_continues(Buffer::primary, 0));
  t.feed("\x1b[2;3H\x1b[K");  // erasing the tail of row 1 keeps it a continuation
  EXPECT_TRUE(t.row_continues(Buffer::primary, 0));
  t.feed("\x1b[2K");  // erasing all of it does not
  EXPECT_FALSE(t.row_continues(Buffer::primary, 0));
  t.feed("\x1b[H\x1b[2Jabcdefgh");
  t.feed("\x1b[?7l\x1b[3;1Hijklmn");  // no autowrap: no continuation
  EXPECT_FALSE(t.row_continues(Buffer::primary, 2));
  t.resize(6, 4);  // no reflow: a new width ends every continuation
  EXPECT_FALSE(t.row_continues(Buffer::primary, 0));
}

TEST(Terminal, RowContinuesAfterAWideGlyphWrapsEarly) {
  Terminal t(5, 3);
  t.feed("abcd\xe4\xb8\xad");  // 中 does not fit in the last column: wraps
  EXPECT_EQ(t.cell(1, 0).chars[0], U'\u4e2d');
  EXPECT_TRUE(t.row_continues(Buffer::primary, 0));
  t.feed("\x1b[H\x1b[2Jabcd");
  t.feed("\xe4\xb8\xad");  // the same, in another write
  EXPECT_TRUE(t.row_continues(Buffer::primary, 0));
}

TEST(Terminal, RowContinuationIsKeptPerBuffer) {
  Terminal t(4, 3);
  t.feed("abcdef\x1b[?1049h");
  EXPECT_TRUE(t.row_continues(Buffer::primary, 0));
  EXPECT_FALSE(t.row_continues(Buffer::alternate, 0));
  t.feed("\x1b[H123456");
  EXPECT_TRUE(t.row_continues(Buffer::alternate, 0));
  EXPECT_FALSE(t.row_continues(Buffer::alternate, 1));
  t.feed("\x1b[?1049l");
  EXPECT_TRUE(t.row_continues(Buffer::primary, 0));
}

TEST(Terminal, KeepsWideAndCombiningCharacters) {
  Terminal t(10, 2);
  t.feed("\xe4\xb8\xad" "e\xcc\x81x");  // 中 (wide), e + U+0301, x
  EXPECT_EQ(t.cell(0, 0).width, 2);
  EXPECT_EQ(t.cell(0, 0).chars[0], U'\u4e2d');
  EXPECT_EQ(t.cell(0, 1).width, 0);
  EXPECT_EQ(t.cell(0, 2).chars[0], U'e');
  EXPECT_EQ(t.cell(0, 2).chars[1], U'\u0301');
  EXPECT_EQ(t.cell(0, 3).chars[0], U'x');
  EXPECT_EQ(t.row_text(0), "\xe4\xb8\xad" "e\xcc\x81x");
  EXPECT_EQ(t.cursor().col, 4);
}

TEST(Terminal, OverwritingHalfAWideCharacterBlanksTheOtherHalf) {
  Terminal t(10, 2);
  t.feed("\xe4\xb8\xad\xe4\xb8\xad\x1b[1;2Hx");
  EXPECT_EQ(t.cell(0, 0).chars[0], U'\0');
  EXPECT_EQ(t.cell(0, 0).width, 1);
  EXPECT_EQ(t.cell(0, 1).chars[0], U'x');
  EXPECT_EQ(t.cell(0, 2).width, 2);
}

TEST(Terminal, AlternateScreenKeepsBothBuffers) {
  Terminal t(10, 3);
  t.feed("primary");
  t.feed("\x1b[?1049h");
  EXPECT_TRUE(t.alt_screen());
  EXPECT_EQ(t.row_text(0), "");
  t.feed("\x1b[Halt");
  EXPECT_EQ(t.row_text(0), "alt");
  EXPECT_EQ(t.row_text(Buffer::primary, 0), "primary");
  t.feed("\x1b[?1049l");
  EXPECT_FALSE(t.alt_screen());
  EXPECT_EQ(t.row_text(0), "primary");
  EXPECT_EQ(t.row_text(Buffer::alternate, 0), "alt");
  EXPECT_EQ(t.cursor().col, 7);  // 1049 restores the cursor saved on entry
}

TEST(Terminal, TracksCursorVisibilityAndTitle) {
  Terminal t(10, 3);
  EXPECT_TRUE(t.cursor().visible);
  t.feed("\x1b[?25l\x1b]2;my title\x07");
  EXPECT_FALSE(t.cursor().visible);
  EXPECT_EQ(t.title(), "my title");
  t.feed("\x1b[?25h\x1b]0;other\x1b\\");
  EXPECT_TRUE(t.cursor().visible);
  EXPECT_EQ(t.title(), "other");
}

TEST(Terminal, AppliesThePen) {
  Terminal t(20, 2);
  t.feed("\x1b[1;3;4;7;31;42ma\x1b[0;38;5;200;48;2;1;2;3mb\x1b[9;21mc\x1b[0md");
  const Pen& a = t.cell(0, 0).pen;
  EXPECT_TRUE(a.bold);
  EXPECT_TRUE(a.italic);
  EXPECT_EQ(a.underline, 1);
  EXPECT_TRUE(a.reverse);
  EXPECT_EQ(a.fg.kind, Color::Kind::indexed);
  EXPECT_EQ(a.fg.index, 1);
  EXPECT_EQ(a.bg.index, 2);
  const Pen& b = t.cell(0, 1).pen;
  EXPECT_FALSE(b.bold);
  EXPECT_EQ(b.fg.index, 200);
  EXPECT_EQ(b.bg.kind, Color::Kind::rgb);
  EXPECT_EQ(b.bg.r, 1);
  EXPECT_EQ(b.bg.g, 2);
  EXPECT_EQ(b.bg.b, 3);
  const Pen& c = t.cell(0, 2).pen;
  EXPECT_TRUE(c.strike);
  EXPECT_EQ(c.underline, 2);
  EXPECT_EQ(t.cell(0, 3).pen, Pen{});
}

TEST(Terminal, DrawsDecLineDrawing) {
  Terminal t(10, 2);
  t.feed("\x1b(0lqk\x1b(Bq");
  EXPECT_EQ(t.row_text(0), "\xe2\x94\x8c\xe2\x94\x80\xe2\x94\x90q");
  t.feed("\r\n\x1b)0\x0eq\x0fq");  // G1 through SO, back with SI
  EXPECT_EQ(t.row_text(1), "\xe2\x94\x80q");
}

TEST(Terminal, ScrollsOnlyInsideTheScrollRegion) {
  Terminal t(10, 5);
  Lines sink;
  t.set_line_sink(&sink);
  t.feed("0\r\n1\r\n2\r\n3\r\n4");
  t.feed("\x1b[2;4r\x1b[4;1H\nX");
  EXPECT_EQ(t.row_text(0), "0");
  EXPECT_EQ(t.row_text(1), "2");
  EXPECT_EQ(t.row_text(2), "3");
  EXPECT_EQ(t.row_text(3), "X");
  EXPECT_EQ(t.row_text(4), "4");
  ASSERT_EQ(sink.texts.size(), 1u);
  EXPECT_EQ(sink.texts[0], "1");
  EXPECT_EQ(sink.rows[0], 1);
  t.feed("\x1b[2;1H\x1bMY");  // reverse index at the region's top scrolls it down
  EXPECT_EQ(t.row_text(1), "Y");
  EXPECT_EQ(t.row_text(2), "2");
  EXPECT_EQ(t.row_text(3), "3");
  EXPECT_EQ(t.row_text(4), "4");
}

TEST(Terminal, InsertsAndDeletesCharactersAndLines) {
  Terminal t(10, 4);
  t.feed("abcdef\x1b[1;2H\x1b[2@XY");
  EXPECT_EQ(t.row_text(0), "aXYbcdef");
  t.feed("\x1b[1;1H\x1b[3P");
  EXPECT_EQ(t.row_text(0), "bcdef");
  t.feed("\x1b[2;1Hline2\x1b[1;1H\x1b[L");
  EXPECT_EQ(t.row_text(0), "");
  EXPECT_EQ(t.row_text(1), "bcdef");
  EXPECT_EQ(t.row_text(2), "line2");
  t.feed("\x1b[M");
  EXPECT_EQ(t.row_text(0), "bcdef");
}

TEST(Terminal, ErasesWithTheBackgroundColour) {
  Terminal t(6, 2);
  t.feed("abcdef\x1b[1;3H\x1b[44m\x1b[K");
  EXPECT_EQ(t.row_text(0), "ab");
  EXPECT_EQ(t.cell(0, 4).pen.bg.index, 4);
  EXPECT_EQ(t.cell(0, 1).pen.bg.kind, Color::Kind::default_color);
  t.feed("\x1b[1;1H\x1b[1K");  // to the cursor, inclusive
  EXPECT_EQ(t.row_text(0), " b");
}

TEST(Terminal, ResizesKeepingTheCursorLine) {
  Terminal t(10, 5);
  t.feed("a\r\nb\r\nc\r\nd\r\ne");
  t.resize(6, 3);
  EXPECT_EQ(t.cols(), 6);
  EXPECT_EQ(t.rows(), 3);
  EXPECT_EQ(t.row_text(0), "c");
  EXPECT_EQ(t.row_text(2), "e");
  EXPECT_EQ(t.cursor().row, 2);
  t.resize(12, 6);
  EXPECT_EQ(t.row_text(0), "c");
  EXPECT_EQ(t.row_text(5), "");
  t.feed("\x1b[6;12HZ");
  EXPECT_EQ(t.row_text(5), "           Z");
}

TEST(Terminal, ClampsItsSize) {
  Terminal t(0, 100000);
  EXPECT_EQ(t.cols(), 1);
  EXPECT_EQ(t.rows(), 4096);
}

TEST(Terminal, FeedsLargeInputInPieces) {
  Terminal t(80, 24);
  std::string big(8 << 20, 'x');  // one write of 8 MiB would overflow libvterm's stack
  t.feed(big);
  EXPECT_EQ(t.row_text(22), std::string(80, 'x'));
  EXPECT_EQ(t.row_text(23), std::string((8 << 20) % 80, 'x'));
  EXPECT_GT(t.scrolled_lines(), 100000u);
}

TEST(Terminal, RowGenerationChangesWithContent) {
  Terminal t(10, 3);
  const uint64_t g0 = t.row_generation(Buffer::primary, 1);
  t.feed("\x1b[2;1Hx");
  const uint64_t g1 = t.row_generation(Buffer::primary, 1);
  EXPECT_NE(g0, g1);
  EXPECT_EQ(t.row_generation(Buffer::primary, 1), g1);
  t.feed("\x1b[3;1H\n");  // scrolls: row 1 now shows other content
  EXPECT_NE(t.row_generation(Buffer::primary, 1), g1);
}

TEST(Terminal, KeyframeSafeOnlyBetweenSequences) {
  Terminal t(10, 3);
  EXPECT_TRUE(t.keyframe_safe());
  t.feed("\x1b[3");
  EXPECT_FALSE(t.keyframe_safe());
  t.feed("1m");
  EXPECT_TRUE(t.keyframe_safe());
  t.feed("\xe4\xb8");
  EXPECT_FALSE(t.keyframe_safe());
  t.feed("\xad");  // the decoder for text that starts >= 0x80 completes the character
  EXPECT_TRUE(t.keyframe_safe());
  EXPECT_EQ(t.cell(0, 0).chars[0], U'\u4e2d');
  // Text that starts with ASCII goes to G0's own UTF-8 decoder: a character cut there stays
  // pending while later writes that start >= 0x80 go to the other decoder.
  t.feed("a\xe4");
  EXPECT_FALSE(t.keyframe_safe());
  t.feed("\xb8\xad");
  EXPECT_FALSE(t.keyframe_safe());
  t.feed("b");  // U+FFFD, then b
  EXPECT_TRUE(t.keyframe_safe());
  EXPECT_EQ(t.row_text(0), "\u4e2da\ufffd\ufffd\ufffdb");
  t.feed("\x1b]0;abc");
  EXPECT_FALSE(t.keyframe_safe());
  t.feed("\x07");
  EXPECT_TRUE(t.keyframe_safe());
  t.feed("\x1b[1;1H0123456789");  // pending wrap at the right edge
  EXPECT_FALSE(t.keyframe_safe());
  t.feed("\r");
  EXPECT_TRUE(t.keyframe_safe());
}

}  // namespace
}  // namespace tap::term

namespace tap::term {
namespace {

// libvterm 0.1.4 crashes on a CSI sequence with more than 16 arguments; the model cancels it.
TEST(Terminal, DropsARepeatWithNothingToRepeat) {
  // libvterm 0.1.4 loops forever on REP before any glyph of non-zero width.
  Terminal t(10, 2);
  t.feed("\x1b[2b");
  t.feed("\xcc\x81\x1b[3b");  // a lone combining mark has width 0
  EXPECT_EQ(t.cursor().col, 0);
  t.feed("ab\x1b[3b");  // with a glyph, REP repeats it
  EXPECT_EQ(t.row_text(0), "abbbb");
}

TEST(Terminal, SurvivesAnEscapeInsideAStringThenTooManyArguments) {
  // libvterm ends an OSC at ESC + any byte and starts a sequence there: the CSI that follows
  // must be cancelled at its 17th argument like any other.
  Terminal t(20, 4);
  t.feed("\x1b]0;title\x1b\n[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17mok");
  EXPECT_EQ(t.row_text(1), "ok");  // the line feed after ESC was carried out
}

TEST(Terminal, KeepsGlyphsLibvtermDecodesPastUnicodeRestorably) {
  Terminal t(10, 3);
  t.feed("\xf8\x88\x80\x80\x80x\xc2\x81y");  // a 5-byte form; U+0081 (width -1 to libvterm)
  EXPECT_EQ(t.cell(0, 0).chars[0], U'\uFFFD');
  auto r = Terminal::restore(t.save());
  ASSERT_TRUE(r.ok()) << r.error().what();
  std::string why;
  EXPECT_TRUE(t.same_state(*r, &why)) << why;
}

TEST(Terminal, SurvivesAResizeThatLeavesTheScrollRegionBelowTheScreen) {
  // libvterm 0.1.4 would scroll a negative number of rows on the next line feed (a crash).
  Terminal t(10, 9);
  t.feed("\x1b[5r\x1b[9;3H");
  t.resize(1, 1);
  t.feed("\nx\n");
  EXPECT_EQ(t.cursor().row, 0);
  t.resize(6, 4);
  t.feed("ab\r\ncd\r\nef\r\ngh\r\nij");
  EXPECT_EQ(t.row_text(3), "ij");
  EXPECT_EQ(t.row_text(0), "cd");
}

TEST(Terminal, SurvivesACsiSequenceWithTooManyArguments) {
  Terminal t(20, 3);
  t.feed("a\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20mb");
  t.feed("\x1b[1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18");
  EXPECT_FALSE(t.keyframe_safe());
  t.feed(";19;20Hc\x1b[;;;;;;;;;;;;;;;;;;;;;;;;;;;;\x1b[1md");
  EXPECT_EQ(t.row_text(0), "abcd");
  EXPECT_TRUE(t.cell(0, 3).pen.bold);
  EXPECT_FALSE(t.cell(0, 1).pen.bold);
  EXPECT_TRUE(t.keyframe_safe());
}

}  // namespace
}  // namespace tap::term
