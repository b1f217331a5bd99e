// tapconv on committed fixtures (tests/data/convert/) against expected files
// (tests/data/expected/convert/). TAP_UPDATE_EXPECTED=1 rewrites the expected files from the
// current output, to be reviewed in the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <vector>

#include "cli_util.hpp"
#include "corpus_util.hpp"
#include "tap/convert/cast_reader.hpp"
#include "tap/term/terminal.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/term/keyframer.hpp"

namespace tap::convert::test {
namespace {

void expect_matches(const fs::path& actual, const std::string& name, bool normalize_ids = false) {
  std::string got = read_file(actual);
  if (normalize_ids)
    got = std::regex_replace(got, std::regex("\"session_id\":\"[0-9a-f]{32}\""), "\"session_id\":\"0\"");
  fs::path want = expected_dir() / name;
  if (tap::test::env_flag("TAP_UPDATE_EXPECTED")) {
    fs::create_directories(expected_dir());
    write_file(want, got);
    return;
  }
  ASSERT_TRUE(fs::exists(want)) << want;
  EXPECT_EQ(got, read_file(want)) << "output of " << actual << " differs from " << want;
}

Run conv(const fs::path& dir, const std::string& args) { return sh(dir, tapconv() + " " + args); }

std::string in(const std::string& fixture) { return quote((data_dir() / fixture).string()); }

TEST(TapconvCli, AsciicastV2ThroughTapToEveryFormatMatchesExpectedFiles) {
  fs::path d = scratch_dir();
  auto r = conv(d, in("demo_v2.cast") + " demo.tap");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  struct Case {
    std::string args, out, expected;
    bool ids = false;
  } cases[] = {
      {"demo.tap out.cast", "out.cast", "demo_v2.v2.cast"},
      {"demo.tap out3.cast --to v3", "out3.cast", "demo_v2.v3.cast"},
      {"demo.tap out.raw", "out.raw", "demo_v2.raw"},
      {"demo.tap strip.txt --to strip", "strip.txt", "demo_v2.strip.txt"},
      {"demo.tap strip2.txt --strip", "strip2.txt", "demo_v2.strip.txt"},
      {"demo.tap out.jsonl", "out.jsonl", "demo_v2.jsonl", true},
      {"demo.tap ts --to script", "ts", "demo_v2.typescript"},
      {"demo.tap ts2 --to script", "ts2.timing", "demo_v2.typescript.timing"},
      {"demo.tap io.log --to log-io", "io.log", "demo_v2.log"},
      {"demo.tap io2.log --to log-io", "io2.log.timing", "demo_v2.log.timing"},
  };
  for (const auto& c : cases) {
    auto rc = conv(d, c.args);
    ASSERT_EQ(rc.status, 0) << c.args << ": " << rc.err;
    expect_matches(d / c.out, c.expected, c.ids);
  }
}

TEST(TapconvCli, TextIsTheRenderedLinesOfTheRecording) {
  fs::path d = scratch_dir();
  auto r = conv(d, in("demo_v2.cast") + " demo.tap");
  ASSERT_EQ(r.status, 0) << r.err;
  r = conv(d, "demo.tap out.txt");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // The prompt is written at the resize (every row is) and again when the next output grows
  // it; the 42-column "ls" line that wrapped at 40 columns is one line; the progress bar that
  // was redrawn in place only grew, so it is written once, complete; the full clear replaces
  // nothing that was not written already.
  EXPECT_EQ(read_file(d / "out.txt"),
            "alice@web01:~$ ls\n"
            "docs  notes.txt  run.sh  日本語.txt  😀.md\n"
            "alice@web01:~$\n"
            "alice@web01:~$ line 00: café é́ wide 中文 tab    here\n"
            "line 01: café é́ wide 中文 tab   here\n"
            "line 02: café é́ wide 中文 tab   here\n"
            "line 03: café é́ wide 中文 tab   here\n"
            "line 04: café é́ wide 中文 tab   here\n"
            "line 05: café é́ wide 中文 tab   here\n"
            "line 06: café é́ wide 中文 tab   here\n"
            "line 07: café é́ wide 中文 tab   here\n"
            "line 08: café é́ wide 中文 tab   here\n"
            "line 09: café é́ wide 中文 tab   here\n"
            "line 10: café é́ wide 中文 tab   here\n"
            "line 11: café é́ wide 中文 tab   here\n"
            "progress [##########] done\n"
            "cleared screen\n"
            "bye\n");
}

TEST(TapconvCli, EveryImportMatchesExpectedFiles) {
  fs::path d = scratch_dir();
  struct Case {
    std::string import_args, export_args, out, expected;
  } cases[] = {
      {in("demo_v1.cast") + " a.tap", "a.tap a.cast", "a.cast", "demo_v1.v2.cast"},
      {in("spec_v3.cast") + " b.tap", "b.tap b.cast --to v3", "b.cast", "spec_v3.v3.cast"},
      {in("spec_v3.cast") + " c.cast", "", "c.cast", "spec_v3.v2.cast"},
      {in("demo.typescript") + " d.tap", "d.tap d.cast", "d.cast", "demo_typescript.v2.cast"},
      {in("demo_io.log") + " e.tap --from log-io --timing " + in("demo_io.timing"), "e.tap e.cast --to v3", "e.cast",
       "demo_io.v3.cast"},
      {in("asciinema2_rec.cast") + " f.tap", "f.tap f.raw", "f.raw", "asciinema2_rec.raw"},
      {in("asciinema2_rec_nosize.cast") + " g.tap", "g.tap g.cast --to v3", "g.cast", "asciinema2_rec_nosize.v3.cast"},
  };
  for (const auto& c : cases) {
    auto r = conv(d, c.import_args);
    ASSERT_EQ(r.status, 0) << c.import_args << ": " << r.err;
    if (!c.export_args.empty()) {
      r = conv(d, c.export_args);
      ASSERT_EQ(r.status, 0) << c.export_args << ": " << r.err;
    }
    expect_matches(d / c.out, c.expected);
  }
}

TEST(TapconvCli, RefusesToReplaceAFileWithoutForce) {
  fs::path d = scratch_dir();
  write_file(d / "out.raw", "keep me");
  auto r = conv(d, in("demo_v2.cast") + " out.raw");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("tapconv: error: out.raw: exists (use --force to replace it)"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(d / "out.raw"), "keep me");
  r = conv(d, in("demo_v2.cast") + " out.raw --force");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_file(d / "out.raw"), "keep me");
  // No temporary files are left behind.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(d)) files += e.path().filename().string()[0] != '.' || e.path().filename().string().find("tapconv") != std::string::npos;
  EXPECT_EQ(files, 1u);
}

TEST(TapconvCli, UsageErrorsExitTwoWithOneLine) {
  fs::path d = scratch_dir();
  auto r = conv(d, in("demo_v2.cast") + " x --to bogus");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tapconv: error: --to: unknown output format \"bogus\"\n");
  r = conv(d, in("demo_v2.cast") + " x.cast --strip");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tapconv: error: --strip: only for text output (.txt or --to text)\n");
  r = conv(d, in("demo_v2.cast") + " x.unknown");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("cannot tell the output format"), std::string::npos) << r.err;
  ASSERT_EQ(conv(d, in("demo_v2.cast") + " d.tap").status, 0);
  r = conv(d, "d.tap x.raw --from-time 99:00");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--from-time"), std::string::npos) << r.err;
  r = conv(d, "");
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(fs::exists(d / "x"));
}

TEST(TapconvCli, MissingInputFailsNamingIt) {
  fs::path d = scratch_dir();
  auto r = conv(d, "nope.cast out.raw");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("tapconv: error: "), std::string::npos);
  EXPECT_NE(r.err.find("nope.cast"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(d / "out.raw"));
}

TEST(TapconvCli, ATruncatedCastConvertsEverythingBeforeTheFaultAndExitsOne) {
  fs::path d = scratch_dir();
  std::string cast = read_file(data_dir() / "demo_v2.cast");
  size_t cut = cast.find("progress [#####");
  ASSERT_NE(cut, std::string::npos);
  size_t line_start = cast.rfind('\n', cut) + 1;
  write_file(d / "cut.cast", cast.substr(0, cut));
  write_file(d / "whole_lines.cast", cast.substr(0, line_start));
  size_t line_no = static_cast<size_t>(std::count(cast.begin(), cast.begin() + static_cast<long>(line_start), '\n')) + 1;
  auto r = conv(d, "cut.cast cut.raw");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cut.cast: line " + std::to_string(line_no) + ": truncated event"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("everything before it was converted"), std::string::npos) << r.err;
  ASSERT_EQ(conv(d, "whole_lines.cast whole.raw").status, 0);
  EXPECT_EQ(read_file(d / "cut.raw"), read_file(d / "whole.raw"));
  EXPECT_GT(read_file(d / "cut.raw").size(), 100u);
  // Into .tap, the fault is marked as a gap the source caused.
  r = conv(d, "cut.cast cut.tap");
  EXPECT_EQ(r.status, 1);
  ASSERT_EQ(conv(d, "cut.tap cut.jsonl").status, 0);
  EXPECT_NE(read_file(d / "cut.jsonl").find("\"reason\":\"source-damaged\""), std::string::npos);
}

TEST(TapconvCli, CorruptJsonInTheMiddleNamesTheLine) {
  fs::path d = scratch_dir();
  write_file(d / "bad.cast", "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"ok\"]\n[1.0, \"o\" \"x\"]\n[2, \"o\", \"late\"]\n");
  auto r = conv(d, "bad.cast bad.raw");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("bad.cast: line 3: "), std::string::npos) << r.err;
  EXPECT_EQ(read_file(d / "bad.raw"), "ok");
}

TEST(TapconvCli, StandardInputAndOutput) {
  fs::path d = scratch_dir();
  auto r = sh(d, "cat " + in("demo_v2.cast") + " | " + tapconv() + " - - --to raw");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(conv(d, in("demo_v2.cast") + " file.raw").status, 0);
  EXPECT_EQ(r.out, read_file(d / "file.raw"));
  // .tap through a pipe both ways.
  r = sh(d, "cat " + in("demo_v2.cast") + " | " + tapconv() + " - - --to tap | " + tapconv() + " - - --from tap --to raw");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, read_file(d / "file.raw"));
  // Without --from, a pipe's format is recognised from its first bytes.
  r = sh(d, "cat " + in("demo_v2.cast") + " | " + tapconv() + " - - --to tap | " + tapconv() + " - - --to raw");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, read_file(d / "file.raw"));
  r = sh(d, "echo garbage | " + tapconv() + " - - --to raw");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tapconv: error: standard input: cannot tell its format (use --from)\n");
}

TEST(TapconvCli, ATimeWindowStartsAtZeroWithTheSizeInEffect) {
  fs::path d = scratch_dir();
  ASSERT_EQ(conv(d, in("demo_v2.cast") + " all.tap").status, 0);
  auto r = conv(d, "all.tap part.cast --from-time 3 --to-time 3.55");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string cast = read_file(d / "part.cast");
  // Resized to 50x10 at 2.5 s, before the window.
  EXPECT_EQ(cast.rfind("{\"version\": 2, \"width\": 50, \"height\": 10, \"timestamp\": 1795413239, ", 0), 0u) << cast;
  EXPECT_NE(cast.find("\"duration\": 0.550000"), std::string::npos) << cast;
  // First the screen as it was at 3 s (the prompt in colour, the ls output, the new prompt
  // with the cursor after it), then the part's own output.
  EXPECT_NE(cast.find("[0.000000, \"o\", \"\\u001b[0m\\u001b[H\\u001b[2J\\u001b[0;1;32malice@web01\\u001b[0m:"),
            std::string::npos) << cast;
  EXPECT_NE(cast.find("$\\u001b[4;16H\"]\n[0.000000, \"o\", \"line 00"), std::string::npos) << cast;
  EXPECT_NE(cast.find("[0.500000, \"o\", \"progress [  "), std::string::npos) << cast;
  EXPECT_EQ(cast.find("#####"), std::string::npos) << cast;
}

// The rows of the screen a terminal shows, as `tapplay --at T --format text` prints them.
std::string screen_text(const term::Terminal& t) {
  std::string s;
  for (int r = 0; r < t.rows(); ++r) s += t.row_text(r) + "\n";
  return s;
}

// The first output event of a cast: what a part cut from the middle starts with.
std::string first_output(const fs::path& cast, int* cols, int* rows) {
  auto dec = open_cast_reader(cast);
  EXPECT_TRUE(dec.ok()) << dec.error().what();
  if (!dec.ok()) return {};
  *cols = (*dec)->facts().cols;
  *rows = (*dec)->facts().rows;
  for (;;) {
    auto e = (*dec)->next();
    if (!e.ok() || *e == nullptr) return {};
    if (const auto* o = (*e)->get<format::Output>()) return o->data;
  }
}

TEST(TapconvCli, APartCutFromTheMiddleStartsWithTheScreenTapplayShowsThen) {
  fs::path d = scratch_dir();
  fs::path tapplay = fs::path(tap::test::binary_dir()) / "bin" / "tapplay";
  ASSERT_TRUE(fs::exists(tapplay)) << tapplay << " (built with tapconv's tests)";
  struct Case {
    std::string name;
    std::vector<std::string> times;
  } cases[] = {{"vim", {"30.3", "60.7", "79"}}, {"less", {"20.3", "50.7"}}, {"top", {"40.3"}}, {"shell", {"60.3"}}};
  for (const auto& c : cases) {
    write_file(d / (c.name + ".io"), unzstd_file(tap::test::source_dir() + "/tests/data/corpus/" + c.name + ".io.zst"));
    write_file(d / (c.name + ".tm"), unzstd_file(tap::test::source_dir() + "/tests/data/corpus/" + c.name + ".tm.zst"));
    // With keyframes (the cut starts from the last one before T) and without (replayed from
    // the start): the same screen.
    auto r = conv(d, c.name + ".io " + c.name + ".tap --from log-io --timing " + c.name + ".tm && " + tapconv() + " " +
                         c.name + ".tap " + c.name + "-nk.tap --no-keyframes");
    ASSERT_EQ(r.status, 0) << r.err;
    for (const auto& t : c.times) {
      const std::string what = c.name + " at " + t;
      r = conv(d, c.name + ".tap cut.cast --force --from-time " + t + " && " + tapconv() + " " + c.name +
                      "-nk.tap cut-nk.cast --force --from-time " + t);
      ASSERT_EQ(r.status, 0) << what << ": " << r.err;
      EXPECT_EQ(read_file(d / "cut.cast"), read_file(d / "cut-nk.cast")) << what;
      int cols = 0, rows = 0;
      std::string preamble = first_output(d / "cut.cast", &cols, &rows);
      ASSERT_EQ(preamble.rfind("\x1b[0m\x1b[H\x1b[2J", 0), 0u) << what;
      EXPECT_EQ(cols, 120) << what;
      EXPECT_EQ(rows, 40) << what;
      term::Terminal screen(cols, rows);
      screen.feed(preamble);
      auto at = sh(d, quote(tapplay.string()) + " " + c.name + ".tap --at " + t + " --format text");
      ASSERT_EQ(at.status, 0) << what << ": " << at.err;
      EXPECT_EQ(screen_text(screen), at.out) << what;
      // The alternate screen and the cursor too.
      auto json = sh(d, quote(tapplay.string()) + " " + c.name + ".tap --at " + t + " --format json");
      ASSERT_EQ(json.status, 0) << what << ": " << json.err;
      const auto cur = screen.cursor();
      const std::string state = std::string("\"alt_screen\":") + (screen.alt_screen() ? "true" : "false") +
                                ",\"cursor\":{\"row\":" + std::to_string(cur.row) + ",\"col\":" +
                                std::to_string(cur.col) + ",\"visible\":" + (cur.visible ? "true" : "false") + "}";
      EXPECT_NE(json.out.find(state), std::string::npos) << what << ": " << state << " in " << json.out.substr(0, 300);
    }
  }
}

TEST(TapconvCli, TextOfAPartCutFromTheMiddleStartsWithTheScreenThen) {
  fs::path d = scratch_dir();
  write_file(d / "vim.io", unzstd_file(tap::test::source_dir() + "/tests/data/corpus/vim.io.zst"));
  write_file(d / "vim.tm", unzstd_file(tap::test::source_dir() + "/tests/data/corpus/vim.tm.zst"));
  auto r = conv(d, "vim.io vim.tap --from log-io --timing vim.tm && " + tapconv() +
                       " vim.tap part.txt --from-time 30.3 --to-time 31");
  ASSERT_EQ(r.status, 0) << r.err;
  // vim's screen at 30.3 s (on the alternate screen, over the shell's command line).
  std::istringstream in(read_file(d / "part.txt"));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "alice@web01:~$ cp /usr/include/zstd.h demo.h && vim demo.h");
  EXPECT_EQ(lines[1], " 638");
  EXPECT_EQ(lines[2], " 639 /*! ZSTD_DCtx_setParameter() :");
}

TEST(TapconvCli, ImportsGetKeyframesThatSeekingUses) {
  fs::path d = scratch_dir();
  auto r = sh(d, "zstd -dcq " + quote((fs::path(tap::test::source_dir()) / "tests/data/corpus/bulk.io.zst").string()) +
                     " > bulk.io && zstd -dcq " +
                     quote((fs::path(tap::test::source_dir()) / "tests/data/corpus/bulk.tm.zst").string()) + " > bulk.tm");
  ASSERT_EQ(r.status, 0) << r.err;
  r = conv(d, "bulk.io bulk.tap --from log-io --timing bulk.tm");
  ASSERT_EQ(r.status, 0) << r.err;
  auto reader = format::SessionReader::open(d / "bulk.tap");
  ASSERT_TRUE(reader.ok()) << reader.error().what();
  EXPECT_TRUE((*reader)->info().imported);
  size_t keyframes = 0;
  uint64_t output = 0;
  for (;;) {
    auto e = (*reader)->next();
    ASSERT_TRUE(e.ok()) << e.error().what();
    if (*e == nullptr) break;
    keyframes += (*e)->kind() == format::EventKind::keyframe;
    if (const auto* o = (*e)->get<format::Output>()) output += o->data.size();
  }
  // One at least every 256 KiB of output (more where many lines scrolled).
  EXPECT_GE(keyframes, output / (256 * 1024) - 1) << output << " bytes of output";
  auto kf = (*reader)->seek_keyframe((*reader)->duration());
  ASSERT_TRUE(kf.ok()) << kf.error().what();
  EXPECT_TRUE(kf->has_value());
  EXPECT_TRUE((*reader)->status().complete);
}

// The output, input and resize lines of a JSON lines export ("t" has 9 decimals).
std::vector<std::string> io_lines(const std::string& jsonl) {
  std::vector<std::string> out;
  std::istringstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"kind\":\"output\"") != std::string::npos || line.find("\"kind\":\"input\"") != std::string::npos ||
        line.find("\"kind\":\"resize\"") != std::string::npos)
      out.push_back(line);
  }
  return out;
}

TEST(TapconvCli, TapThroughV2AndV3AndBackKeepsOutputInputResizesAndTimes) {
  fs::path d = scratch_dir();
  auto r = sh(d, "zstd -dcq " + quote((fs::path(tap::test::source_dir()) / "tests/data/corpus/shell.io.zst").string()) +
                     " > s.io && zstd -dcq " +
                     quote((fs::path(tap::test::source_dir()) / "tests/data/corpus/shell.tm.zst").string()) + " > s.tm");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(conv(d, "s.io s.tap --from log-io --timing s.tm").status, 0);
  ASSERT_EQ(conv(d, "s.tap s.jsonl").status, 0);
  auto want = io_lines(read_file(d / "s.jsonl"));
  ASSERT_GT(want.size(), 100u);
  for (std::string v : {"v2", "v3"}) {
    r = conv(d, "s.tap " + v + ".cast --to " + v + " && " + tapconv() + " " + v + ".cast " + v + ".tap && " + tapconv() +
                    " " + v + ".tap " + v + ".jsonl");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    // script's timing has microseconds, which both casts keep: the lines are identical.
    auto got = io_lines(read_file(d / (v + ".jsonl")));
    ASSERT_EQ(got.size(), want.size()) << v;
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << v << " line " << i;
    // And the end of the session.
    std::string a = read_file(d / "s.jsonl"), b = read_file(d / (v + ".jsonl"));
    EXPECT_EQ(b.substr(b.rfind("{\"t\":")).substr(0, 20), a.substr(a.rfind("{\"t\":")).substr(0, 20)) << v;
  }
}

// A session the recorder restarted in: segment 0 (40x10, lines from 0 s to 10 s, keyframes
// every KiB of output, cut without END), segment 1 from 12 s with the recorder's gap record
// first; and the same events in one file without keyframes, to compare with.
void write_two_segments(const fs::path& d) {
  format::SessionInfo info;
  for (int i = 0; i < 16; ++i) {
    info.session_id[i] = static_cast<uint8_t>(0x30 + i);
    info.file_id[i] = static_cast<uint8_t>(0x60 + i);
  }
  info.start_wall_ns = 1'795'435'200'000'000'000;
  info.host_name = "web1";
  info.recorder = "tapconv test";
  std::vector<format::Event> first = {{0, format::Resize{40, 10}}}, second;
  for (int i = 0; i < 200; ++i)
    first.push_back({i * 50'000'000LL, format::Output{"\x1b[1mseg0\x1b[0m line " + std::to_string(i) + "\r\n"}});
  second.push_back({12'000'000'000LL, format::Gap{format::Stream::output, 0, 900, 3, format::Gap::Reason::recorder_down}});
  for (int i = 0; i < 100; ++i)
    second.push_back({12'000'000'000LL + i * 50'000'000LL, format::Output{"seg1 line " + std::to_string(i) + "\r\n"}});
  const format::SessionEnd end{format::SessionEnd::Reason::closed, 0};
  {
    auto w = format::SessionWriter::create(d / "s.tap", info);
    ASSERT_TRUE(w.ok()) << w.error().what();
    term::KeyframeRule rule;
    rule.output_bytes = 1024;
    term::KeyframingWriter kw(**w, rule);
    for (const auto& e : first) {
      ASSERT_TRUE(kw.append(e).ok());
      ASSERT_TRUE((*w)->tick(e.time).ok());
    }
    ASSERT_TRUE((*w)->flush().ok());  // the recorder stopped here
  }
  auto link = format::link_to(d / "s.tap");
  ASSERT_TRUE(link.ok()) << link.error().what();
  format::SessionInfo next = info;
  next.file_id[0] = 0x99;
  next.segment = 1;
  next.previous = *link;
  {
    auto w = format::SessionWriter::create(d / "s.seg1.tap", next);
    ASSERT_TRUE(w.ok()) << w.error().what();
    for (const auto& e : second) ASSERT_TRUE((*w)->append(e).ok());
    ASSERT_TRUE((*w)->finish(end).ok());
  }
  auto w = format::SessionWriter::create(d / "one.tap", info);
  ASSERT_TRUE(w.ok()) << w.error().what();
  for (const auto* part : {&first, &second})
    for (const auto& e : *part) ASSERT_TRUE((*w)->append(e).ok());
  ASSERT_TRUE((*w)->finish(end).ok());
}

TEST(TapconvCli, ASessionInTwoSegmentsConvertsWholeFromItsFirstFile) {
  fs::path d = scratch_dir();
  write_two_segments(d);
  auto r = conv(d, "s.tap s.jsonl && " + tapconv() + " one.tap one.jsonl");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string jsonl = read_file(d / "s.jsonl");
  // Every output of both segments at its session time, as the single file has them.
  const auto got = io_lines(jsonl);
  EXPECT_EQ(got, io_lines(read_file(d / "one.jsonl")));
  EXPECT_EQ(got.size(), 1u + 200u + 100u);
  // The downtime between the segments is in it: the gap record, at the restart.
  EXPECT_NE(jsonl.find("\"kind\":\"gap\""), std::string::npos) << jsonl.substr(0, 400);
  EXPECT_NE(jsonl.find("recorder-down"), std::string::npos);
  // asciicast v2 has no place for the gap (tapconv says so); the output of segment 1 is there.
  r = conv(d, "s.tap s.cast");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "tapconv: warning: 1 events asciicast v2 cannot hold were left out (see docs/convert.md)\n");
  const std::string cast = read_file(d / "s.cast");
  EXPECT_NE(cast.find("[12.000000, \"o\", \"seg1 line 0\\r\\n\"]"), std::string::npos);
  EXPECT_NE(cast.find("seg1 line 99"), std::string::npos);
  EXPECT_NE(cast.find("\"duration\": 16.950000"), std::string::npos) << cast.substr(0, 200);
}

TEST(TapconvCli, ACutInALaterSegmentStartsFromAKeyframeOfAnEarlierOne) {
  fs::path d = scratch_dir();
  write_two_segments(d);
  fs::path tapplay = fs::path(tap::test::binary_dir()) / "bin" / "tapplay";
  // In segment 0 (its own keyframe), in the downtime, and in segment 1 (the screen carries over
  // from segment 0's last keyframe): what the single file without keyframes gives.
  for (const std::string t : {"5.02", "11", "13.01"}) {
    auto r = conv(d, "s.tap cut.cast --force --from-time " + t + " --to-time 16 && " + tapconv() +
                         " one.tap cut-one.cast --force --from-time " + t + " --to-time 16");
    ASSERT_EQ(r.status, 0) << t << ": " << r.err;
    EXPECT_EQ(read_file(d / "cut.cast"), read_file(d / "cut-one.cast")) << t;
    if (!fs::exists(tapplay)) continue;
    int cols = 0, rows = 0;
    term::Terminal screen(40, 10);
    screen.feed(first_output(d / "cut.cast", &cols, &rows));
    auto at = sh(d, quote(tapplay.string()) + " s.tap --at " + t + " --format text");
    ASSERT_EQ(at.status, 0) << t << ": " << at.err;
    EXPECT_EQ(screen_text(screen), at.out) << t;
  }
}

TEST(TapconvCli, ABrokenSegmentLinkConvertsEverythingBeforeItAndExitsOne) {
  fs::path d = scratch_dir();
  write_two_segments(d);
  // Segment 1 replaced by one whose link names no seal of segment 0.
  auto first = format::SessionReader::open(d / "s.tap");
  ASSERT_TRUE(first.ok());
  format::SessionInfo forged = (*first)->info();
  forged.file_id[0] = 0x98;
  forged.segment = 1;
  forged.previous = format::SegmentLink{(*first)->info().file_id, {}, 0};
  fs::remove(d / "s.seg1.tap");
  auto w = format::SessionWriter::create(d / "s.seg1.tap", forged);
  ASSERT_TRUE(w.ok()) << w.error().what();
  ASSERT_TRUE((*w)->append({12'000'000'000LL, format::Output{"forged\r\n"}}).ok());
  ASSERT_TRUE((*w)->finish({format::SessionEnd::Reason::closed, 0}).ok());
  auto r = conv(d, "s.tap s.jsonl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("tapconv: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("broken segment link"), std::string::npos) << r.err;
  const std::string jsonl = read_file(d / "s.jsonl");
  EXPECT_EQ(io_lines(jsonl).size(), 1u + 200u);
  EXPECT_EQ(jsonl.find("forged"), std::string::npos);
}

TEST(TapconvCli, VersionAndHelp) {
  fs::path d = scratch_dir();
  auto r = conv(d, "--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("tapconv ", 0), 0u) << r.out;
  r = conv(d, "--help");
  EXPECT_EQ(r.status, 0);
  for (const char* opt : {"--from", "--to", "--force", "--from-time", "--to-time", "--timing"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

}  // namespace
}  // namespace tap::convert::test
