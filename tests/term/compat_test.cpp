// Cross-check with an independent emulator: real programs run in tmux, their output bytes
// recorded with pipe-pane, fed to tap::term::Terminal and compared row by row with
// `tmux capture-pane -p`. Known differences are listed with reasons in
// tests/data/term/tmux-allowlist.txt; any other difference fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "require.hpp"
#include "tap/term/terminal.hpp"

namespace tap::term {
namespace {

constexpr int kCols = 120, kRows = 40;

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// "scenario row" pairs allowed to differ (row "*" for any), from the committed allowlist.
std::vector<std::pair<std::string, std::string>> allowlist() {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream in(test::source_dir() + "/tests/data/term/tmux-allowlist.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string scenario, row;
    f >> scenario >> row;
    out.emplace_back(scenario, row);
  }
  return out;
}

class Tmux {
 public:
  explicit Tmux(const std::string& name) {
    dir_ = std::filesystem::temp_directory_path() /
           ("tap-term-compat-" + std::to_string(getpid()) + "-" + name);
    std::filesystem::create_directories(dir_);
    socket_ = (dir_ / "sock").string();
    log_ = (dir_ / "out.bytes").string();
    // The shell starts after a pause, so pipe-pane is in place before its first byte.
    tmux("-f /dev/null new-session -d -s t -x " + std::to_string(kCols) + " -y " +
         std::to_string(kRows) +
         " \"sleep 0.5; exec env PS1='$ ' TERM=screen LC_ALL=C.UTF-8 bash --norc --noprofile\"");
    tmux("pipe-pane -o -t t 'cat >> " + log_ + "'");
    pause_ms(1200);
  }
  ~Tmux() {
    tmux("kill-server");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string tmux(const std::string& args) {
    return run("tmux -S " + socket_ + " " + args + " 2>/dev/null");
  }
  void keys(const std::string& k, int settle_ms = 700) {
    tmux("send-keys -t t " + k);
    pause_ms(settle_ms);
  }
  std::vector<std::string> capture() {
    std::vector<std::string> rows;
    std::istringstream in(tmux("capture-pane -p -t t"));
    std::string line;
    while (std::getline(in, line)) rows.push_back(line);
    rows.resize(kRows);
    return rows;
  }
  std::string bytes() {
    pause_ms(300);  // let cat write what tmux already drew
    return read_file(log_);
  }

 private:
  std::filesystem::path dir_;
  std::string socket_, log_;
};

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Compares every row; returns the rows tmux showed.
std::vector<std::string> compare(const std::string& scenario, const std::string& moment,
                                 Tmux& tmux) {
  const std::vector<std::string> expected = tmux.capture();
  int shown = 0;
  for (const std::string& row : expected) shown += !row.empty();
  EXPECT_GT(shown, 0) << scenario << "/" << moment << ": tmux showed an empty screen";
  const std::string bytes = tmux.bytes();
  EXPECT_FALSE(bytes.empty()) << scenario << ": pipe-pane recorded nothing";
  Terminal t(kCols, kRows);
  t.feed(bytes);
  const auto allowed = allowlist();
  for (int r = 0; r < kRows; ++r) {
    const std::string got = rtrim(t.row_text(r));
    const std::string want = rtrim(expected[r]);
    if (got == want) continue;
    bool ok = false;
    for (const auto& [s, row] : allowed)
      if (s == scenario + "/" + moment && (row == "*" || row == std::to_string(r))) ok = true;
    EXPECT_TRUE(ok) << scenario << "/" << moment << " row " << r << "\n  tmux:     \"" << want
                    << "\"\n  tap::term: \"" << got << "\"";
  }
  return expected;
}

bool has_row(const std::vector<std::string>& rows, const std::string& text) {
  for (const std::string& r : rows)
    if (r.find(text) != std::string::npos) return true;
  return false;
}

TEST(TmuxCompat, LongScrollMatches) {
  TAP_REQUIRE_TOOL("tmux");
  Tmux tmux("seq");
  tmux.keys("'seq 1 3000' Enter", 1200);
  EXPECT_TRUE(has_row(compare("seq", "end", tmux), "2999"));
  tmux.keys("'printf \"\\033[1;31mred\\033[0m \\344\\270\\255\\346\\226\\207 e\\314\\201\\n\"' Enter");
  compare("seq", "unicode", tmux);
}

TEST(TmuxCompat, VimMatches) {
  TAP_REQUIRE_TOOL("tmux");
  TAP_REQUIRE_TOOL("vim");
  Tmux tmux("vim");
  tmux.keys("'seq 1 200 > /tmp/tap-term-vim.txt; vim -u NONE -N /tmp/tap-term-vim.txt' Enter", 1500);
  compare("vim", "open", tmux);
  tmux.keys("'/150' Enter", 800);
  EXPECT_TRUE(has_row(compare("vim", "search", tmux), "150"));
  tmux.keys("':split' Enter", 800);
  compare("vim", "split", tmux);
  tmux.keys("':qa!' Enter", 800);
  compare("vim", "quit", tmux);
}

TEST(TmuxCompat, LessMatches) {
  TAP_REQUIRE_TOOL("tmux");
  TAP_REQUIRE_TOOL("less");
  Tmux tmux("less");
  tmux.keys("'seq 1 1000 | less' Enter", 1200);
  compare("less", "open", tmux);
  tmux.keys("Space Space", 800);
  EXPECT_TRUE(has_row(compare("less", "paged", tmux), "100"));
  tmux.keys("'G'", 800);
  compare("less", "end", tmux);
  tmux.keys("q", 800);
  compare("less", "quit", tmux);
}

TEST(TmuxCompat, TopMatches) {
  TAP_REQUIRE_TOOL("tmux");
  TAP_REQUIRE_TOOL("top");
  Tmux tmux("top");
  tmux.keys("'top -d 30' Enter", 1500);
  EXPECT_TRUE(has_row(compare("top", "running", tmux), "PID"));
  tmux.keys("q", 800);
  compare("top", "quit", tmux);
}

}  // namespace
}  // namespace tap::term
