// Rendered text export (Format::text) on hand-made streams and on the reference corpus (real
// vim, less, top and a shell): concrete lines, their order, alternate-screen content, repaints
// written once.
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "corpus_util.hpp"
#include "test_util.hpp"

namespace tap::convert::test {
namespace {

using format::Output;
using format::Resize;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string text_of(uint16_t cols, uint16_t rows, const std::vector<Event>& events) {
  std::vector<Event> all = {Event{0, Resize{cols, rows}}};
  all.insert(all.end(), events.begin(), events.end());
  return encode(Format::text, header(cols, rows), all);
}

// Index of the first line equal to `want` at or after `from`, or -1.
long find_line(const std::vector<std::string>& lines, const std::string& want, size_t from = 0) {
  for (size_t i = from; i < lines.size(); ++i)
    if (lines[i] == want) return static_cast<long>(i);
  return -1;
}

// Each of `want`, in this order (not necessarily adjacent).
void expect_in_order(const std::vector<std::string>& lines, const std::vector<std::string>& want) {
  size_t at = 0;
  for (const auto& w : want) {
    long i = find_line(lines, w, at);
    ASSERT_GE(i, 0) << "missing (after line " << at << "): '" << w << "'";
    at = static_cast<size_t>(i) + 1;
  }
}

size_t count_line(const std::vector<std::string>& lines, const std::string& want) {
  return static_cast<size_t>(std::count(lines.begin(), lines.end(), want));
}

TEST(TextExport, ALineEditedInPlaceIsWrittenAsEachVersionThatWasReplaced) {
  // readline: "sdo", two backspaces and an erase, then "udo reboot" (docs/tapgrep.md example 1).
  std::string t = text_of(40, 4,
                          {Event{1, Output{"$ "}}, Event{2, Output{"s"}}, Event{3, Output{"d"}}, Event{4, Output{"o"}},
                           Event{5, Output{"\b\b\x1b[K"}}, Event{6, Output{"udo reboot"}}, Event{7, Output{"\r\n"}},
                           Event{8, Output{"Connection to web1 closed.\r\n$ "}}});
  EXPECT_EQ(t, "$ sdo\n$ sudo reboot\nConnection to web1 closed.\n$\n");
}

TEST(TextExport, ASoftWrappedLineIsOneLine) {
  std::string t = text_of(10, 4, {Event{1, Output{"$ echo 0123456789abcdefghij\r\n"}},
                                  Event{2, Output{"0123456789abcdefghij\r\n$ "}}});
  EXPECT_EQ(t, "$ echo 0123456789abcdefghij\n0123456789abcdefghij\n$\n");
}

TEST(TextExport, AlternateScreenContentIsWrittenAndTheShellAfterIt) {
  std::string t = text_of(20, 4, {Event{1, Output{"$ vi f\r\n"}},
                                  Event{2, Output{"\x1b[?1049h\x1b[H\x1b[2Jhello\r\n~\r\n~\x1b[4;1H\"f\" 1L"}},
                                  Event{3, Output{"\x1b[1;1Hhello world"}},
                                  Event{4, Output{"\x1b[?1049l$ "}}});
  auto lines = split_lines(t);
  expect_in_order(lines, {"$ vi f", "hello world", "\"f\" 1L", "$"});
  // "hello" only grew into "hello world": written once, complete.
  EXPECT_EQ(count_line(lines, "hello"), 0u) << t;
  EXPECT_EQ(count_line(lines, "hello world"), 1u) << t;
}

TEST(TextExport, AFullScreenRepaintWithTheSameTextIsNotWrittenAgain) {
  std::vector<Event> ev;
  for (int i = 0; i < 5; ++i)
    ev.push_back(Event{1 + i, Output{"\x1b[H\x1b[2Jload 0.5\r\ntasks: 3\r\nstatus ok"}});
  ev.push_back(Event{10, Output{"\x1b[H\x1b[2Jload 0.7\r\ntasks: 3\r\nstatus ok"}});
  auto lines = split_lines(text_of(20, 4, ev));
  EXPECT_EQ(count_line(lines, "load 0.5"), 1u);
  EXPECT_EQ(count_line(lines, "load 0.7"), 1u);
  EXPECT_EQ(count_line(lines, "tasks: 3"), 1u);
}

TEST(TextExport, EveryScrolledLineIsWrittenEvenWhenRepeated) {
  std::string y;
  for (int i = 0; i < 100; ++i) y += "y\r\n";
  auto lines = split_lines(text_of(10, 5, {Event{1, Output{y}}}));
  EXPECT_EQ(count_line(lines, "y"), 100u);
}

// --- the reference corpus ---------------------------------------------------------------

std::vector<std::string> corpus_text(const std::string& name) {
  auto dec = open_corpus(name);
  if (!dec) return {};
  StringSink out;
  auto enc = make_encoder(Format::text, out);
  EXPECT_TRUE(enc.ok());
  Header h;
  h.info = dec->info();
  EXPECT_TRUE((*enc)->begin(h).ok());
  format::Nanos last = 0;
  for (;;) {
    auto e = dec->next();
    EXPECT_TRUE(e.ok()) << e.error().what();
    if (!e.ok() || *e == nullptr) break;
    EXPECT_TRUE((*enc)->event(**e).ok());
    last = (*e)->time;
  }
  EXPECT_TRUE((*enc)->end(last).ok());
  return split_lines(out.data);
}

// No line is written twice in a row: a repaint of the same text merges.
void expect_no_adjacent_repeats(const std::vector<std::string>& lines, const std::string& skip_prefix = "\x01") {
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].rfind(skip_prefix, 0) == 0) continue;
    EXPECT_NE(lines[i], lines[i - 1]) << "line " << i << " repeated";
  }
}

TEST(TextExportCorpus, VimShowsTheFileAsItsScreensShowedItThenTheShell) {
  auto lines = corpus_text("vim");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "alice@web01:~$ cp /usr/include/zstd.h demo.h && vim demo.h");
  // The alternate screen's content: the file before and after `:set number`, then the shell.
  expect_in_order(lines, {"alice@web01:~$ cp /usr/include/zstd.h demo.h && vim demo.h",
                          "#ifndef ZSTD_H_235446", "#define ZSTD_H_235446",
                          "  14 #ifndef ZSTD_H_235446", "  15 #define ZSTD_H_235446",
                          " 893 ZSTDLIB_API size_t ZSTD_DStreamInSize(void);    /*!< recommended size for input buffer */",
                          "alice@web01:~$ exit", "exit"});
  EXPECT_EQ(lines.back(), "exit");
}

TEST(TextExportCorpus, LessPagesTheLicenseInOrderOnce) {
  auto lines = corpus_text("less");
  ASSERT_FALSE(lines.empty());
  expect_in_order(lines, {"alice@web01:~$ less /usr/share/common-licenses/GPL-3",
                          "                    GNU GENERAL PUBLIC LICENSE",
                          "                       Version 3, 29 June 2007",
                          "                            Preamble",
                          "  The GNU General Public License is a free, copyleft license for",
                          "software and other kinds of works.",
                          "alice@web01:~$ exit"});
  EXPECT_EQ(count_line(lines, "  The GNU General Public License is a free, copyleft license for"), 1u);
  // less marks rows past the end of the file with "~", one per row: those repeat.
  expect_no_adjacent_repeats(lines, "~");
}

TEST(TextExportCorpus, TopWritesEachChangedHeaderOnceAndNotItsRepaints) {
  auto lines = corpus_text("top");
  ASSERT_FALSE(lines.empty());
  expect_in_order(lines, {"alice@web01:~$ top -d 0.5",
                          "top - 05:38:49 up 17 min,  1 user,  load average: 5.06, 4.12, 2.18",
                          "top - 05:38:50 up 17 min,  1 user,  load average: 5.06, 4.12, 2.18",
                          "top - 05:38:51 up 17 min,  1 user,  load average: 5.06, 4.12, 2.18",
                          "alice@web01:~$ exit"});
  // top repaints its whole screen twice a second; the header line changes once a second.
  EXPECT_EQ(count_line(lines, "top - 05:38:50 up 17 min,  1 user,  load average: 5.06, 4.12, 2.18"), 1u);
  size_t headers = 0;
  for (const auto& l : lines) headers += l.rfind("top - ", 0) == 0;
  EXPECT_GT(headers, 50u);
  EXPECT_LT(headers, 100u);
  // The memory lines hardly change: far fewer than the repaints.
  size_t swap = 0;
  for (const auto& l : lines) swap += l.rfind("MiB Swap:", 0) == 0;
  EXPECT_LT(swap, headers / 2);
  expect_no_adjacent_repeats(lines);
}

TEST(TextExportCorpus, ShellKeepsCommandsOutputAndTheReplWithWrappedLinesWhole) {
  auto lines = corpus_text("shell");
  ASSERT_FALSE(lines.empty());
  expect_in_order(lines, {"alice@web01:~$ ls --color=auto", "alice@web01:~$ ls -la --color=auto /usr/share/doc | head -60",
                          "total 3196", "alice@web01:~$ python3 -q", ">>> import json, math",
                          ">>> [math.sqrt(x) for x in range(12)]",
                          // 152 characters on a 120-column screen: one line, not two rows.
                          "[0.0, 1.0, 1.4142135623730951, 1.7320508075688772, 2.0, 2.23606797749979, 2.449489742783178, "
                          "2.6457513110645907, 2.8284271247461903, 3.0, 3.1622776601683795, 3.3166247903554]",
                          ">>> exit()"});
  // The progress bar redrawn in place: each state written once.
  EXPECT_EQ(count_line(lines, "[#####                                             ]   9%"), 1u);
  expect_no_adjacent_repeats(lines);
}

}  // namespace
}  // namespace tap::convert::test
