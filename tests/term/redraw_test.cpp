// The first frame of a part cut by time (convert/src/screen_redraw): drawn on a blank terminal
// of the same size, it must show what the original terminal showed, cell by cell.
#include <gtest/gtest.h>

#include <random>

#include "tap/term/redraw.hpp"

namespace tap::term {
namespace {


// Everything a redraw promises: size, shown buffer, cursor, title, the primary screen (and the
// alternate one when shown), each cell's characters and pen (blank cells only by their pen's
// background and reverse flag: a blank written as a space looks the same).
void expect_same_view(const Terminal& want, const Terminal& got, const std::string& what) {
  ASSERT_EQ(got.cols(), want.cols()) << what;
  ASSERT_EQ(got.rows(), want.rows()) << what;
  EXPECT_EQ(got.alt_screen(), want.alt_screen()) << what;
  EXPECT_EQ(got.cursor(), want.cursor()) << what;
  EXPECT_EQ(got.title(), want.title()) << what;
  for (auto b : {Buffer::primary, Buffer::alternate}) {
    if (b == Buffer::alternate && !want.alt_screen()) continue;
    for (int r = 0; r < want.rows(); ++r) {
      // The right half of a wide character whose left half was overwritten (insert and delete
      // can split one) shows as a blank, which row_text leaves out and the redraw writes.
      // A left half whose right half was overwritten covers the next cell in the redraw.
      bool orphan = false;
      for (int c = 0; c < want.cols(); ++c) {
        orphan |= want.cell(b, r, c).width == 0 && (c == 0 || want.cell(b, r, c - 1).width != 2);
        orphan |= want.cell(b, r, c).width == 2 && (c + 1 == want.cols() || want.cell(b, r, c + 1).width != 0);
      }
      if (!orphan) {
        ASSERT_EQ(got.row_text(b, r), want.row_text(b, r)) << what << ": buffer " << int(b) << " row " << r;
      }
      // A wrap into a row that has nothing to draw is not redrawn.
      bool next_drawn = false;
      for (int c = 0; r + 1 < want.rows() && c < want.cols(); ++c) {
        const auto& n = want.cell(b, r + 1, c);
        next_drawn |= !((n.chars[0] == 0 || (n.chars[0] == U' ' && n.chars[1] == 0)) && n.pen == term::Pen{});
      }
      EXPECT_EQ(got.row_continues(b, r), want.row_continues(b, r) && next_drawn) << what << ": row " << r << " wrap";
      for (int c = 0; c < want.cols(); ++c) {
        const auto& w = want.cell(b, r, c);
        const auto& g = got.cell(b, r, c);
        if (c > 0 && want.cell(b, r, c - 1).width == 2 && w.width != 0) continue;  // covered
        const bool blank = w.chars[0] == 0 || (w.chars[0] == U' ' && w.chars[1] == 0) ||
                           (w.width == 0 && (c == 0 || want.cell(b, r, c - 1).width != 2)) ||
                           (w.width == 2 && c + 1 == want.cols());
        if (blank) {
          EXPECT_EQ(g.pen.bg, w.pen.bg) << what << ": row " << r << " col " << c;
          EXPECT_EQ(g.pen.reverse, w.pen.reverse) << what << ": row " << r << " col " << c;
        } else {
          EXPECT_EQ(g.chars, w.chars) << what << ": row " << r << " col " << c;
          EXPECT_EQ(g.width, w.width) << what << ": row " << r << " col " << c;
          EXPECT_EQ(g.pen, w.pen) << what << ": row " << r << " col " << c;
        }
      }
    }
  }
}

void check(const Terminal& t, const std::string& what) {
  Terminal again(t.cols(), t.rows());
  again.feed(redraw_screen(t));
  expect_same_view(t, again, what);
}

TEST(ScreenRedraw, DrawsColoursWideCharactersWrappedRowsAndTheCursor) {
  Terminal t(20, 6);
  t.feed("\x1b]2;my title\x07\x1b[1;31mred\x1b[0m \x1b[38;5;200m256\x1b[48;2;1;2;3m rgb\x1b[0m\r\n"
         "wide \xe4\xb8\xad\xe6\x96\x87 e\xcc\x81 \xf0\x9f\x98\x80\r\n"
         "0123456789abcdefghijKLMNO\r\n"
         "\x1b[44m\x1b[K\x1b[0m\x1b[5;3H\x1b[4;7;9mx\x1b[0m\x1b[?25l");
  check(t, "mixed");
  EXPECT_TRUE(t.row_continues(Buffer::primary, 2));
}

TEST(ScreenRedraw, KeepsThePrimaryScreenUnderTheAlternateOne) {
  Terminal t(30, 8);
  t.feed("$ vim f\r\n\x1b[?1049h\x1b[H\x1b[2Jline one\r\n\x1b[7m-- INSERT --\x1b[0m\x1b[1;5H");
  check(t, "alt");
  Terminal again(30, 8);
  again.feed(redraw_screen(t));
  again.feed("\x1b[?1049l$ ");
  EXPECT_EQ(again.row_text(0), "$ vim f");
  EXPECT_EQ(again.row_text(1), "$");
}

TEST(ScreenRedraw, RandomScreensRedrawTheSame) {
  std::mt19937 rng(20261127);
  const char* pieces[] = {"hello ", "world", "\r\n", "\r", "\x1b[1m", "\x1b[0m", "\x1b[3;4m", "\x1b[32m",
                          "\x1b[101m", "\x1b[38;5;123m", "\x1b[48;2;10;20;30m", "\x1b[7m", "\x1b[9m", "\x1b[21m",
                          "\x1b[4:3m", "\x1b[11m", "\x1b[K", "\x1b[1K", "\x1b[2K", "\x1b[J", "\x1b[2J", "\x1b[H",
                          "\x1b[5;10H", "\x1b[2A", "\x1b[3C", "\t", "\b", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
                          "e\xcc\x81", "\xc3\xa9", "\x1b[?1049h", "\x1b[?1049l", "\x1b[?25l", "\x1b[?25h",
                          "\x1b[L", "\x1b[M", "\x1b[2P", "\x1b[3@", "\x1b[S", "\x1b[T", "\x1b]0;t\x07",
                          "\x1b[2;5r", "\x1b[r", "\n\n\n", "0123456789012345678901234567890123456789"};
  const int kPieces = sizeof pieces / sizeof pieces[0];
  for (int round = 0; round < 2000; ++round) {
    const int cols = 5 + static_cast<int>(rng() % 40), rows = 2 + static_cast<int>(rng() % 12);
    Terminal t(cols, rows);
    std::string fed;
    const int n = static_cast<int>(rng() % 80);
    for (int i = 0; i < n; ++i) fed += pieces[rng() % kPieces];
    t.feed(fed);
    // The scroll region is not redrawn (the API does not expose it): reset it, as the
    // tested promise is about what the screen shows.
    t.feed("\x1b[r");
    check(t, "round " + std::to_string(round));
    if (HasFailure()) {
      ADD_FAILURE() << cols << "x" << rows << " stream: " << ::testing::PrintToString(fed);
      return;
    }
  }
}

}  // namespace
}  // namespace tap::term
