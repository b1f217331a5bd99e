// The live service in a real taprec recording real tmux panes opened by real users.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "require.hpp"
#include "tap/format/session_reader.hpp"

namespace {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out;
};

Run sh(const std::string& cmd) {
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string trim_trailing_blank_lines(std::string s) {
  while (s.size() >= 2 && s.ends_with("\n\n")) s.pop_back();
  return s;
}

template <typename F>
bool wait_for(F pred, int ms = 10000) {
  for (int i = 0; i < ms / 50; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

class LiveBpf : public ::testing::Test {
 protected:
  void SetUp() override {
    TAP_REQUIRE_BPF();
    TAP_REQUIRE_TOOL("tmux");
    TAP_REQUIRE_TOOL("runuser");
    bin_ = tap::test::binary_dir() + "/bin/";
    char tmpl[] = "/tmp/tap-live-bpf-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    sock_ = dir_ + "/run/taprec.sock";
    tmux_ = "tmux -L taplive" + std::to_string(::getpid()) + " -f /dev/null ";
    for (const char* u : {"tapuser1", "tapuser2"})
      sh(std::string("id -u ") + u + " >/dev/null 2>&1 || useradd -M -s /bin/bash " + u);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string pin = "/sys/fs/bpf/taplive" + std::to_string(::getppid());
      std::string log = dir_ + "/taprec.log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl((bin_ + "taprec").c_str(), "taprec", "--foreground", "--spool",
              (dir_ + "/spool").c_str(), "--socket", sock_.c_str(), "--key-dir",
              (dir_ + "/keys").c_str(), "--pin-dir", pin.c_str(), "--stats-interval", "3600",
              nullptr);
      _exit(127);
    }
    ASSERT_TRUE(wait_for([&] { return fs::exists(sock_); })) << log();
  }
  void TearDown() override {
    if (!dir_.empty()) {
      sh(tmux_ + "kill-server 2>/dev/null");
      for (const char* u : {"tapuser1", "tapuser2"})
        sh(std::string("runuser -u ") + u + " -- " + tmux_ + "kill-server 2>/dev/null");
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      sh("rm -rf /sys/fs/bpf/taplive" + std::to_string(::getpid()));
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string log() {
    std::ifstream in(dir_ + "/taprec.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string tap(const std::string& args, const std::string& user = "") {
    std::string cmd = bin_ + "tap --socket " + sock_ + " " + args + " 2>&1";
    if (!user.empty()) cmd = "runuser -u " + user + " -- " + cmd;
    return sh(cmd).out;
  }
  int tap_status(const std::string& args, const std::string& user = "") {
    std::string cmd = bin_ + "tap --socket " + sock_ + " " + args + " >/dev/null 2>&1";
    if (!user.empty()) cmd = "runuser -u " + user + " -- " + cmd;
    return sh(cmd).status;
  }
  // A tmux pane as `user` (empty: root); returns its pty index.
  int open_pane(const std::string& user, const std::string& name) {
    std::string pre = user.empty() ? "" : "runuser -u " + user + " -- ";
    sh(pre + tmux_ + "new-session -d -s " + name + " -x 80 -y 24 'bash --norc --noprofile'");
    std::string tty = sh(pre + tmux_ + "display -p -t " + name + " '#{pane_tty}'").out;
    if (tty.rfind("/dev/pts/", 0) != 0) return -1;
    int pty = std::stoi(tty.substr(9));
    // Recorded once taprec lists it.
    wait_for([&] { return tap("list").find("pty=" + pad(pty) + " ") != std::string::npos; });
    return pty;
  }
  void keys(const std::string& user, const std::string& name, const std::string& text) {
    std::string pre = user.empty() ? "" : "runuser -u " + user + " -- ";
    sh(pre + tmux_ + "send-keys -t " + name + " '" + text + "' Enter");
  }
  std::string capture(const std::string& user, const std::string& name) {
    std::string pre = user.empty() ? "" : "runuser -u " + user + " -- ";
    return sh(pre + tmux_ + "capture-pane -p -t " + name).out;
  }
  static std::string pad(int pty) {
    std::string s = std::to_string(pty);
    return s.size() < 2 ? " " + s : s;
  }

  std::string bin_, dir_, sock_, tmux_;
  pid_t pid_ = -1;
};

TEST_F(LiveBpf, EachUserSeesExactlyTheirOwnSessionsAndRootSeesAll) {
  int p1 = open_pane("tapuser1", "u1");
  int p2 = open_pane("tapuser2", "u2");
  ASSERT_GE(p1, 0);
  ASSERT_GE(p2, 0);
  ASSERT_TRUE(wait_for([&] {
    std::string l = tap("list");
    return l.find("pty=" + pad(p1) + " user=tapuser1") != std::string::npos &&
           l.find("pty=" + pad(p2) + " user=tapuser2") != std::string::npos;
  })) << tap("list") << log();
  std::string l1 = tap("list", "tapuser1");
  EXPECT_NE(l1.find("1 active session(s)"), std::string::npos) << l1;
  EXPECT_NE(l1.find("pty=" + pad(p1) + " "), std::string::npos) << l1;
  EXPECT_EQ(l1.find("file="), std::string::npos) << l1;
  std::string l2 = tap("list", "tapuser2");
  EXPECT_NE(l2.find("1 active session(s)"), std::string::npos) << l2;
  EXPECT_NE(l2.find("pty=" + pad(p2) + " "), std::string::npos) << l2;
  EXPECT_NE(tap("list").find("file="), std::string::npos);

  // Forbidden and missing read the same, byte for byte once the index is the same.
  int missing = 4000;
  std::string forbidden = tap("snapshot " + std::to_string(p1), "tapuser2");
  std::string absent = tap("snapshot " + std::to_string(missing), "tapuser2");
  std::string f2 = forbidden;
  f2.replace(f2.find(std::to_string(p1) + "\n"), std::to_string(p1).size(),
             std::to_string(missing));
  EXPECT_EQ(f2, absent);
  EXPECT_EQ(absent, "tap: error: no active session with pty_index=4000\n");
  EXPECT_EQ(tap_status("snapshot " + std::to_string(p1), "tapuser2"),
            tap_status("snapshot " + std::to_string(missing), "tapuser2"));
  EXPECT_EQ(tap_status("watch " + std::to_string(p1), "tapuser2"),
            tap_status("watch " + std::to_string(missing), "tapuser2"));
}

TEST_F(LiveBpf, SudoInsideKeepsTheSessionWithItsOpener) {
  TAP_REQUIRE_TOOL("sudo");
  std::string rule = "/etc/sudoers.d/tap-live-test";
  { std::ofstream(rule) << "tapuser1 ALL=(ALL) NOPASSWD: ALL\n"; }
  ::chmod(rule.c_str(), 0440);
  int p1 = open_pane("tapuser1", "s1");
  ASSERT_GE(p1, 0);
  keys("tapuser1", "s1", "sudo -s");
  keys("tapuser1", "s1", "id -u");
  bool writer_root = wait_for([&] {
    return tap("list").find("opener=tapuser1") != std::string::npos;
  });
  std::string l1 = tap("list", "tapuser1");
  std::string l2 = tap("list", "tapuser2");
  fs::remove(rule);
  EXPECT_TRUE(writer_root) << tap("list");
  EXPECT_NE(l1.find("pty=" + pad(p1) + " "), std::string::npos) << l1;
  EXPECT_EQ(l2.find("pty=" + pad(p1) + " "), std::string::npos) << l2;
  EXPECT_EQ(tap_status("snapshot " + std::to_string(p1), "tapuser1"), 0);
}

TEST_F(LiveBpf, SnapshotEqualsCapturePaneAndTheRecordingAtEnd) {
  int p = open_pane("", "r");
  ASSERT_GE(p, 0);
  keys("", "r", "printf \"\\033[1;31mred\\033[0m plain\\n\"; seq 1 30; echo fin");
  ASSERT_TRUE(wait_for([&] { return capture("", "r").find("fin\n") != std::string::npos; }));
  // The recorder flushes within a second; the screen is then stable.
  std::string snap, cap;
  ASSERT_TRUE(wait_for([&] {
    snap = tap("snapshot " + std::to_string(p) + " --no-frame");
    cap = capture("", "r");
    return trim_trailing_blank_lines(snap) == trim_trailing_blank_lines(cap);
  })) << snap << "----\n" << cap;
  std::string file;
  for (auto& e : fs::recursive_directory_iterator(dir_ + "/spool"))
    if (e.path().string().find("-pts" + std::to_string(p) + "-") != std::string::npos)
      file = e.path();
  ASSERT_FALSE(file.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::string at_end = sh(bin_ + "tapplay " + file + " --at end --format text 2>/dev/null").out;
  EXPECT_EQ(trim_trailing_blank_lines(at_end), trim_trailing_blank_lines(snap));
}

TEST_F(LiveBpf, WatchStreamsTheRecordedOutputAfterItsFirstFrame) {
  int p = open_pane("", "w");
  ASSERT_GE(p, 0);
  std::string out = dir_ + "/watch.jsonl";
  std::string cmd = bin_ + "tap --socket " + sock_ + " watch " + std::to_string(p) +
                    " --json > " + out + " 2>&1 &";
  sh(cmd);
  ASSERT_TRUE(wait_for([&] { return fs::exists(out) && fs::file_size(out) > 0; }));
  keys("", "w", "seq 1 2000");
  keys("", "w", "exit");
  ASSERT_TRUE(wait_for([&] {
    std::ifstream in(out);
    std::string s((std::istreambuf_iterator<char>(in)), {});
    return s.find("{\"type\":\"end\"") != std::string::npos;
  }));
  std::ifstream in(out);
  std::string line, watched;
  uint64_t next_seq = 0;
  while (std::getline(in, line)) {
    if (line.rfind("{\"type\":\"start\"", 0) == 0) {
      next_seq = std::stoull(line.substr(line.find("\"next_seq\":") + 11));
    } else if (line.rfind("{\"type\":\"output\"", 0) == 0) {
      // Decode the JSON string body (only \", \\, \n, \r, \t, \uXXXX appear).
      std::string body = line.substr(25, line.size() - 27);
      for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') { watched += body[i]; continue; }
        char c = body[++i];
        if (c == 'n') watched += '\n';
        else if (c == 'r') watched += '\r';
        else if (c == 't') watched += '\t';
        else if (c == 'u') { watched += static_cast<char>(std::stoi(body.substr(i + 1, 4), nullptr, 16)); i += 4; }
        else watched += c;
      }
    }
  }
  std::string file;
  for (auto& e : fs::recursive_directory_iterator(dir_ + "/spool"))
    if (e.path().string().find("-pts" + std::to_string(p) + "-") != std::string::npos)
      file = e.path();
  ASSERT_TRUE(wait_for([&] {
    auto r = tap::format::SessionReader::open(file);
    return r.ok() && (*r)->status().complete;
  }));
  auto reader = tap::format::SessionReader::open(file);
  ASSERT_TRUE(reader.ok());
  std::string recorded;
  for (;;) {
    uint64_t seq = (*reader)->next_seq();
    auto ev = (*reader)->next();
    ASSERT_TRUE(ev.ok());
    if (*ev == nullptr) break;
    if (seq < next_seq) continue;
    if (auto* o = (*ev)->get<tap::format::Output>()) recorded += o->data;
  }
  EXPECT_GT(recorded.size(), 8000u);
  EXPECT_EQ(watched, recorded);
}

TEST_F(LiveBpf, AKilledWorkerIsRestartedAndRebuildsFromTheFile) {
  int p = open_pane("", "k");
  ASSERT_GE(p, 0);
  keys("", "k", "seq 1 400000; echo fin");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string pid = sh("pgrep -P " + std::to_string(pid_) + " taprec-worker").out;
  ASSERT_FALSE(pid.empty());
  sh("kill -9 " + pid);
  ASSERT_TRUE(wait_for([&] { return capture("", "k").find("fin\n") != std::string::npos; }, 60000));
  std::string snap, cap;
  ASSERT_TRUE(wait_for([&] {
    snap = tap("snapshot " + std::to_string(p) + " --no-frame");
    cap = capture("", "k");
    return trim_trailing_blank_lines(snap) == trim_trailing_blank_lines(cap);
  }, 20000)) << snap << "----\n" << cap << log();
  std::string pid2 = sh("pgrep -P " + std::to_string(pid_) + " taprec-worker").out;
  EXPECT_FALSE(pid2.empty());
  EXPECT_NE(pid, pid2);
}

TEST_F(LiveBpf, AStalledWorkerSuspendsKeyframesAndResumes) {
  int p = open_pane("", "st");
  ASSERT_GE(p, 0);
  std::string pid = sh("pgrep -P " + std::to_string(pid_) + " taprec-worker").out;
  ASSERT_FALSE(pid.empty());
  sh("kill -STOP " + pid);
  // More than 64 MiB while the worker sleeps.
  keys("", "st", "seq 1 11000000 >/dev/tty; echo fin");
  bool done = wait_for([&] { return capture("", "st").find("fin\n") != std::string::npos; }, 120000);
  sh("kill -CONT " + pid);
  ASSERT_TRUE(done);
  std::string snap, cap;
  ASSERT_TRUE(wait_for([&] {
    snap = tap("snapshot " + std::to_string(p) + " --no-frame");
    cap = capture("", "st");
    return trim_trailing_blank_lines(snap) == trim_trailing_blank_lines(cap);
  }, 30000)) << snap << "----\n" << cap << log();
  keys("", "st", "exit");
  std::string file;
  for (auto& e : fs::recursive_directory_iterator(dir_ + "/spool"))
    if (e.path().string().find("-pts" + std::to_string(p) + "-") != std::string::npos)
      file = e.path();
  ASSERT_TRUE(wait_for([&] {
    auto r = tap::format::SessionReader::open(file);
    return r.ok() && (*r)->status().complete;
  }));
  auto reader = tap::format::SessionReader::open(file);
  ASSERT_TRUE(reader.ok());
  int suspended = 0, resumed = 0, keyframes = 0;
  for (;;) {
    auto ev = (*reader)->next();
    ASSERT_TRUE(ev.ok());
    if (*ev == nullptr) break;
    if (auto* m = (*ev)->get<tap::format::Marker>()) {
      if (m->kind == tap::format::Marker::Kind::keyframes_suspended) ++suspended;
      if (m->kind == tap::format::Marker::Kind::keyframes_resumed) ++resumed;
    }
    if ((*ev)->get<tap::format::Keyframe>()) ++keyframes;
  }
  EXPECT_GE(suspended, 1);
  EXPECT_EQ(resumed, suspended);
  EXPECT_GT(keyframes, 0);
}

TEST_F(LiveBpf, AWatcherThatStopsReadingIsDroppedAndLosesNothingFromTheRecording) {
  int p = open_pane("", "lag");
  ASSERT_GE(p, 0);
  std::string err = dir_ + "/lag.err";
  // A watcher that reads nothing: stopped right after it has its first frame.
  pid_t watcher = ::fork();
  if (watcher == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    int efd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(devnull, 1);
    ::dup2(efd, 2);
    ::execl((bin_ + "tap").c_str(), "tap", "--socket", sock_.c_str(), "watch",
            std::to_string(p).c_str(), nullptr);
    _exit(127);
  }
  ASSERT_TRUE(wait_for([&] { return fs::exists(err) && fs::file_size(err) > 0; }));
  ::kill(watcher, SIGSTOP);
  keys("", "lag", "seq 1 3000000; echo fin");
  // Past 8 MiB unsent plus what the sockets hold, the watcher is dropped; it must then read its
  // error within the 5 s reply limit, so it wakes once the session is well past that point
  // (not at the end of the flood, which a loaded machine can make longer than 5 s).
  auto out_bytes = [&] {
    std::string l = tap("list");
    size_t at = l.find("pty=" + pad(p) + " ");
    if (at == std::string::npos) return uint64_t{0};
    size_t o = l.find(" out=", at);
    return o == std::string::npos ? uint64_t{0} : uint64_t{std::stoull(l.substr(o + 5))};
  };
  bool past = wait_for([&] { return out_bytes() > 16'000'000u; }, 120000);
  ::kill(watcher, SIGCONT);
  bool finished =
      wait_for([&] { return capture("", "lag").find("fin\n") != std::string::npos; }, 120000);
  EXPECT_TRUE(past);
  int status = 0;
  bool exited = wait_for([&] { return ::waitpid(watcher, &status, WNOHANG) == watcher; }, 20000);
  if (!exited) {
    ::kill(watcher, SIGKILL);
    ::waitpid(watcher, &status, 0);
  }
  ASSERT_TRUE(finished);
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  std::ifstream in(err);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(s.find("watcher fell behind the session and was dropped"), std::string::npos) << s;
  // Nothing was lost from the recording: the list shows no lost bytes and every byte of seq.
  std::string l = tap("list");
  size_t at = l.find("pty=" + pad(p) + " ");
  ASSERT_NE(at, std::string::npos);
  std::string line = l.substr(at, l.find('\n', at) - at);
  EXPECT_EQ(line.find("lost="), std::string::npos) << line;
  uint64_t out = std::stoull(line.substr(line.find(" out=") + 5));
  EXPECT_GT(out, 20'888'896u) << line;  // seq 1 3000000 with CRLF is 23,888,896 bytes
}

TEST_F(LiveBpf, AShortFloodThatEndsAtOnceKeepsItsKeyframesToTheEnd) {
  TAP_REQUIRE_TOOL("script");
  // `script` reads the pty as fast as it can (no terminal to draw), and the session ends the
  // moment seq does: the worker is still behind when the kernel says the session is over.
  std::string token = "tapflood" + std::to_string(::getpid());
  auto r = sh("script -qfc 'echo " + token + "; seq 1 5000000' /dev/null >/dev/null 2>&1");
  ASSERT_EQ(r.status, 0);
  // The session's file: the one whose first output names the token.
  std::string file;
  ASSERT_TRUE(wait_for([&] {
    for (auto& e : fs::recursive_directory_iterator(dir_ + "/spool")) {
      if (e.path().extension() != ".tap") continue;
      auto rd = tap::format::SessionReader::open(e.path());
      if (!rd.ok()) continue;
      for (int i = 0; i < 20; ++i) {
        auto ev = (*rd)->next();
        if (!ev.ok() || *ev == nullptr) break;
        if (auto* o = (*ev)->get<tap::format::Output>()) {
          if (o->data.find(token) != std::string::npos) file = e.path();
          break;
        }
      }
      if (!file.empty()) return true;
    }
    return false;
  })) << log();
  ASSERT_TRUE(wait_for([&] {
    auto rd = tap::format::SessionReader::open(file);
    return rd.ok() && (*rd)->status().complete;
  })) << log();
  auto reader = tap::format::SessionReader::open(file);
  ASSERT_TRUE(reader.ok());
  // Output offset before each event, and the keyframes in the file.
  std::vector<uint64_t> offset_at;  // by sequence number
  std::vector<uint64_t> keyframe_seqs;
  uint64_t total = 0;
  bool ended = false;
  for (;;) {
    uint64_t seq = (*reader)->next_seq();
    auto ev = (*reader)->next();
    ASSERT_TRUE(ev.ok()) << ev.error().what();
    if (*ev == nullptr) break;
    if (offset_at.size() <= seq) offset_at.resize(seq + 1, total);
    offset_at[seq] = total;
    if (auto* o = (*ev)->get<tap::format::Output>()) total += o->data.size();
    if (auto* k = (*ev)->get<tap::format::Keyframe>()) keyframe_seqs.push_back(k->event_seq);
    if ((*ev)->get<tap::format::SessionEnd>()) ended = true;
  }
  EXPECT_TRUE(ended);
  ASSERT_GT(total, 38'000'000u);  // seq 1 5000000 with CRLF is 43,888,896 bytes
  ASSERT_FALSE(keyframe_seqs.empty()) << log();
  // The last keyframe describes the screen within the last tenth of the output, so `--at` near
  // the end restores it and replays little.
  uint64_t last = keyframe_seqs.back();
  ASSERT_LT(last, offset_at.size());
  EXPECT_GE(offset_at[last], total - total / 10)
      << "last keyframe at output offset " << offset_at[last] << " of " << total;
  // And the reader's seek finds it for a time at the end.
  auto seek_reader = tap::format::SessionReader::open(file);
  ASSERT_TRUE(seek_reader.ok());
  auto kf = (*seek_reader)->seek_keyframe((*seek_reader)->duration());
  ASSERT_TRUE(kf.ok());
  ASSERT_TRUE(kf->has_value());
  EXPECT_EQ((*kf)->event_seq, last);
}

}  // namespace
