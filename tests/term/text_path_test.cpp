// Plain text in long runs is applied by tap::term itself instead of libvterm (docs/term.md
// §Throughput). The same bytes fed in short pieces never take that path: both must end in the
// same state (cells, cursor, hidden state, continuations) at every common cut.
#include <cstdio>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "corpus.hpp"
#include "tap/term/terminal.hpp"

namespace tap::term {
namespace {

// Where a write may be cut without changing what libvterm 0.1.4 makes of the bytes: before a
// control, or between two ASCII bytes with no byte >= 0x80 since the last control. libvterm picks a
// chunk's decoder by its first byte, so ASCII after UTF-8 in one chunk goes through the UTF-8
// decoder, not the GL charset; and it decodes a character split across writes differently.
std::vector<bool> safe_cuts(std::string_view bytes) {
  std::vector<bool> ok(bytes.size() + 1, false);
  bool chunk_high = false;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    const unsigned char prev = i > 0 ? static_cast<unsigned char>(bytes[i - 1]) : 0;
    if (c < 0x20 || c == 0x7F) {
      ok[i] = prev < 0x80;
    } else if (c < 0x80 && prev >= 0x20 && prev < 0x7F) {
      ok[i] = !chunk_high;
    }
    if (c < 0x20 || c == 0x7F)
      chunk_high = false;
    else if (c >= 0x80)
      chunk_high = true;  // until the next control: no cut in between
  }
  ok[bytes.size()] = true;
  return ok;
}

// Feeds `bytes` in pieces shorter than the shortest run the text path takes (48 bytes) where
// a cut is safe (above), so that plain text mostly goes through libvterm.
void feed_in_short_pieces(Terminal& t, std::string_view bytes, std::mt19937_64& rng) {
  const std::vector<bool> ok = safe_cuts(bytes);
  size_t at = 0;
  while (at < bytes.size()) {
    size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 40);
    while (!ok[at + n]) ++n;
    t.feed(bytes.substr(at, n));
    at += n;
  }
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A row's text built from its cells, as row_text() defines it: the model keeps the text of
// plain rows as bytes beside the cells, and the two must never disagree.
std::string text_from_cells(const Terminal& t, Buffer b, int row) {
  std::string out;
  size_t keep = 0;
  for (int c = 0; c < t.cols(); ++c) {
    const Cell& cell = t.cell(b, row, c);
    if (cell.width == 0) continue;
    if (cell.chars[0] == 0) {
      out += ' ';
      continue;
    }
    for (char32_t ch : cell.chars) {
      if (ch == 0) break;
      append_utf8(out, ch);
    }
    if (cell.chars[0] != U' ') keep = out.size();
  }
  out.resize(keep);
  return out;
}

// Blank cells at a row's end, counted from its cells.
int blanks_from_cells(const Terminal& t, Buffer b, int row) {
  int blanks = 0;
  for (int c = t.cols() - 1; c >= 0; --c, ++blanks) {
    const Cell& cell = t.cell(b, row, c);
    if (cell.width == 0 || (cell.chars[0] != 0 && !(cell.chars[0] == U' ' && cell.chars[1] == 0)))
      break;
  }
  return blanks;
}

// Compares the two terminals, and the continuation flags, which same_state also covers.
void expect_same(const Terminal& fast, const Terminal& slow, const std::string& where) {
  std::string why;
  ASSERT_TRUE(fast.same_state(slow, &why)) << where << ": " << why;
  for (const Terminal* t : {&fast, &slow})
    for (Buffer b : {Buffer::primary, Buffer::alternate})
      for (int r = 0; r < t->rows(); ++r) {
        ASSERT_EQ(t->row_text(b, r), text_from_cells(*t, b, r)) << where << " row " << r;
        ASSERT_EQ(t->trailing_blanks(b, r), blanks_from_cells(*t, b, r)) << where << " row " << r;
      }
  for (int r = 0; r < fast.rows(); ++r)
    ASSERT_EQ(fast.row_continues(Buffer::primary, r), slow.row_continues(Buffer::primary, r))
        << where << " row " << r;
}

// Every line scrolled out, with its pad. With `term` set (a terminal fed in short pieces,
// whose rows are in cells while they scroll out), each pad is also checked against the cells.
struct Recorder : LineSink {
  const Terminal* term = nullptr;
  std::vector<std::string> lines;
  int bad_pads = 0;
  void scrolled_out(Buffer b, int row, std::string_view text, int pad) override {
    lines.push_back(std::to_string(static_cast<int>(b)) + ":" + std::to_string(row) + ":" +
                    std::to_string(pad) + ":" + std::string(text));
    if (term == nullptr) return;
    if (blanks_from_cells(*term, b, row) != pad) ++bad_pads;
  }
};

class CorpusTextPath : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusTextPath, LongReadsEndAsShortReadsDo) {
  const test::CorpusSession s = test::load_corpus(GetParam());
  ASSERT_FALSE(s.reads.empty());
  std::mt19937_64 rng(7);
  Terminal fast(s.cols, s.rows), slow(s.cols, s.rows);
  Recorder fast_lines, slow_lines;
  slow_lines.term = &slow;
  fast.set_line_sink(&fast_lines);
  slow.set_line_sink(&slow_lines);
  // The reads joined and cut into writes of about 4 KiB (as the benchmark and a busy pty give
  // them), cut where a cut is safe.
  std::string all;
  for (const std::string& read : s.reads) all += read;
  const std::string_view bytes(all);
  const std::vector<bool> ok = safe_cuts(bytes);
  size_t at = 0, writes = 0;
  while (at < bytes.size()) {
    size_t n = std::min<size_t>(bytes.size() - at, 4096);
    while (!ok[at + n]) ++n;
    fast.feed(bytes.substr(at, n));
    feed_in_short_pieces(slow, bytes.substr(at, n), rng);
    at += n;
    expect_same(fast, slow, s.name + " after write " + std::to_string(++writes));
    if (HasFatalFailure()) return;
  }
  // The same lines left the screen, with the blanks after them.
  EXPECT_EQ(fast_lines.lines, slow_lines.lines);
  EXPECT_EQ(slow_lines.bad_pads, 0);
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusTextPath, ::testing::ValuesIn(test::corpus_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// Streams of text, CR, LF and the sequences that decide whether the text path may run. (Not
// DECLRMM margins: the text path does not run under them, and where libvterm 0.1.4 leaves a
// cursor outside them, whether a wrap is pending depends on where writes were cut.)
TEST(TextPath, GeneratedStreamsEndAsShortReadsDo) {
  std::mt19937_64 rng(11);
  const std::vector<std::string> tokens = {"\r\n",
                                           "\r",
                                           "\n",
                                           "\t",
                                           "\b",
                                           "\x1b[H",
                                           "\x1b[2J",
                                           "\x1b[K",
                                           "\x1b[1;31m",
                                           "\x1b[0m",
                                           "\x1b[44m",
                                           "\x1b[?7l",
                                           "\x1b[?7h",
                                           "\x1b[4h",
                                           "\x1b[4l",
                                           "\x1b[20h",
                                           "\x1b[20l",
                                           "\x1b[2;5r",
                                           "\x1b[r",
                                           "\x1b[?6h",
                                           "\x1b[?6l",
                                           "\x1b(0",
                                           "\x1b(B",
                                           "\x0e",
                                           "\x0f",
                                           "\x1b#6",
                                           "\x1b#3",
                                           "\x1b#5",
                                           "\x1b[3;4H",
                                           "\x1b[?1049h",
                                           "\x1b[?1049l",
                                           "\x1b"
                                           "7",
                                           "\x1b"
                                           "8",
                                           "\x1bN",
                                           "\x1b[2b",
                                           "\xe4\xb8\xad",
                                           "e\xcc\x81",
                                           "\x1b[1P",
                                           "\x1b[2@",
                                           "\x1b[L",
                                           "\x1b[M",
                                           "\x1b[S",
                                           "\x1b[T",
                                           "\x1b"
                                           "D",
                                           "\x1bM"};
  for (int stream = 0; stream < 600; ++stream) {
    const int cols = 4 + static_cast<int>(rng() % 30), rows = 2 + static_cast<int>(rng() % 8);
    std::string bytes;
    const int n = 20 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        bytes += tokens[rng() % tokens.size()];
      } else {
        const int len = static_cast<int>(rng() % 120);
        for (int j = 0; j < len; ++j) {
          const int pick = static_cast<int>(rng() % 20);
          bytes += pick == 0 ? '\n' : pick == 1 ? '\r' : static_cast<char>(0x20 + rng() % 95);
        }
      }
    }
    Terminal fast(cols, rows), slow(cols, rows);
    Recorder fast_lines, slow_lines;
    slow_lines.term = &slow;
    fast.set_line_sink(&fast_lines);
    slow.set_line_sink(&slow_lines);
    std::mt19937_64 cut(stream);
    fast.feed(bytes);
    feed_in_short_pieces(slow, bytes, cut);
    expect_same(fast, slow, "stream " + std::to_string(stream));
    if (!HasFatalFailure()) {
      EXPECT_EQ(fast_lines.lines, slow_lines.lines) << "stream " << stream;
      EXPECT_EQ(slow_lines.bad_pads, 0) << "stream " << stream;
    }
    if (HasFatalFailure()) {
      std::string shown;
      for (unsigned char c : bytes) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        shown += c >= 0x20 && c < 0x7F && c != '\\' ? std::string(1, static_cast<char>(c)) : hex;
      }
      ADD_FAILURE() << cols << "x" << rows << " " << shown;
      return;
    }
    // And both continue alike (the glyph, wrap and cursor state libvterm was given).
    const std::string more = "\x1b[2b\xcc\x81tail\r\nnext line that is long enough to wrap";
    fast.feed(more);
    slow.feed(more);
    expect_same(fast, slow, "stream " + std::to_string(stream) + " continued");
    if (HasFatalFailure()) return;
  }
}

// Two places where libvterm's result depends on what it is told in one write, each first found
// by the line comparison above: the text path must leave them to it.
TEST(TextPath, LeavesRepAtTheLastColumnAndCombiningMarksToLibvterm) {
  const std::string filler(60, 'x');
  const std::vector<std::string> cases = {
      // REP ending one column short of the edge sets libvterm's pending wrap: ';' goes below.
      "abcd,\x1b[2b;" + filler + "\r\n" + filler,
      // A combining mark joins the glyph before it only within one write.
      filler + "\r\n" + "0123456789e\xcc\x81" + filler + "\r\n"};
  for (const std::string& bytes : cases) {
    Terminal fast(4 + static_cast<int>(&bytes - cases.data()) * 7, 3), slow(fast.cols(), 3);
    Recorder fast_lines, slow_lines;
    slow_lines.term = &slow;
    fast.set_line_sink(&fast_lines);
    slow.set_line_sink(&slow_lines);
    fast.feed(bytes);
    std::mt19937_64 rng(5);
    feed_in_short_pieces(slow, bytes, rng);
    expect_same(fast, slow, "case");
    EXPECT_EQ(fast_lines.lines, slow_lines.lines);
    EXPECT_EQ(slow_lines.bad_pads, 0);
  }
}

TEST(TextPath, SendsScrolledLinesToTheSinkInOrder) {
  struct Lines : LineSink {
    void scrolled_out(Buffer, int, std::string_view text, int) override { texts.emplace_back(text); }
    std::vector<std::string> texts;
  };
  std::string bytes;
  for (int i = 0; i < 200; ++i) bytes += "line " + std::to_string(i) + "\r\n";
  Terminal fast(20, 5), slow(20, 5);
  Lines a, b;
  fast.set_line_sink(&a);
  slow.set_line_sink(&b);
  fast.feed(bytes);
  std::mt19937_64 rng(3);
  feed_in_short_pieces(slow, bytes, rng);
  ASSERT_EQ(a.texts.size(), 196u);
  EXPECT_EQ(a.texts, b.texts);
  EXPECT_EQ(a.texts.front(), "line 0");
  EXPECT_EQ(fast.scrolled_lines(), slow.scrolled_lines());
}

}  // namespace
}  // namespace tap::term
