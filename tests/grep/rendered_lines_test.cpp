// Rendered lines: cases a raw-stream grep gets wrong and only a terminal model gets right.
#include "tap/term/rendered_lines.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace tap::term {
namespace {

using format::Nanos;
constexpr Nanos kS = 1'000'000'000;
constexpr Nanos kMs = 1'000'000;

struct Collect : LineConsumer {
  std::vector<std::pair<std::string, Nanos>> lines;
  void line(std::string_view text, Nanos time) override { lines.emplace_back(std::string(text), time); }
  int count(std::string_view needle) const {
    int n = 0;
    for (const auto& l : lines) n += l.first.find(needle) != std::string::npos;
    return n;
  }
  int count_exact(std::string_view text) const {
    int n = 0;
    for (const auto& l : lines) n += l.first == text;
    return n;
  }
  Nanos time_of(std::string_view text) const {
    for (const auto& l : lines) {
      if (l.first == text) return l.second;
    }
    return -1;
  }
  std::string dump() const {
    std::string s;
    for (const auto& l : lines) s += std::to_string(l.second / kMs) + "ms |" + l.first + "|\n";
    return s;
  }
};

// Feeds output events and keeps the raw bytes, to show what a raw grep would have seen.
struct Session {
  Collect out;
  RenderedLines lines{out};
  std::string raw;
  Nanos t = 0;
  void size(int cols, int rows) { lines.resize(t, cols, rows); }
  void put(Nanos at, std::string_view bytes) {
    t = at;
    raw += bytes;
    lines.output(at, bytes);
  }
  // Each byte in its own read, 10 ms apart, as typing echoes.
  void type(std::string_view keys) {
    for (char c : keys) put(t + 10 * kMs, std::string_view(&c, 1));
  }
  void end() { lines.finish(t + kS); }
};

// A segment that starts with a keyframe starts from the screen it holds: its rows are lines
// like any other (their text is read from the restored cells), and lines that scroll out
// after it carry on from there.
TEST(RenderedLines, StartsFromAKeyframesScreen) {
  term::Terminal t(20, 4);
  t.feed("first line\r\nsecond line\r\n\x1b[1mbold\x1b[m and plain");
  ASSERT_TRUE(t.keyframe_safe());
  Collect out;
  RenderedLines lines(out);
  ASSERT_TRUE(lines.restore(5 * kMs, t.save()));
  lines.output(6 * kMs, "\r\nfourth\r\nfifth\r\n");
  lines.finish(7 * kMs);
  const std::vector<std::pair<std::string, Nanos>> want = {
      {"first line", 5 * kMs}, {"second line", 5 * kMs}, {"bold and plain", 5 * kMs},
      {"fourth", 6 * kMs}, {"fifth", 6 * kMs}};
  EXPECT_EQ(out.lines, want);
}

TEST(RenderedLines, AReadlineLineEditedInPlaceIsFoundAsItWasShown) {
  Session s;
  s.size(60, 10);
  s.put(1 * kS, "$ ");
  s.type("iptbles -F");
  // Home, then Right twice... readline moves with \b; insert 'a' reprints the tail and backs up.
  s.put(3 * kS, "\b\b\b\b\b\b\b");
  s.put(4 * kS, "ables -F\b\b\b\b\b\b\b");
  // Home and insert "sudo  " (one space too many): readline redraws from the line start.
  s.put(5 * kS, "\r$ sudo  iptables -F\r$ sudo ");
  // Delete the extra space under the cursor: ESC[1P.
  s.put(6 * kS, "\x1b[1P");
  // End, type " --now", then Ctrl-U/K-style erase back: ESC[K after moving left.
  s.put(7 * kS, "iptables -F");
  s.type(" --now");
  s.put(8 * kS, "\b\b\b\b\b\b\x1b[K");
  s.put(9 * kS, "\r\n");
  s.put(10 * kS, "done\r\n$ ");
  s.end();

  ASSERT_EQ(s.raw.find("sudo iptables -F"), std::string::npos) << "the raw stream must not hold it";
  EXPECT_EQ(s.out.count_exact("$ sudo iptables -F"), 1) << s.out.dump();
  // Its time is when the row last changed: the ESC[K at 8 s.
  EXPECT_EQ(s.out.time_of("$ sudo iptables -F"), 8 * kS) << s.out.dump();
  // Typing into blank cells is growth, not overwriting: no prefixes of the command.
  EXPECT_EQ(s.out.count_exact("$ iptbl"), 0);
  EXPECT_EQ(s.out.count_exact("$ i"), 0);
  EXPECT_EQ(s.out.count_exact("done"), 1);
}

TEST(RenderedLines, BackspacedTypoShowsBothWhatWasShownAndTheFix) {
  Session s;
  s.size(40, 5);
  s.put(1 * kS, "$ ");
  s.type("sdo");
  s.put(2 * kS, "\b\b\x1b[K");
  s.type("udo");
  s.put(3 * kS, "\r\n");
  s.end();
  EXPECT_EQ(s.raw.find("sudo"), std::string::npos);
  EXPECT_EQ(s.out.count_exact("$ sdo"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("$ sudo"), 1) << s.out.dump();
  EXPECT_EQ(s.out.lines.size(), 2u) << s.out.dump();
}

TEST(RenderedLines, TextPaintedOutOfOrderIsOneLine) {
  Session s;
  s.size(40, 10);
  s.put(1 * kS, "$ vim\r\n");
  s.put(2 * kS, "\x1b[?1049h\x1b[H\x1b[2J");
  s.put(3 * kS, "\x1b[3;7Hworld");
  s.put(4 * kS, "\x1b[3;1Hhello ");
  s.put(5 * kS, "\x1b[10;1H:wq");
  s.put(6 * kS, "\x1b[?1049l");
  s.put(7 * kS, "$ ");
  s.end();
  ASSERT_EQ(s.raw.find("hello world"), std::string::npos);
  EXPECT_EQ(s.out.count_exact("hello world"), 1) << s.out.dump();
  EXPECT_EQ(s.out.time_of("hello world"), 4 * kS);
  EXPECT_EQ(s.out.count("world"), 1) << "a row that only grew is emitted once";
  EXPECT_EQ(s.out.count_exact("$ vim"), 1) << s.out.dump();
}

TEST(RenderedLines, LinesScrolledOutOfARegionAreEmittedOnceInOrder) {
  Session s;
  s.size(30, 6);
  s.put(1 * kS, "\x1b[6;1HSTATUS BAR\x1b[1;5r\x1b[1;1H");
  for (int i = 1; i <= 12; ++i) s.put((1 + i) * kS, "line " + std::to_string(i) + "\r\n");
  s.end();
  for (int i = 1; i <= 12; ++i) {
    const std::string text = "line " + std::to_string(i);
    EXPECT_EQ(s.out.count_exact(text), 1) << text << "\n" << s.out.dump();
    EXPECT_EQ(s.out.time_of(text), (1 + i) * kS) << text;
  }
  EXPECT_EQ(s.out.count_exact("STATUS BAR"), 1) << s.out.dump();
  // Scrolled-out lines come first, in order.
  ASSERT_GE(s.out.lines.size(), 8u);
  for (int i = 1; i <= 8; ++i) EXPECT_EQ(s.out.lines[i - 1].first, "line " + std::to_string(i));
}

TEST(RenderedLines, AlternateScreenContentIsFoundAtTheTimeItWasShown) {
  Session s;
  s.size(40, 6);
  s.put(1 * kS, "before\r\n");
  s.put(2 * kS, "\x1b[?1049h\x1b[H\x1b[2J");
  s.put(3 * kS, "\x1b[2;3HALT TEXT");
  s.put(4 * kS, "\x1b[?1049l");
  s.put(5 * kS, "after\r\n");
  s.end();
  EXPECT_EQ(s.out.count_exact("  ALT TEXT"), 1) << s.out.dump();
  EXPECT_EQ(s.out.time_of("  ALT TEXT"), 3 * kS);
  EXPECT_EQ(s.out.count_exact("before"), 1) << s.out.dump();
  EXPECT_EQ(s.out.time_of("before"), 1 * kS);
  EXPECT_EQ(s.out.count_exact("after"), 1) << s.out.dump();
  // ALT TEXT left the screen at 4 s, before "after" was written.
  size_t alt = 0, after = 0;
  for (size_t i = 0; i < s.out.lines.size(); ++i) {
    if (s.out.lines[i].first == "  ALT TEXT") alt = i;
    if (s.out.lines[i].first == "after") after = i;
  }
  EXPECT_LT(alt, after);
}

TEST(RenderedLines, RepaintsOfAnUnchangedRowAreNotRepeated) {
  Session s;
  s.size(40, 5);
  for (int i = 0; i < 10; ++i) {
    std::string header = "top - load 0." + std::to_string(i) + "\r\n  PID USER     COMMAND\r\n    1 root     init";
    if (i % 2 == 0) {
      s.put((1 + i) * kS, "\x1b[H\x1b[2J" + header);  // clear and redraw in one read
    } else {
      s.put((1 + i) * kS, "\x1b[H\x1b[2J");  // clear in one read, redraw in the next
      s.put((1 + i) * kS + 100 * kMs, header);
    }
  }
  s.end();
  EXPECT_EQ(s.out.count_exact("  PID USER     COMMAND"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("    1 root     init"), 1) << s.out.dump();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(s.out.count_exact("top - load 0." + std::to_string(i)), 1) << i << "\n" << s.out.dump();
  }
}

TEST(RenderedLines, WideCharactersAreWholeCharacters) {
  Session s;
  s.size(20, 4);
  s.put(1 * kS, "漢字テスト ok");
  s.put(2 * kS, "\x1b[1;5Hテ");  // repaint of the same wide character: no change
  s.put(3 * kS, "\r\n");
  s.put(4 * kS, "表示\x1b[1;1Hab");   // a narrow pair over a wide character: overwritten
  s.end();
  EXPECT_EQ(s.out.count_exact("漢字テスト ok"), 1) << s.out.dump();
  EXPECT_EQ(s.out.time_of("漢字テスト ok"), 1 * kS);
  EXPECT_EQ(s.out.count_exact("表示"), 1) << s.out.dump();
}

TEST(RenderedLines, AResizeEmitsTheScreenOnceWithoutDuplicates) {
  Session s;
  s.size(40, 5);
  s.put(1 * kS, "a fairly long line of text here\r\nshort\r\n");
  s.t = 2 * kS;
  s.size(10, 5);  // narrower: rows are cut
  s.put(3 * kS, "x");
  s.end();
  EXPECT_EQ(s.out.count_exact("a fairly long line of text here"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count("a fairly"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("short"), 1) << s.out.dump();
}

TEST(RenderedLines, AFloodEmitsEveryLineOnceWithItsTime) {
  Session s;
  s.size(80, 24);
  std::string chunk;
  int n = 0;
  for (int ev = 0; ev < 50; ++ev) {
    chunk.clear();
    for (int i = 0; i < 37; ++i) chunk += "output line number " + std::to_string(n++) + "\r\n";
    s.put((ev + 1) * kMs, chunk);
  }
  s.end();
  ASSERT_EQ(s.out.lines.size(), static_cast<size_t>(n)) << s.out.dump();
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(s.out.lines[i].first, "output line number " + std::to_string(i));
    EXPECT_EQ(s.out.lines[i].second, (i / 37 + 1) * kMs) << i;
  }
}

TEST(RenderedLines, OutputBeforeAnySizeUsesEightyByTwentyFour) {
  Session s;
  s.put(1 * kS, std::string(100, 'x') + "\r\n" + std::string(80, 'y') + "\r\nz");
  s.end();
  // 100 x wrap after 80 columns (one line); 80 y fill a row exactly and do not wrap.
  ASSERT_EQ(s.out.lines.size(), 3u) << s.out.dump();
  EXPECT_EQ(s.out.lines[0].first, std::string(100, 'x'));
  EXPECT_EQ(s.out.lines[1].first, std::string(80, 'y'));
  EXPECT_EQ(s.out.lines[2].first, "z");
}

// Soft-wrapped lines: a line longer than the screen is wide is one rendered line.

TEST(RenderedLines, ACommandTypedPastTheRightEdgeIsOneLine) {
  Session s;
  s.size(80, 24);
  const std::string prompt = "root@web1:/srv/deploy/releases/2026-11-23/current/config/firewall1# ";
  ASSERT_EQ(prompt.size(), 68u);
  s.put(1 * kS, prompt);
  s.type("iptables -F INPUT && iptables -P INPUT DROP");  // wraps after "iptab"
  const Nanos typed = s.t;
  s.put(10 * kS, "\r\n");
  s.put(11 * kS, "done\r\n" + prompt);
  s.end();
  const std::string line = prompt + "iptables -F INPUT && iptables -P INPUT DROP";
  EXPECT_EQ(s.out.count_exact(line), 1) << s.out.dump();
  // The time the line last changed: the last key typed, on the second row.
  EXPECT_EQ(s.out.time_of(line), typed) << s.out.dump();
  // Neither half is a line of its own.
  EXPECT_EQ(s.out.count("iptab"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count("P INPUT DROP"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("done"), 1) << s.out.dump();
}

TEST(RenderedLines, WrappedLinesScrolledOutInAFloodAreWhole) {
  Session s;
  s.size(80, 10);
  std::string chunk;
  std::vector<std::string> want;
  for (int i = 0; i < 60; ++i) {
    // 1 to 3 rows each; some exactly fill their last row.
    std::string l = "record " + std::to_string(i) + ":";
    l += std::string(static_cast<size_t>(i % 7 == 0 ? 160 - l.size() : 30 + (i * 37) % 180), 'a' + i % 26);
    want.push_back(l);
    chunk += l + "\r\n";
    if (i % 3 == 2) {  // three lines per read, cut anywhere
      s.put((i + 1) * kMs, chunk.substr(0, chunk.size() / 2));
      s.put((i + 1) * kMs + 1, chunk.substr(chunk.size() / 2));
      chunk.clear();
    }
  }
  s.end();
  ASSERT_EQ(s.out.lines.size(), want.size()) << s.out.dump();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(s.out.lines[i].first, want[i]) << i;
}

TEST(RenderedLines, ALineWhoseRowsScrollOutInDifferentReadsIsJoined) {
  Session s;
  s.size(20, 3);
  s.put(1 * kS, std::string(20, 'A') + "BBBB");  // row 0 wraps into row 1
  s.put(2 * kS, "\r\nx\r\n");                 // row 0 scrolls out; row 1 is now at the top
  s.put(3 * kS, "y\r\n");                      // and scrolls out in the next read
  s.end();
  ASSERT_GE(s.out.lines.size(), 1u) << s.out.dump();
  EXPECT_EQ(s.out.lines[0].first, std::string(20, 'A') + "BBBB") << s.out.dump();
  EXPECT_EQ(s.out.lines[0].second, 1 * kS);
  EXPECT_EQ(s.out.count("A"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("x"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("y"), 1) << s.out.dump();
}

TEST(RenderedLines, AWrappedLineIsWholeWhenClearedAtASwitchAndAtTheEnd) {
  Session s;
  s.size(20, 6);
  const std::string a = "cat /etc/shadow | grep root", b = "rm -rf /var/lib/docker/volumes";
  s.put(1 * kS, "$ " + a + "\r\n");
  s.put(2 * kS, "\x1b[H\x1b[2J");           // cleared: overwritten
  s.put(3 * kS, "$ " + b + "\r\n");
  s.put(4 * kS, "\x1b[?1049h\x1b[H" + std::string(30, 'v'));  // hidden by the alternate screen
  s.put(5 * kS, "\x1b[?1049l");
  s.put(6 * kS, "$ " + a);                    // on screen at the end
  s.end();
  EXPECT_EQ(s.out.count_exact("$ " + a), 2) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("$ " + b), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact(std::string(30, 'v')), 1) << s.out.dump();
  EXPECT_EQ(s.out.time_of("$ " + b), 3 * kS);
  EXPECT_EQ(s.out.lines.size(), 4u) << s.out.dump();
}

TEST(RenderedLines, ARowFilledToTheEdgeThenANewLineIsNotJoined) {
  Session s;
  s.size(10, 4);
  s.put(1 * kS, "0123456789\r\nnext\r\n");
  s.put(2 * kS, "0123456789");  // the cursor waits at the edge; CR LF is not a wrap
  s.put(3 * kS, "\r\nafter\r\n");
  s.end();
  EXPECT_EQ(s.out.count_exact("0123456789"), 2) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("next"), 1) << s.out.dump();
  EXPECT_EQ(s.out.count_exact("after"), 1) << s.out.dump();
}

}  // namespace
}  // namespace tap::term

// The reference corpus (real programs: shell, vim, top, htop, less, man, apt, builds, floods):
// reading rows lazily must give exactly the lines that reading every changed row gives.
#include <zstd.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "require.hpp"
#include "tap/convert/script_reader.hpp"

namespace tap::term {
namespace {

std::string unzstd_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string z = ss.str();
  std::string out;
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_inBuffer ib{z.data(), z.size(), 0};
  std::vector<char> buf(1 << 16);
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    if (ZSTD_isError(ZSTD_decompressStream(ds, &ob, &ib))) break;
    out.append(buf.data(), ob.pos);
  }
  ZSTD_freeDStream(ds);
  return out;
}

class Corpus : public ::testing::TestWithParam<const char*> {};

TEST_P(Corpus, LazyReadingGivesTheSameLinesAsReadingEveryRow) {
  const std::string base = test::source_dir() + "/tests/data/corpus/" + GetParam();
  auto dec = convert::open_script_buffers(unzstd_file(base + ".io.zst"), unzstd_file(base + ".tm.zst"));
  ASSERT_TRUE(dec.ok()) << dec.error().what();
  Collect lazy_out, eager_out;
  RenderedLines lazy(lazy_out, true), eager(eager_out, false);
  Nanos last = 0;
  size_t events = 0;
  while (true) {
    auto e = (*dec)->next();
    ASSERT_TRUE(e.ok()) << e.error().what();
    if (*e == nullptr) break;
    lazy.apply(**e);
    eager.apply(**e);
    last = (*e)->time;
    ++events;
  }
  lazy.finish(last);
  eager.finish(last);
  ASSERT_GT(events, 10u);
  ASSERT_FALSE(eager_out.lines.empty());
  if (const char* dump = std::getenv("TAPGREP_DUMP")) {
    std::ofstream(std::string(dump) + GetParam() + ".lazy") << lazy_out.dump();
    std::ofstream(std::string(dump) + GetParam() + ".eager") << eager_out.dump();
  }
  ASSERT_EQ(lazy_out.lines.size(), eager_out.lines.size());
  // The same texts, times and order.
  for (size_t i = 0; i < eager_out.lines.size(); ++i) {
    ASSERT_EQ(lazy_out.lines[i], eager_out.lines[i]) << "line " << i;
  }
}

// Streams rich in soft wraps (long lines, narrow screens, clears, overwrites, switches,
// resizes): reading rows lazily gives the same joined lines as reading every row. Their text is
// random: a row that reappears elsewhere with the same text is taken for the same row only by
// the full comparison, a difference real screens do not show (the corpus test).
TEST(RenderedLinesWrapped, LazyReadingGivesTheSameLinesOnGeneratedStreams) {
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&seed](uint32_t n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return static_cast<uint32_t>(seed % n);
  };
  const char* pieces[] = {"\r\n", "\r", "\b\b", "\x1b[K", "\x1b[H\x1b[2J", "\x1b[3;1H", "\x1b[?1049h",
                          "\x1b[?1049l", "\x1b[2;4r", "\x1b[r", "\x1b[L", "\x1b[M", "\n", "\x1b[5G"};
  size_t joined = 0;
  for (int stream = 0; stream < 300; ++stream) {
    Collect lazy_out, eager_out;
    RenderedLines lazy(lazy_out, true), eager(eager_out, false);
    const int cols = 8 + static_cast<int>(next(30)), rows = 2 + static_cast<int>(next(8));
    lazy.resize(0, cols, rows);
    eager.resize(0, cols, rows);
    std::string log = std::to_string(cols) + "x" + std::to_string(rows) + "\n";  // shown on failure
    Nanos t = 0;
    for (int ev = 0; ev < 60; ++ev) {
      t += kMs;
      if (next(40) == 0) {
        const int c = 8 + static_cast<int>(next(30)), r = 2 + static_cast<int>(next(8));
        lazy.resize(t, c, r);
        eager.resize(t, c, r);
        log += std::to_string(t / kMs) + "ms resize " + std::to_string(c) + "x" + std::to_string(r) + "\n";
        continue;
      }
      std::string bytes;
      for (int k = 1 + static_cast<int>(next(4)); k > 0; --k) {
        if (next(3) == 0) {
          bytes += pieces[next(sizeof pieces / sizeof pieces[0])];
        } else {
          // Random text: rows do not repeat, so that no row is taken for another that moved.
          static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
          for (uint32_t n = 1 + next(static_cast<uint32_t>(3 * cols)); n > 0; --n) bytes += kChars[next(62)];
        }
      }
      lazy.output(t, bytes);
      eager.output(t, bytes);
      log += std::to_string(t / kMs) + "ms ";
      for (char c : bytes) log += c == 0x1b ? std::string("\\e") : c == '\r' ? std::string("\\r") : c == '\n' ? std::string("\\n") : c == '\b' ? std::string("\\b") : std::string(1, c);
      log += "\n";
    }
    lazy.finish(t);
    eager.finish(t);
    ASSERT_EQ(lazy_out.lines, eager_out.lines) << "stream " << stream << "\n" << log << "lazy:\n"
                                               << lazy_out.dump() << "eager:\n" << eager_out.dump();
    for (const auto& l : eager_out.lines) joined += l.first.size() > static_cast<size_t>(cols);
  }
  EXPECT_GT(joined, 100u) << "the streams must wrap";
}

INSTANTIATE_TEST_SUITE_P(RenderedLines, Corpus,
                         ::testing::Values("apt", "build", "bulk", "htop", "less", "logs", "man", "shell",
                                           "top", "vim"));

}  // namespace
}  // namespace tap::term
