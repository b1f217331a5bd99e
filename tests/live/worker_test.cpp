#include <gtest/gtest.h>

#include <filesystem>

#include "tap/format/session_writer.hpp"
#include "tap/worker/term_worker.hpp"

namespace tap::worker {
namespace {

TEST(TermWorker, KeyframesRestoreToTheSameTerminal) {
  term::KeyframeRule rule;
  rule.output_bytes = 4096;
  SessionScreen s(80, 24, rule);
  std::optional<format::Keyframe> kf;
  uint64_t seq = 0;
  for (int i = 0; i < 2000 && !kf; ++i)
    kf = s.output(seq++, "\x1b[1;32mline " + std::to_string(i) + "\x1b[0m\r\n");
  ASSERT_TRUE(kf.has_value());
  EXPECT_EQ(kf->event_seq, seq);
  auto restored = term::Terminal::restore(kf->state);
  ASSERT_TRUE(restored.ok()) << restored.error().what();
  std::string why;
  EXPECT_TRUE(restored->same_state(s.terminal(), &why)) << why;
}

TEST(TermWorker, AnUnsizedPtyKeepsTheScreenSize) {
  SessionScreen s(80, 24, term::KeyframeRule{});
  (void)s.resize(0, 0, 0);
  EXPECT_EQ(s.terminal().cols(), 80);
  EXPECT_EQ(s.terminal().rows(), 24);
  (void)s.resize(1, 100, 30);
  EXPECT_EQ(s.terminal().cols(), 100);
  EXPECT_EQ(s.terminal().rows(), 30);
}

TEST(TermWorker, ScreenCarriesTextStylesAndCursor) {
  term::Terminal t(10, 3);
  t.feed("ab\x1b[31mcd\x1b[0m\r\n\xe4\xb8\xadx");
  live::Screen s = screen_of(t);
  ASSERT_EQ(s.rows, 3);
  EXPECT_EQ(s.line_text(0), "abcd");
  EXPECT_EQ(s.line_text(1), "\xe4\xb8\xadx");
  EXPECT_EQ(s.cursor_row, 1);
  EXPECT_EQ(s.cursor_col, 3);
  ASSERT_GE(s.lines[0].size(), 2u);
  EXPECT_EQ(s.lines[0][1].style.fg.index, 1);
  size_t cells = 0;
  for (const auto& span : s.lines[1]) cells += span.cells;
  EXPECT_EQ(cells, 10u);  // the wide character covers two of them
}

TEST(TermWorker, RebuildsAScreenFromARecording) {
  auto path = std::filesystem::temp_directory_path() /
              ("tap-worker-test-" + std::to_string(::getpid()) + ".tap");
  std::filesystem::remove(path);
  format::SessionInfo info;
  info.pty_index = 1;
  info.host_name = "test";
  info.recorder = "tap_worker_test";
  info.start_wall_ns = 1'700'000'000'000'000'000;
  auto w = format::SessionWriter::create(path, info);
  ASSERT_TRUE(w.ok()) << w.error().what();
  term::Terminal direct(40, 10);
  ASSERT_TRUE((*w)->append(format::Event{0, format::Resize{40, 10}}).ok());
  for (int i = 0; i < 50; ++i) {
    std::string bytes = "row " + std::to_string(i) + "\r\n";
    direct.feed(bytes);
    ASSERT_TRUE((*w)->append(format::Event{i + 1, format::Output{bytes}}).ok());
  }
  ASSERT_TRUE((*w)->flush().ok());
  uint64_t until = (*w)->next_seq();
  auto t = rebuild_from_file(path, until, 0);
  ASSERT_TRUE(t.ok()) << t.error().what();
  for (int r = 0; r < 10; ++r) EXPECT_EQ(t->row_text(r), direct.row_text(r)) << r;
  // Events that never reach the file are an error, not a wrong screen.
  auto late = rebuild_from_file(path, until + 5, 0);
  EXPECT_FALSE(late.ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tap::worker
