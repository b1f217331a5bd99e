// tapplay on a real terminal: driven inside tmux with send-keys and signals, the terminal's
// settings (stty -a) must be the same after tapplay as before, whichever way it ended.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "require.hpp"
#include "sample_session.hpp"

namespace tap::replay {
namespace {

using namespace tap::replay::test;

class TapplayTty : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = scratch_dir("tty-" + name);
    socket_ = "tapplay-test-" + std::to_string(::getpid()) + "-" + name;
    write_session(dir_ / "sample.tap", sample_events());
  }
  void TearDown() override { run(tmux() + " kill-server"); }

  std::string tmux() const { return "tmux -L " + socket_ + " -f /dev/null"; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Starts a pane that records stty before and after running tapplay with `args`.
  void start(const std::string& args) {
    const std::string script =
        "stty -a > " + path("before") + "; sh -c 'echo $$ > " + path("pid.tmp") + "; mv " +
        path("pid.tmp") + " " + path("pid") + "; exec env XDG_CACHE_HOME=" + path("cache") + " " +
        tapplay_path() + " " + args + "'; echo $? > " + path("rc.tmp") + "; stty -a > " +
        path("after") + "; mv " + path("rc.tmp") + " " + path("rc") + "; sleep 60";
    write_file(dir_ / "pane.sh", script);
    auto r = run(tmux() + " new-session -d -x 100 -y 30 'sh " + path("pane.sh") + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(wait_for("pid")) << "tapplay did not start";
    // Give it time to enter raw mode.
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  bool wait_for(const std::string& name, int seconds = 15) {
    for (int i = 0; i < seconds * 20; ++i) {
      if (std::filesystem::exists(dir_ / name)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void keys(const std::string& k) { run(tmux() + " send-keys -t 0 " + k); }
  int exit_code() { return std::stoi(read_file(dir_ / "rc")); }
  std::string screen() { return run(tmux() + " capture-pane -p -t 0").out; }
  void expect_terminal_restored() {
    ASSERT_TRUE(wait_for("rc")) << "tapplay did not end";
    const std::string before = read_file(dir_ / "before"), after = read_file(dir_ / "after");
    EXPECT_FALSE(before.empty());
    EXPECT_EQ(before, after);
  }

  std::filesystem::path dir_;
  std::string socket_;
};

TEST_F(TapplayTty, QuitKeyRestoresTheTerminal) {
  TAP_REQUIRE_TOOL("tmux");
  start(path("sample.tap"));
  const std::string raw = run("stty -a -F $(" + tmux() + " display -p -t 0 '#{pane_tty}')").out;
  EXPECT_NE(raw.find("-icanon"), std::string::npos) << "tapplay did not put the terminal in raw mode";
  keys("q");
  expect_terminal_restored();
  EXPECT_EQ(exit_code(), 0);
}

TEST_F(TapplayTty, SignalRestoresTheTerminal) {
  TAP_REQUIRE_TOOL("tmux");
  start(path("sample.tap"));
  const pid_t pid = std::stoi(read_file(dir_ / "pid"));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  expect_terminal_restored();
  EXPECT_EQ(exit_code(), 128 + SIGTERM);
}

TEST_F(TapplayTty, CtrlCRestoresTheTerminal) {
  TAP_REQUIRE_TOOL("tmux");
  start(path("sample.tap"));
  keys("C-c");
  expect_terminal_restored();
  EXPECT_EQ(exit_code(), 0);
}

TEST_F(TapplayTty, SeeksWithArrowsAndMarksAndEndsRestored) {
  TAP_REQUIRE_TOOL("tmux");
  start(path("sample.tap"));
  keys("Space");  // pause at the start
  keys("Right");  // 10 s on: the end of the recording
  expect_terminal_restored();
  EXPECT_EQ(exit_code(), 0);
  const std::string shown = screen();
  EXPECT_NE(shown.find("bold red it-ul rev"), std::string::npos) << shown;
  EXPECT_NE(shown.find("exit"), std::string::npos) << shown;
}

TEST_F(TapplayTty, JumpsToTheNextMarkWhilePaused) {
  TAP_REQUIRE_TOOL("tmux");
  start(path("sample.tap"));
  keys("Space");
  for (int i = 0; i < 5; ++i) keys("']'");  // ... the prompt at 3.6 s ("# ")
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string shown = screen();
  EXPECT_NE(shown.find("sudo -i"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("editor"), std::string::npos) << shown;
  keys("'['");
  keys("q");
  expect_terminal_restored();
}

}  // namespace
}  // namespace tap::replay
