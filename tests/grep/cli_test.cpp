// tapgrep run on a spool of real .tap files written with SessionWriter, corrupt files among
// them; output compared with tests/data/expected/grep/.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "require.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/support/time_spec.hpp"

extern char** environ;

namespace tap::grep {
namespace {

namespace fs = std::filesystem;
using format::Event;
using format::Nanos;
constexpr Nanos kS = 1'000'000'000;
constexpr Nanos kMs = 1'000'000;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ToolRun {
  int code = -1;
  std::string out, err;
};

class Spool : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tapgrep-cli-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    tool_ = fs::path(test::binary_dir()) / "bin" / "tapgrep";
    ASSERT_TRUE(fs::exists(tool_)) << tool_;
  }
  void TearDown() override { fs::remove_all(root_); }

  static format::SessionInfo info(const std::string& host, uint32_t pty, uint8_t id) {
    format::SessionInfo i;
    i.session_id[15] = id;
    i.file_id[15] = id;
    i.host_name = host;
    i.pty_index = pty;
    i.start_wall_ns = 1'795'435'380 * kS;  // 2026-11-23T12:03:00Z
    i.recorder = "tapgrep test";
    return i;
  }

  fs::path write(const std::string& rel, const format::SessionInfo& i, const std::vector<Event>& events) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    auto w = format::SessionWriter::create(p, i);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().what());
    for (const Event& e : events) EXPECT_TRUE((*w)->append(e).ok());
    EXPECT_TRUE((*w)->finish(format::SessionEnd{format::SessionEnd::Reason::closed, 0}).ok());
    return p;
  }

  // alice logs in on web1, fixes a typo in an iptables command with readline, runs it with
  // sudo, becomes root and runs it again.
  fs::path write_alice() {
    std::vector<Event> ev = {
        Event{0, format::Resize{80, 24}},
        Event{0, format::Opener{1000, 500, format::Opener::Source::loginuid, "alice"}},
        Event{0, format::WriterChange{501, 1000, 1000, 1000, "bash"}},
        Event{1 * kS, format::Output{"$ "}},
    };
    Nanos t = 2 * kS;
    for (char c : std::string("sudo iptables -X")) {
      ev.push_back(Event{t, format::Input{std::string(1, c)}});
      ev.push_back(Event{t + kMs, format::Output{std::string(1, c)}});
      t += 100 * kMs;
    }
    ev.push_back(Event{t, format::Output{"\b\x1b[K"}});
    ev.push_back(Event{t + 250 * kMs, format::Output{"F"}});
    ev.push_back(Event{4 * kS, format::Output{"\r\n"}});
    ev.push_back(Event{4 * kS + 10 * kMs, format::WriterChange{502, 1000, 0, 1000, "sudo"}});
    ev.push_back(Event{5 * kS, format::Output{"$ sudo -i\r\n"}});
    ev.push_back(Event{6 * kS, format::WriterChange{503, 0, 0, 1000, "bash"}});
    ev.push_back(Event{7 * kS, format::Output{"root# iptables -F\r\nroot# exit\r\n$ "}});
    ev.push_back(Event{8 * kS, format::WriterChange{501, 1000, 1000, 1000, "bash"}});
    return write("2026/11/23/web1-20261123T120300Z-pts3-00000001.tap", info("web1", 3, 1), ev);
  }

  fs::path write_bob() {
    return write("2026/11/23/db1-20261123T120300Z-pts1-00000002.tap", info("db1", 1, 2),
                 {Event{0, format::Resize{80, 24}},
                  Event{0, format::Opener{1001, 600, format::Opener::Source::loginuid, "bob"}},
                  Event{1 * kS, format::Output{"$ uptime\r\n 12:03:01 up 3 days\r\n$ "}}});
  }

  void add_corrupt() {
    fs::create_directories(root_ / "2026/11/24");
    fs::copy_file(fs::path(test::source_dir()) / "tests/data/grep/garbage.tap",
                  root_ / "2026/11/24/garbage.tap");
  }

  ToolRun run(std::vector<std::string> args, const fs::path& cwd = {}) {
    ToolRun r;
    const fs::path out = root_ / "stdout", err = root_ / "stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    std::vector<char*> argv;
    std::string prog = tool_.string();
    argv.push_back(prog.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, prog.c_str(), &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    waitpid(pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(out);
    r.err = read_file(err);
    fs::remove(out);
    fs::remove(err);
    // The temporary root varies; expected files say SPOOL.
    for (std::string* s : {&r.out, &r.err}) {
      for (size_t p; (p = s->find(root_.string())) != std::string::npos;) s->replace(p, root_.string().size(), "SPOOL");
    }
    return r;
  }

  std::string expected(const std::string& name) {
    return read_file(fs::path(test::source_dir()) / "tests/data/expected/grep" / name);
  }

  fs::path root_;
  fs::path tool_;
};

TEST_F(Spool, FindsTheRenderedCommandWithWhoAndWhen) {
  write_alice();
  write_bob();
  add_corrupt();
  ToolRun r = run({"iptables -F", root_.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, expected("iptables.txt"));
  // The corrupt file is one line on stderr and did not stop the search.
  EXPECT_EQ(r.err, expected("iptables.err"));
}

TEST_F(Spool, RawSearchMissesTheEditedCommandThatRenderedSearchFinds) {
  write_alice();
  ToolRun raw = run({"--raw", "-F", "sudo iptables -F", root_.string()});
  EXPECT_EQ(raw.code, 1) << raw.out << raw.err;
  ToolRun rendered = run({"-F", "sudo iptables -F", root_.string()});
  EXPECT_EQ(rendered.code, 0) << rendered.err;
  EXPECT_NE(rendered.out.find("@0:00:03.850  alice  $ sudo iptables -F"), std::string::npos) << rendered.out;
}

TEST_F(Spool, AsUidZeroKeepsWhatRootDid) {
  write_alice();
  write_bob();
  ToolRun r = run({"--as-uid", "0", "iptables", root_.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, expected("as_uid_0.txt"));
}

TEST_F(Spool, KeystrokesAreSearchedWithInput) {
  write_alice();
  ToolRun r = run({"--input", "-c", "iptables -X", root_.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "SPOOL/2026/11/23/web1-20261123T120300Z-pts3-00000001.tap:1\n");
}

TEST_F(Spool, HeaderFiltersAndListing) {
  write_alice();
  write_bob();
  EXPECT_EQ(run({"-l", "\\$", root_.string()}).out,
            "SPOOL/2026/11/23/db1-20261123T120300Z-pts1-00000002.tap\n"
            "SPOOL/2026/11/23/web1-20261123T120300Z-pts3-00000001.tap\n");
  EXPECT_EQ(run({"-l", "--host", "db1", "\\$", root_.string()}).out,
            "SPOOL/2026/11/23/db1-20261123T120300Z-pts1-00000002.tap\n");
  EXPECT_EQ(run({"-l", "--tty", "pts/3", "\\$", root_.string()}).out,
            "SPOOL/2026/11/23/web1-20261123T120300Z-pts3-00000001.tap\n");
  EXPECT_EQ(run({"-l", "--user", "bob", "\\$", root_.string()}).out,
            "SPOOL/2026/11/23/db1-20261123T120300Z-pts1-00000002.tap\n");
  ToolRun late = run({"--since", "2026-11-23T12:04:00Z", "\\$", root_.string()});
  EXPECT_EQ(late.code, 1) << late.out;
  ToolRun window = run({"-c", "--since", "2026-11-23T12:03:06Z", "--until", "2026-11-23T13:03:07+01:00",
                        "iptables", root_.string()});
  EXPECT_EQ(window.out, "SPOOL/2026/11/23/web1-20261123T120300Z-pts3-00000001.tap:1\n") << window.err;
}

TEST_F(Spool, JsonLinesNameEveryField) {
  write_alice();
  ToolRun r = run({"--json", "root# iptables", root_.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, expected("json.txt"));
}

TEST_F(Spool, ExitCodesFollowGrep) {
  write_alice();
  EXPECT_EQ(run({"no such text anywhere", root_.string()}).code, 1);
  add_corrupt();
  ToolRun failed = run({"no such text anywhere", root_.string()});
  EXPECT_EQ(failed.code, 2) << "nothing matched and a file failed";
  EXPECT_EQ(run({"iptables", root_.string()}).code, 0) << "a match wins over a failed file";
  ToolRun bad = run({"a(b", root_.string()});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err.find("tapgrep: error: bad pattern"), 0u) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1);
  ToolRun missing = run({"x", (root_ / "missing").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.err, "tapgrep: error: SPOOL/missing: No such file or directory\n");
  EXPECT_EQ(run({"--since", "12:00", "x", root_.string()}).code, 2);
  EXPECT_EQ(run({}).code, 2);
}

TEST_F(Spool, ACorruptMiddleKeepsTheHitsBeforeItAndReportsTheFile) {
  fs::path p = write_alice();
  std::string bytes = read_file(p);
  // Keep the header and damage everything after the first third: a fault in the middle.
  for (size_t i = bytes.size() / 3; i < bytes.size(); i += 7) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  ToolRun r = run({"iptables", root_.string()});
  EXPECT_NE(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("tapgrep: error: SPOOL/2026/11/23/web1-"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(Spool, ATornTailIsAWarningAndEverythingBeforeItIsSearched) {
  fs::path p = write_alice();
  std::string bytes = read_file(p);
  fs::path torn = root_ / "torn.tap";
  std::ofstream(torn, std::ios::binary) << bytes.substr(0, bytes.size() - 40);
  fs::remove(p);
  ToolRun r = run({"-c", "iptables -F", torn.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "SPOOL/torn.tap:2\n");
}

TEST_F(Spool, ManyFilesOnTwoThreadsPrintInFileOrder) {
  for (int i = 0; i < 24; ++i) {
    std::vector<Event> ev = {Event{0, format::Resize{80, 24}}};
    std::string text;
    for (int k = 0; k < 300; ++k) text += "file " + std::to_string(i) + " line " + std::to_string(k) + "\r\n";
    ev.push_back(Event{kS, format::Output{text}});
    char name[64];
    std::snprintf(name, sizeof name, "2026/11/23/h-20261123T120300Z-pts%02d-%08d.tap", i, i);
    write(name, info("h", static_cast<uint32_t>(i), static_cast<uint8_t>(i)), ev);
  }
  ToolRun r = run({"-j", "2", "line 7", root_.string()});
  EXPECT_EQ(r.code, 0);
  std::string want;
  for (int i = 0; i < 24; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "2026/11/23/h-20261123T120300Z-pts%02d-%08d.tap", i, i);
    for (int k : {7, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79}) {
      want += std::string("SPOOL/") + name + "@0:00:01.000  ?  file " + std::to_string(i) + " line " +
              std::to_string(k) + "\n";
    }
  }
  EXPECT_EQ(r.out, want);
}

// The worked examples of docs/tapgrep.md, run as printed there.
TEST_F(Spool, TheWorkedExamplesOfTheDocsPrintWhatTheDocsSay) {
  const fs::path data = fs::path(test::source_dir()) / "tests/data/grep";
  for (const char* name : {"readline", "fullscreen", "repaint"}) {
    ToolRun r = run({"", std::string(name) + ".cast"}, data);
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.out, expected(std::string(name) + ".txt")) << name;
  }
  ToolRun raw = run({"--raw", "sudo", "readline.cast"}, data);
  EXPECT_EQ(raw.code, 1) << "the raw stream never holds 'sudo'";
  ToolRun raw2 = run({"--raw", "-c", "iptables -F", "fullscreen.cast"}, data);
  EXPECT_EQ(raw2.out, "fullscreen.cast:0\n");
}

// Example 4 of docs/tapgrep.md: a command the terminal wrapped onto a second row.
TEST_F(Spool, AWrappedCommandIsOneLineAsTheDocsSay) {
  const fs::path dir = root_ / "wrapped";
  fs::create_directories(dir);
  std::ofstream(dir / "wrapped.cast")
      << "{\"version\": 2, \"width\": 40, \"height\": 4, \"timestamp\": 1795435380}\n"
         "[1.0, \"o\", \"root@web1:/etc/firewall# \"]\n"
         "[2.0, \"o\", \"iptables -F IN\"]\n"
         "[2.2, \"o\", \"PUT\"]\n"
         "[2.5, \"o\", \"\\r\\n\"]\n"
         "[3.0, \"o\", \"INPUT chain flushed\\r\\n\"]\n"
         "[3.5, \"o\", \"root@web1:/etc/firewall# \"]\n"
         "[4.0, \"o\", \"\\r\\n\"]\n"
         "[4.5, \"o\", \"\\r\\n\"]\n";
  ToolRun r = run({"", "wrapped.cast"}, dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "wrapped.cast@0:00:02.200  ?  root@web1:/etc/firewall# iptables -F INPUT\n"
            "wrapped.cast@0:00:03.000  ?  INPUT chain flushed\n"
            "wrapped.cast@0:00:03.500  ?  root@web1:/etc/firewall#\n");
  ToolRun hit = run({"-c", "-F", "iptables -F INPUT", "wrapped.cast"}, dir);
  EXPECT_EQ(hit.out, "wrapped.cast:1\n");
}

// A session the recorder restarted in: segment 0 cut at 5 s (no END), segment 1 from 12 s with
// the gap record first. Returns segment 0's path.
fs::path write_two_segments(const fs::path& dir, const format::SessionInfo& first) {
  fs::create_directories(dir);
  const fs::path seg0 = dir / "web1-20261123T120300Z-pts3-00000009.tap";
  {
    auto w = format::SessionWriter::create(seg0, first);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().what());
    EXPECT_TRUE((*w)->append(Event{0, format::Resize{80, 24}}).ok());
    EXPECT_TRUE((*w)->append(Event{kS, format::Output{"$ make\r\nbuilding\r\n"}}).ok());
    EXPECT_TRUE((*w)->flush().ok());  // the recorder stopped here: no END
  }
  auto link = format::link_to(seg0);
  EXPECT_TRUE(link.ok()) << (link.ok() ? "" : link.error().what());
  format::SessionInfo next = first;
  next.file_id[0] = 0x77;
  next.segment = 1;
  next.previous = *link;
  auto w = format::SessionWriter::create(format::segment_path(format::segment_base(seg0), 1), next);
  EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().what());
  EXPECT_TRUE((*w)->append(Event{12 * kS, format::Gap{format::Stream::output, 40, 900, 3,
                                                      format::Gap::Reason::recorder_down}}).ok());
  EXPECT_TRUE((*w)->append(Event{12 * kS + 500 * kMs, format::Output{"$ needle after restart\r\n"}}).ok());
  EXPECT_TRUE((*w)->finish(format::SessionEnd{format::SessionEnd::Reason::closed, 0}).ok());
  return seg0;
}

TEST_F(Spool, ASessionInTwoSegmentsIsSearchedOnceByItsFirstFile) {
  write_bob();
  const fs::path seg0 = write_two_segments(root_ / "2026/11/23", info("web1", 3, 9));
  const std::string name = "SPOOL/2026/11/23/web1-20261123T120300Z-pts3-00000009.tap";
  // The line is in segment 1; the hit names segment 0 with the session's time, which is what
  // `tapplay FILE@T` opens.
  const std::string hit = name + "@0:00:12.500  ?  $ needle after restart\n";
  ToolRun tree = run({"-F", "needle", root_.string()});
  EXPECT_EQ(tree.code, 0) << tree.err;
  EXPECT_EQ(tree.out, hit);
  EXPECT_EQ(tree.err, "");
  // Both files named, or only the later one: still the session once, by its first file.
  const std::string seg1 = format::segment_path(format::segment_base(seg0), 1).string();
  for (const std::vector<std::string>& files :
       {std::vector<std::string>{seg0.string(), seg1}, {seg1, seg0.string()}, {seg1}}) {
    std::vector<std::string> args = {"-F", "needle"};
    args.insert(args.end(), files.begin(), files.end());
    ToolRun r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, hit) << files.size() << " files";
  }
  // Lines of both segments: one session, one count.
  ToolRun count = run({"-c", "\\$", root_.string()});
  EXPECT_NE(count.out.find(name + ":2\n"), std::string::npos) << count.out;
  EXPECT_EQ(count.out.find("00000009"), count.out.rfind("00000009")) << count.out;
}

TEST_F(Spool, ABrokenSegmentLinkKeepsTheHitsBeforeItAndReportsTheSession) {
  const fs::path seg0 = write_two_segments(root_ / "2026/11/23", info("web1", 3, 9));
  // Segment 1 replaced by one whose link names no seal of segment 0.
  const fs::path seg1 = format::segment_path(format::segment_base(seg0), 1);
  fs::remove(seg1);
  format::SessionInfo forged = info("web1", 3, 9);
  forged.file_id[0] = 0x78;
  forged.segment = 1;
  forged.previous = format::SegmentLink{info("web1", 3, 9).file_id, {}, 0};
  write(fs::relative(seg1, root_).string(), forged,
        {Event{12 * kS, format::Output{"$ needle forged\r\n"}}});
  ToolRun r = run({"-F", "$ ", root_.string()});
  EXPECT_EQ(r.code, 0) << "the hit in segment 0 counts";
  EXPECT_NE(r.out.find("00000009.tap@0:00:01.000  ?  $ make\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("forged"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("broken segment link"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tap::grep
