// tapinfo and tapverify as a user runs them: output equal to tests/data/expected/format/, and
// nothing from a recording reaches the terminal raw.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "file_surgery.hpp"
#include "format_test_util.hpp"
#include "require.hpp"

namespace tap::format {
namespace {

// Runs `cmd` in the source tree; returns its stdout and sets *rc.
std::string run(const std::string& cmd, int* rc) {
  std::string full = "cd " + tap::test::source_dir() + " && " + cmd + " 2>/dev/null";
  FILE* p = ::popen(full.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string bin(const char* tool) { return tap::test::binary_dir() + "/bin/" + tool; }
std::string expected(const char* name) {
  return test::read_file(tap::test::source_dir() + "/tests/data/expected/format/" + name);
}

TEST(TapinfoCli, DescribesTheSampleAsExpected) {
  int rc = -1;
  EXPECT_EQ(run(bin("tapinfo") + " --keyring samples/keys samples/session.tap", &rc),
            expected("tapinfo-session.txt"));
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(run(bin("tapinfo") + " --json --keyring samples/keys samples/session.tap samples/crashed.tap", &rc),
            expected("tapinfo-session.json"));
  EXPECT_EQ(rc, 0);  // a torn tail is a warning
}

TEST(TapverifyCli, ReportsTheSamplesAsExpected) {
  int rc = -1;
  EXPECT_EQ(run(bin("tapverify") + " --keyring samples/keys samples/session.tap samples/crashed.tap "
                "samples/unsigned.tap", &rc),
            expected("tapverify-samples.txt"));
  EXPECT_EQ(rc, 4);
}

TEST(TapinfoCli, NeverPrintsEscapeSequencesFromARecording) {
  test::TempDir dir;
  SessionInfo info = test::sample_info();
  info.host_name = "evil\x1b]0;owned\x07host\x9b" "31m";
  info.recorder = "\x1b[2Jrec";
  auto w = SessionWriter::create(dir / "evil.tap", info);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->append(Event{0, Opener{0, 1, Opener::Source::loginuid, "root\x1b[8m"}}));
  ASSERT_TRUE((*w)->append(Event{1, WriterChange{2, 0, 0, 0, "sh\x1b]52;c;Zm9v\x07"}}));
  ASSERT_TRUE((*w)->append(Event{2, Marker{Marker::Kind::title, "\x1b]2;title\x07\r"}}));
  ASSERT_TRUE((*w)->append(Event{3, Exec{3, 0, 0, "/bin/\x1bP+q", "x"}}));
  ASSERT_TRUE((*w)->append(Event{4, Output{"\x1b[31mred\x1b[0m"}}));
  ASSERT_TRUE((*w)->finish(SessionEnd{}));
  for (const char* flags : {"--events", "--json"}) {
    int rc = -1;
    std::string out = run(bin("tapinfo") + " " + flags + " " + (dir / "evil.tap").string(), &rc);
    EXPECT_EQ(rc, 0);
    EXPECT_NE(out.find("evil"), std::string::npos) << flags;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << flags;
    EXPECT_EQ(out.find('\x07'), std::string::npos) << flags;
    EXPECT_EQ(out.find('\r'), std::string::npos) << flags;
    EXPECT_EQ(out.find('\x9b'), std::string::npos) << flags;
  }
}

TEST(TapinfoCli, FailsCleanlyOnBadInput) {
  int rc = -1;
  run(bin("tapinfo") + " tests/data/corrupt/not-tap.tap", &rc);
  EXPECT_EQ(rc, 1);
  run(bin("tapinfo") + " /nonexistent.tap", &rc);
  EXPECT_EQ(rc, 1);
  run(bin("tapinfo"), &rc);
  EXPECT_EQ(rc, 2);
  std::string out = run(bin("tapinfo") + " tests/data/corrupt/payload-crc.tap", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("events"), std::string::npos);  // what preceded the fault is described
  std::string v = run(bin("tapinfo") + " --version", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(v.rfind("tapinfo ", 0), 0u);
}

TEST(Truncation, TapverifyExitsOneForACutFileAndZeroForTheWholeOne) {
  const std::string bin = tap::test::binary_dir() + "/bin/tapverify";
  const std::string src = tap::test::source_dir();
  test::TempDir dir;
  const std::string file = test::read_file(src + "/samples/session.tap");
  auto recs = surgery::records(file);
  for (size_t cut : {file.size() / 3, recs[10].offset + 5, file.size() - 1, file.size() - 24}) {
    test::write_file(dir / "cut.tap", file.substr(0, cut));
    std::string cmd = bin + " -q --keyring " + src + "/samples/keys " + (dir / "cut.tap").string();
    int rc = std::system(cmd.c_str());
    EXPECT_EQ(WEXITSTATUS(rc), 1) << "cut at " << cut;
  }
  std::string cmd = bin + " -q --keyring " + src + "/samples/keys " + src + "/samples/session.tap";
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 0);
}

}  // namespace
}  // namespace tap::format
