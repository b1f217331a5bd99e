// Real BPF capture on real ptys: every test runs its own taprec (own spool, keys, pin dir)
// and asserts only on the ptys it made (found by a unique token in their output).
#include <pty.h>
#include <pwd.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "harness.hpp"
#include "require.hpp"

namespace tap::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Quotes `s` for /bin/sh.
std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Bytes of `expect` outside the gaps equal `got` (which has the gaps filled with NULs).
::testing::AssertionResult equal_outside_gaps(const std::string& got, const std::vector<format::Gap>& gaps,
                                              const std::string& expect) {
  if (got.size() != expect.size())
    return ::testing::AssertionFailure() << "captured + gaps = " << got.size()
                                         << " bytes, typescript " << expect.size();
  size_t pos = 0;
  auto cmp = [&](size_t from, size_t to) -> ::testing::AssertionResult {
    for (size_t i = from; i < to; ++i)
      if (got[i] != expect[i])
        return ::testing::AssertionFailure() << "first difference at byte " << i;
    return ::testing::AssertionSuccess();
  };
  for (const auto& g : gaps) {
    if (auto r = cmp(pos, g.offset); !r) return r;
    pos = g.offset + g.bytes;
  }
  return cmp(pos, got.size());
}

void require_root() {
  if (::geteuid() != 0) {
    if (env_flag("TAP_REQUIRE_BPF")) FAIL() << "needs root";
    GTEST_SKIP() << "needs root";
  }
}

// The two dimensions of a loaded capture: hook flavour (--hooks) and object variant
// (--bpf-variant: fast walks kernel pointers with direct loads, compat with probe reads).
struct Flavour {
  std::string hooks;
  std::string variant;
};

void PrintTo(const Flavour& f, std::ostream* os) { *os << f.hooks << "/" << f.variant; }

std::string flavour_name(const ::testing::TestParamInfo<Flavour>& p) {
  return p.param.hooks + "_" + p.param.variant;
}

class Capture : public ::testing::TestWithParam<Flavour> {
 protected:
  void SetUp() override { require_root(); }
  std::string hooks() const { return GetParam().hooks; }
  std::vector<std::string> variant_args() const { return {"--bpf-variant", GetParam().variant}; }
  // The daemon says which object it loaded, and it is the one asked for.
  void expect_variant(const Taprec& rec) const {
    EXPECT_NE(rec.log().find("capture programs: " + GetParam().variant + " (forced"),
              std::string::npos)
        << rec.log();
  }
};

// The byte-exactness tests that also run under the compat variant.
class CaptureEachVariant : public Capture {};

// Tests whose flavour is not the point: only the variant is a dimension.
class RecorderEachVariant : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { require_root(); }
};

class Recorder : public ::testing::Test {
 protected:
  void SetUp() override { require_root(); }
};

// Runs `script` with `command`; returns the typescript body.
std::string run_script(const fs::path& dir, const std::string& command, const char* name = "ts") {
  fs::path ts = dir / name;
  sh("script -q -c " + q(command) + " " + ts.string() + " </dev/null >/dev/null 2>&1");
  return typescript_body(ts);
}

// Waits until the recording holding `token` has ended (its file finished), up to `limit`.
void settle(std::chrono::milliseconds limit = 3000ms) { std::this_thread::sleep_for(limit); }

TEST_P(CaptureEachVariant, ScriptSessionOutputIsByteExact) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("script");
  TempDir dir;
  Taprec rec(dir.path(), hooks(), variant_args());
  ASSERT_TRUE(rec.start()) << rec.log();
  expect_variant(rec);
  std::string token = unique_token("tok");
  std::string body = run_script(dir.path(),
      "echo " + token + "; printf '\\033[1mbold\\033[0m tab\\there\\r\\n'; ls -la /usr/bin | head -50; "
      "seq 1 3000; stty size");
  settle();
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_FALSE(recs[0].read_error);
  EXPECT_EQ(recs[0].output.size(), body.size());
  EXPECT_TRUE(recs[0].output == body) << "recorded output differs from the typescript";
  const auto& last = recs[0].events.back();
  ASSERT_NE(last.get<format::SessionEnd>(), nullptr);
  EXPECT_EQ(last.get<format::SessionEnd>()->reason, format::SessionEnd::Reason::closed);
}

// Every call of the read and write families on the master, plain and vectored, is taken at
// its exit with its own arguments: output == what this process read, input == what it wrote.
TEST_P(CaptureEachVariant, VectoredMasterCallsAreByteExact) {
  TAP_REQUIRE_BPF();
  TempDir dir;
  Taprec rec(dir.path(), hooks(), variant_args());
  ASSERT_TRUE(rec.start()) << rec.log();
  expect_variant(rec);
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  struct termios raw {};
  ASSERT_EQ(::tcgetattr(slave, &raw), 0);
  ::cfmakeraw(&raw);  // no echo, no translation: the master reads what the slave wrote
  ASSERT_EQ(::tcsetattr(slave, TCSANOW, &raw), 0);
  std::string token = unique_token("vec");
  std::string wrote = token + "|plain read|readv in two parts|preadv2|";
  std::string got;
  char a[7], b[4096];
  auto drain_master = [&](int how) {
    iovec v[2] = {{a, sizeof a}, {b, sizeof b}};
    ssize_t n = how == 0 ? ::read(master, b, sizeof b)
              : how == 1 ? ::readv(master, v, 2)
                         : ::preadv2(master, v, 2, -1, 0);
    ASSERT_GT(n, 0);
    if (how == 0) {
      got.append(b, static_cast<size_t>(n));
    } else {
      got.append(a, std::min<size_t>(static_cast<size_t>(n), sizeof a));
      if (static_cast<size_t>(n) > sizeof a) got.append(b, static_cast<size_t>(n) - sizeof a);
    }
  };
  size_t at = 0;
  for (int how = 0; how < 3; ++how) {
    size_t end = wrote.find('|', at) + 1;
    std::string part = wrote.substr(at, end - at);
    ASSERT_EQ(::write(slave, part.data(), part.size()), static_cast<ssize_t>(part.size()));
    while (got.size() < end) drain_master(how);
    at = end;
  }
  std::string rest = wrote.substr(at);
  ASSERT_EQ(::write(slave, rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  while (got.size() < wrote.size()) drain_master(1);
  // Input: write, writev and pwritev2 on the master; the slave reads it back.
  std::string keys = "k1", k2a = "k2-", k2b = "two-parts", k3a = "k3", k3b = "-pwritev2";
  iovec w2[2] = {{k2a.data(), k2a.size()}, {k2b.data(), k2b.size()}};
  iovec w3[2] = {{k3a.data(), k3a.size()}, {k3b.data(), k3b.size()}};
  ASSERT_EQ(::write(master, keys.data(), keys.size()), 2);
  ASSERT_EQ(::writev(master, w2, 2), static_cast<ssize_t>(k2a.size() + k2b.size()));
  ASSERT_EQ(::pwritev2(master, w3, 2, -1, 0), static_cast<ssize_t>(k3a.size() + k3b.size()));
  std::string typed = keys + k2a + k2b + k3a + k3b, back;
  while (back.size() < typed.size()) {
    ssize_t n = ::read(slave, b, sizeof b);
    ASSERT_GT(n, 0);
    back.append(b, static_cast<size_t>(n));
  }
  EXPECT_EQ(back, typed);
  ::close(slave);
  ::close(master);
  settle(1500ms);
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  ASSERT_EQ(got, wrote);
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].output, wrote);
  EXPECT_EQ(recs[0].input, typed);
}

TEST_P(CaptureEachVariant, FloodOf50MBThroughScriptIsByteExact) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("script");
  TempDir dir;
  Taprec rec(dir.path(), hooks(), variant_args());
  ASSERT_TRUE(rec.start()) << rec.log();
  expect_variant(rec);
  std::string token = unique_token("flood");
  std::string body = run_script(dir.path(), "echo " + token + "; head -c 37000000 /dev/urandom | base64");
  ASSERT_GT(body.size(), 50'000'000u);
  settle();
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].output.size(), body.size());
  EXPECT_TRUE(recs[0].output == body);
  for (const auto& e : recs[0].events) EXPECT_EQ(e.get<format::Gap>(), nullptr);
}

// tmux: what the pane's pipe-pane saw is exactly the tail of the recorded output; keys sent
// to the pane are input; a window resize is a resize event.
TEST_P(Capture, TmuxPaneInputResizeAndOutput) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("tmux");
  TempDir dir;
  Taprec rec(dir.path(), hooks(), variant_args());
  ASSERT_TRUE(rec.start()) << rec.log();
  std::string sock = (dir.path() / "tmux.sock").string();
  std::string tm = "tmux -S " + sock + " ";
  std::string token = unique_token("tmux");
  fs::path pipe = dir.path() / "pipe.out";
  ASSERT_EQ(sh(tm + "new-session -d -x 100 -y 30 'env PS1=\"$ \" bash --norc --noprofile'"), 0);
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(sh(tm + "pipe-pane -o 'cat > " + pipe.string() + "'"), 0);
  sh(tm + "send-keys 'echo " + token + "' Enter");
  sh(tm + "send-keys 'seq 1 2000' Enter");
  std::this_thread::sleep_for(500ms);
  sh(tm + "resize-window -x 120 -y 40");
  std::this_thread::sleep_for(300ms);
  sh(tm + "send-keys 'stty size' Enter");
  std::this_thread::sleep_for(300ms);
  sh(tm + "send-keys 'exit' Enter");
  std::this_thread::sleep_for(1000ms);
  sh(tm + "kill-server 2>/dev/null");
  settle();
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  std::string piped = read_file(pipe);
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  ASSERT_GT(piped.size(), 8000u);
  ASSERT_GE(r.output.size(), piped.size());
  EXPECT_TRUE(r.output.compare(r.output.size() - piped.size(), piped.size(), piped) == 0)
      << "pipe-pane output is not the tail of the recorded output";
  EXPECT_NE(r.input.find("echo " + token + "\r"), std::string::npos);
  EXPECT_NE(r.input.find("seq 1 2000\r"), std::string::npos);
  bool resized = false, initial = false;
  for (const auto& e : r.events) {
    if (auto* z = e.get<format::Resize>()) {
      if (z->cols == 120 && z->rows == 40) resized = true;
      if (z->cols == 100 && z->rows == 30) initial = true;
    }
  }
  EXPECT_TRUE(initial) << "no resize event for the initial 100x30";
  EXPECT_TRUE(resized) << "no resize event for 120x40";
  EXPECT_NE(r.output.find("40 120"), std::string::npos);
}

// A 50 MB flood in a tmux pane: what tmux read (pipe-pane) is the recorded output's tail.
TEST_P(Capture, FloodOf50MBInATmuxPaneIsByteExact) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("tmux");
  TempDir dir;
  Taprec rec(dir.path(), hooks(), variant_args());
  ASSERT_TRUE(rec.start()) << rec.log();
  std::string tm = "tmux -S " + (dir.path() / "tmux.sock").string() + " ";
  std::string token = unique_token("tmuxflood");
  fs::path pipe = dir.path() / "pipe.out";
  ASSERT_EQ(sh(tm + "new-session -d -x 120 -y 40 \"sh -c 'read x; echo " + token +
                    "; head -c 37000000 /dev/urandom | base64'\""), 0);
  std::this_thread::sleep_for(400ms);
  ASSERT_EQ(sh(tm + "pipe-pane -o 'cat > " + pipe.string() + "'"), 0);
  std::this_thread::sleep_for(200ms);
  sh(tm + "send-keys Enter");
  for (int i = 0; i < 1200 && sh(tm + "has-session 2>/dev/null") == 0; ++i)
    std::this_thread::sleep_for(100ms);
  settle();
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  std::string piped = read_file(pipe);
  ASSERT_GT(piped.size(), 50'000'000u);
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  ASSERT_GE(r.output.size(), piped.size());
  EXPECT_TRUE(r.output.compare(r.output.size() - piped.size(), piped.size(), piped) == 0)
      << "pipe-pane output is not the tail of the recorded output";
  for (const auto& e : r.events) EXPECT_EQ(e.get<format::Gap>(), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Hooks, Capture,
                         ::testing::Values(Flavour{"tracepoint", "fast"}, Flavour{"raw_tp", "fast"}),
                         flavour_name);
INSTANTIATE_TEST_SUITE_P(HooksAndVariants, CaptureEachVariant,
                         ::testing::Values(Flavour{"tracepoint", "fast"}, Flavour{"raw_tp", "fast"},
                                           Flavour{"tracepoint", "compat"},
                                           Flavour{"raw_tp", "compat"}),
                         flavour_name);

TEST_F(Recorder, ConcurrentSessionsAreKeptApart) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("script");
  TempDir dir;
  Taprec rec(dir.path());
  ASSERT_TRUE(rec.start()) << rec.log();
  std::string a = unique_token("alpha"), b = unique_token("beta");
  std::string body_a, body_b;
  std::thread ta([&] { body_a = run_script(dir.path(), "for i in $(seq 1 300); do echo " + a + " $i; done", "a"); });
  std::thread tb([&] { body_b = run_script(dir.path(), "for i in $(seq 1 300); do echo " + b + " $i; done", "b"); });
  ta.join();
  tb.join();
  settle();
  ASSERT_EQ(rec.stop(), 0);
  auto ra = recordings_with(rec.spool(), a), rb = recordings_with(rec.spool(), b);
  ASSERT_EQ(ra.size(), 1u);
  ASSERT_EQ(rb.size(), 1u);
  EXPECT_NE(ra[0].path, rb[0].path);
  EXPECT_EQ(ra[0].output, body_a);
  EXPECT_EQ(rb[0].output, body_b);
  EXPECT_EQ(ra[0].output.find(b), std::string::npos);
  EXPECT_EQ(rb[0].output.find(a), std::string::npos);
}

// A tiny ring and a stopped consumer: each gap names exactly the bytes that are missing.
TEST_F(Recorder, ForcedLossGapsAreExact) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("script");
  TempDir dir;
  Taprec rec(dir.path(), "auto", {"--ring-size", "256K", "--test-small-ring"});
  ASSERT_TRUE(rec.start()) << rec.log();
  std::string token = unique_token("loss");
  // The consumer is stopped before the flood starts, so the ring must overflow.
  rec.pause();
  std::string body;
  std::thread work([&] {
    body = run_script(dir.path(), "echo " + token + "; head -c 6000000 /dev/urandom | base64; sleep 0.5; echo end");
  });
  std::this_thread::sleep_for(1500ms);
  rec.resume();
  work.join();
  settle();
  ASSERT_EQ(rec.stop(), 0);
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);
  std::string got, why;
  uint64_t gap_bytes = 0;
  std::vector<format::Gap> gaps;
  ASSERT_TRUE(reassemble(recs, &got, &gap_bytes, &gaps, &why)) << why;
  EXPECT_GT(gap_bytes, 0u) << "the stopped consumer lost nothing: the test did not force loss";
  EXPECT_LT(gap_bytes, body.size());
  for (const auto& g : gaps) EXPECT_EQ(g.reason, format::Gap::Reason::ring_overflow);
  EXPECT_TRUE(equal_outside_gaps(got, gaps, body));
}

// kill -9 during a flood, restart: segment 0 + segment 1 + the gap == the typescript.
TEST_F(Recorder, KilledAndRestartedDaemonContinuesInANewSegment) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("script");
  TempDir dir;
  Taprec rec(dir.path());
  ASSERT_TRUE(rec.start()) << rec.log();
  std::string token = unique_token("crash");
  std::string body;
  std::thread work([&] {
    body = run_script(dir.path(), "echo " + token + "; for i in $(seq 1 40); do seq 1 20000; sleep 0.1; done");
  });
  std::this_thread::sleep_for(1500ms);
  rec.kill9();
  std::this_thread::sleep_for(1000ms);
  ASSERT_TRUE(rec.start()) << rec.log();
  work.join();
  settle();
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);  // segment 0 holds the token
  // Its later segment has the same session id.
  std::vector<Recording> segs = {recs[0]};
  for (const auto& p : tap_files(rec.spool())) {
    Recording r = read_recording(p);
    if (r.info.session_id == recs[0].info.session_id && r.info.segment > 0) segs.push_back(r);
  }
  ASSERT_EQ(segs.size(), 2u) << rec.log();
  ASSERT_TRUE(segs[1].info.previous.has_value());
  EXPECT_EQ(segs[1].info.previous->previous_file_id, segs[0].info.file_id);
  EXPECT_EQ(segs[1].info.segment, 1u);
  std::string got, why;
  uint64_t gap_bytes = 0;
  std::vector<format::Gap> gaps;
  ASSERT_TRUE(reassemble(segs, &got, &gap_bytes, &gaps, &why)) << why;
  ASSERT_FALSE(gaps.empty());
  EXPECT_EQ(gaps.front().reason, format::Gap::Reason::recorder_down);
  EXPECT_TRUE(equal_outside_gaps(got, gaps, body));
}

// The test user of the uid and password tests: taptest / hunter2, allowed to sudo.
uint32_t ensure_test_user() {
  if (struct passwd* pw = ::getpwnam("taptest")) return pw->pw_uid;
  sh("useradd -m -s /bin/bash taptest >/dev/null 2>&1");
  sh("echo 'taptest:hunter2' | chpasswd");
  sh("echo 'taptest ALL=(ALL) ALL' > /etc/sudoers.d/taptest && chmod 0440 /etc/sudoers.d/taptest");
  struct passwd* pw = ::getpwnam("taptest");
  return pw ? pw->pw_uid : 0;
}

INSTANTIATE_TEST_SUITE_P(Variants, RecorderEachVariant, ::testing::Values("fast", "compat"),
                         [](const auto& p) { return p.param; });

// Without --bpf-variant the object follows the kernel's BTF: fast exactly when the kernel has
// the bpf_rdonly_cast kfunc.
TEST_F(Recorder, AutomaticVariantFollowsTheKernelsBtf) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("bpftool");
  bool has_kfunc = sh("bpftool btf dump file /sys/kernel/btf/vmlinux | "
                      "grep -q \"FUNC 'bpf_rdonly_cast'\"") == 0;
  TempDir dir;
  Taprec rec(dir.path());
  ASSERT_TRUE(rec.start()) << rec.log();
  std::string want = has_kfunc ? "capture programs: fast (the kernel has the bpf_rdonly_cast kfunc"
                               : "capture programs: compat (the kernel has no bpf_rdonly_cast kfunc";
  EXPECT_NE(rec.log().find(want), std::string::npos) << rec.log();
  EXPECT_EQ(rec.log().find("did not load"), std::string::npos) << rec.log();
  EXPECT_EQ(rec.stop(), 0);
}

// When the automatically chosen fast object cannot load, taprec says why in one line and
// records with the compat one, byte for byte.
TEST_F(Recorder, FastObjectThatCannotLoadFallsBackToCompat) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("script");
  TempDir dir;
  Taprec rec(dir.path(), "auto", {"--test-break-fast"});
  ASSERT_TRUE(rec.start()) << rec.log();
  std::string log = rec.log();
  EXPECT_NE(log.find("warning: the fast capture programs did not load (load BPF programs: "),
            std::string::npos) << log;
  EXPECT_NE(log.find("); using the compat ones\n"), std::string::npos) << log;
  std::string token = unique_token("fallback");
  std::string body = run_script(dir.path(), "echo " + token + "; seq 1 2000");
  settle();
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  auto recs = recordings_with(rec.spool(), token);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].output == body) << "recorded output differs from the typescript";
}

// Forced, the fast object has no fallback: a clear error and a failed start.
TEST_F(Recorder, ForcedFastObjectThatCannotLoadIsAnError) {
  TAP_REQUIRE_BPF();
  TempDir dir;
  Taprec rec(dir.path(), "auto", {"--test-break-fast", "--bpf-variant", "fast"});
  ASSERT_FALSE(rec.start()) << rec.log();
  EXPECT_NE(rec.log().find("taprec: error: start capture: load capture programs (fast): "),
            std::string::npos) << rec.log();
  EXPECT_EQ(rec.log().find("using the compat ones"), std::string::npos) << rec.log();
}

// A session opened by an unprivileged user who types a password at `read -s`, then runs
// `sudo -i` (password prompt) and `su`: writers with uid 0 appear, the opener stays the
// user, the password is stored as lengths only, and ordinary input is kept.
TEST_P(RecorderEachVariant, UidTransitionsAndPasswordsInAUserSession) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("tmux");
  TAP_REQUIRE_TOOL("sudo");
  TAP_REQUIRE_TOOL("script");
  TAP_REQUIRE_TOOL("runuser");
  uint32_t uid = ensure_test_user();
  ASSERT_NE(uid, 0u) << "could not create the test user taptest";
  // With ECHO on the slave these must not be prompts: make sure sudo asks (no cached ticket).
  sh("sudo -u taptest sudo -k >/dev/null 2>&1");
  TempDir dir;
  Taprec rec(dir.path(), "auto", {"--bpf-variant", GetParam()});
  ASSERT_TRUE(rec.start()) << rec.log();
  EXPECT_NE(rec.log().find("capture programs: " + GetParam() + " (forced"), std::string::npos)
      << rec.log();
  std::string tm = "tmux -S " + (dir.path() / "tmux.sock").string() + " ";
  std::string token = unique_token("uid");
  ASSERT_EQ(sh(tm + "new-session -d -x 100 -y 30 \"runuser -u taptest -- script -q -c "
                    "'env PS1=\\\"$ \\\" bash --norc --noprofile' /dev/null\""), 0);
  auto keys = [&](const std::string& k, std::chrono::milliseconds wait = 600ms) {
    sh(tm + "send-keys " + k);
    std::this_thread::sleep_for(wait);
  };
  std::this_thread::sleep_for(800ms);
  keys("'echo " + token + "' Enter");
  keys("'read -s X' Enter");
  keys("-l hunter2\r", 400ms);  // one write: tmux sends literal keys together
  sh(tm + "send-keys Enter");
  std::this_thread::sleep_for(400ms);
  keys("'echo hi' Enter");
  keys("'sudo -i' Enter", 2000ms);
  keys("-l hunter2", 200ms);
  keys("Enter", 2500ms);
  keys("'id -u' Enter");
  keys("'su -c \"echo su-ok\"' Enter", 1500ms);
  keys("'exit' Enter");
  keys("'exit' Enter", 1000ms);
  std::string pane_tty;
  sh(tm + "kill-server 2>/dev/null");
  settle();
  ASSERT_EQ(rec.stop(), 0) << rec.log();
  auto recs = recordings_with(rec.spool(), token);
  // The tmux pane's pty and script's inner pty both show the token; the inner one was
  // opened by taptest.
  const Recording* inner = nullptr;
  for (const auto& r : recs)
    for (const auto& e : r.events)
      if (auto* o = e.get<format::Opener>(); o && o->uid == uid) inner = &r;
  ASSERT_NE(inner, nullptr) << "no session with opener taptest among " << recs.size();
  bool sudo_writer = false, setid_exec = false;
  int openers = 0;
  std::string writers;  // for failure messages
  for (const auto& e : inner->events) {
    if (auto* w = e.get<format::WriterChange>()) {
      writers += w->comm + " " + std::to_string(w->uid) + "/" + std::to_string(w->euid) + "; ";
      // sudo's prompt and, with use_pty, its relay of the root shell's output: the same
      // process (uid the user, euid 0), so one writer event.
      if (w->euid == 0 && w->comm == "sudo") sudo_writer = true;
    }
    if (auto* x = e.get<format::Exec>(); x && x->euid == 0 && x->uid == uid) setid_exec = true;
    if (auto* o = e.get<format::Opener>()) {
      ++openers;
      EXPECT_EQ(o->uid, uid);
      EXPECT_EQ(o->user, "taptest");
    }
  }
  EXPECT_EQ(openers, 1);
  RecordProperty("outer_writers", writers);
  EXPECT_TRUE(sudo_writer) << "no writer change to sudo with euid 0 after sudo -i: " << writers;
  // What the root shell showed reached this session too (relayed by sudo).
  EXPECT_NE(inner->output.find("su-ok"), std::string::npos) << writers;
  EXPECT_TRUE(setid_exec) << "no setuid exec (sudo) recorded";
  // The root shell runs in this session, or (sudo's use_pty, Debian's default) in a pty of
  // its own that sudo opened for taptest: there, writers are uid 0 and the opener is taptest.
  const Recording* root = nullptr;
  for (const auto& p : tap_files(rec.spool())) {
    Recording r = read_recording(p);
    if (r.output.find("su-ok") == std::string::npos) continue;
    bool mine = r.path == inner->path;
    for (const auto& e : r.events)
      if (auto* o = e.get<format::Opener>(); o && o->uid == uid) mine = true;
    if (!mine) continue;
    for (const auto& e : r.events)
      if (auto* w = e.get<format::WriterChange>(); w && w->uid == 0) root = inner;
  }
  EXPECT_NE(root, nullptr) << "no session opened by taptest shows writers with uid 0";
  // hunter2 was typed twice at prompts with ECHO off and ICANON on.
  EXPECT_EQ(inner->input.find("hunter2"), std::string::npos);
  EXPECT_EQ(inner->output.find("hunter2"), std::string::npos);
  for (const auto& e : inner->events) {
    if (auto* m = e.get<format::Marker>()) {
      EXPECT_EQ(m->label.find("hunter2"), std::string::npos);
    }
    if (auto* w = e.get<format::WriterChange>()) {
      EXPECT_EQ(w->comm.find("hunter2"), std::string::npos);
    }
  }
  EXPECT_EQ(inner->suppressed, 16u) << "two 8-byte passwords (hunter2 + Enter)";
  EXPECT_NE(inner->input.find("echo hi\r"), std::string::npos);
  EXPECT_NE(inner->input.find("read -s X\r"), std::string::npos);
}

// A session that was running before taprec started is recorded from then on.
TEST_F(Recorder, SessionRunningBeforeStartIsJoinedLate) {
  TAP_REQUIRE_BPF();
  TAP_REQUIRE_TOOL("tmux");
  TempDir dir;
  std::string tm = "tmux -S " + (dir.path() / "tmux.sock").string() + " ";
  std::string before = unique_token("before"), after = unique_token("after");
  ASSERT_EQ(sh(tm + "new-session -d -x 90 -y 25 'env PS1=\"$ \" bash --norc --noprofile'"), 0);
  std::this_thread::sleep_for(300ms);
  sh(tm + "send-keys 'echo " + before + "' Enter");
  std::this_thread::sleep_for(300ms);
  Taprec rec(dir.path());
  ASSERT_TRUE(rec.start()) << rec.log();
  sh(tm + "send-keys 'echo " + after + "' Enter");
  std::this_thread::sleep_for(500ms);
  sh(tm + "kill-server");
  settle();
  ASSERT_EQ(rec.stop(), 0);
  auto recs = recordings_with(rec.spool(), after);
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  EXPECT_TRUE(r.info.joined_late);
  bool marker = false, size = false;
  for (const auto& e : r.events) {
    if (auto* m = e.get<format::Marker>()) marker |= m->kind == format::Marker::Kind::joined_late;
    if (auto* z = e.get<format::Resize>()) size |= z->cols == 90 && z->rows == 25;
  }
  EXPECT_TRUE(marker);
  EXPECT_TRUE(size) << "the current size (TIOCGWINSZ) is the first resize";
  EXPECT_EQ(r.output.find("echo " + before), std::string::npos);
}

}  // namespace
}  // namespace tap::test
