// tapplay run as a program on recordings written from code; renderings compared with the files
// in tests/data/expected/replay/ (TAP_UPDATE_EXPECTED=1 rewrites them; review the diff).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "require.hpp"
#include "sample_session.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/replay/replay_index.hpp"

namespace tap::replay {
namespace {

using namespace tap::replay::test;

class TapplayCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = scratch_dir("cli-" + name);
    sample_ = dir_ / "sample.tap";
    write_session(sample_, sample_events());
  }
  // tapplay with a private cache directory.
  RunResult tapplay(const std::string& args) {
    return run("XDG_CACHE_HOME=" + (dir_ / "cache").string() + " " + tapplay_path() + " " + args);
  }
  std::filesystem::path dir_, sample_;
};

std::filesystem::path expected_dir() {
  return std::filesystem::path(tap::test::source_dir()) / "tests" / "data" / "expected" / "replay";
}

void expect_matches_file(const std::string& got, const std::string& name) {
  const auto path = expected_dir() / name;
  if (tap::test::env_flag("TAP_UPDATE_EXPECTED")) {
    std::filesystem::create_directories(expected_dir());
    write_file(path, got);
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " missing (TAP_UPDATE_EXPECTED=1 makes it)";
  EXPECT_EQ(got, read_file(path)) << "differs from " << path;
}

bool one_error_line(const std::string& err) {
  return err.rfind("tapplay: error: ", 0) == 0 && err.find('\n') == err.size() - 1;
}

TEST_F(TapplayCli, EveryFormatMatchesItsExpectedFile) {
  const std::vector<std::pair<std::string, std::string>> times = {{"1", "1s"}, {"5.5", "5.5s"}};
  for (const auto& [t, tag] : times) {
    for (const std::string format : {"text", "ansi", "html", "svg", "json"}) {
      auto r = tapplay(sample_.string() + " --at " + t + " --format " + format);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.err, "");
      expect_matches_file(r.out, "sample-" + tag + "." + format);
    }
  }
  auto r = tapplay(sample_.string() + " --at end");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_matches_file(r.out, "sample-end.text");
}

TEST_F(TapplayCli, TextAtOneSecondShowsWhatTheSessionPrinted) {
  auto r = tapplay(sample_.string() + " --at 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "$ ls\nbold red it-ul rev\nc208 true strike\n"
            "wide: \xe6\xbc\xa2\xe5\xad\x97| e\xcc\x81 <&>\n\n\n\n\n");
}

TEST_F(TapplayCli, JsonNamesWhoWasWriting) {
  auto before = tapplay(sample_.string() + " --at 3 --format json");
  auto after = tapplay(sample_.string() + " --at 4 --format json");
  ASSERT_EQ(before.exit_code, 0) << before.err;
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_NE(before.out.find("\"writer\":{\"pid\":4243,\"uid\":1000"), std::string::npos);
  EXPECT_NE(after.out.find("\"writer\":{\"pid\":4300,\"uid\":0,\"euid\":0"), std::string::npos);
  EXPECT_NE(after.out.find("\"opener\":{\"uid\":1000,\"pid\":4242,\"user\":\"alice\""), std::string::npos);
}

TEST_F(TapplayCli, FileAtTIsTheSameAsAt) {
  auto a = tapplay(sample_.string() + "@0:05.5 --format json");
  auto b = tapplay(sample_.string() + " --at 5.5 --format json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("\"alt_screen\":true"), std::string::npos);
}

TEST_F(TapplayCli, AcceptsEveryTimeForm) {
  auto reference = tapplay(sample_.string() + " --at 3.2 --format json");
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  // Started 12:00:00Z in a zone one hour east: 13:00 on the recording's clock.
  for (const std::string t : {"0:03.2", "0:00:03.200", "@13:00:03.2", "2026-11-23T12:00:03.2Z",
                              "2026-11-23T13:00:03.200+01:00"}) {
    auto r = tapplay(sample_.string() + " --at " + t + " --format json");
    ASSERT_EQ(r.exit_code, 0) << t << ": " << r.err;
    EXPECT_EQ(r.out, reference.out) << t;
  }
  auto end = tapplay(sample_.string() + " --at end");
  auto ten = tapplay(sample_.string() + " --at 10");
  ASSERT_EQ(end.exit_code, 0) << end.err;
  EXPECT_EQ(end.out, ten.out);
  auto zero = tapplay(sample_.string() + " --at 0");
  ASSERT_EQ(zero.exit_code, 0) << zero.err;
  EXPECT_EQ(zero.out, std::string(8, '\n'));
}

TEST_F(TapplayCli, RefusesTimesOutsideTheRecordingInOneLine) {
  for (const std::string t : {"10.001", "1:00:00", "@12:59", "2026-11-24T00:00:00Z", "-1", "soon",
                              "1:2:3:4", "@25:00"}) {
    auto r = tapplay(sample_.string() + " --at " + t);
    EXPECT_EQ(r.exit_code, 2) << t;
    EXPECT_TRUE(one_error_line(r.err)) << t << ": " << r.err;
    EXPECT_EQ(r.out, "") << t;
  }
}

TEST_F(TapplayCli, PlaysIntoAPipeAtFullSpeedByteForByte) {
  auto events = sample_events();
  auto r = tapplay("--speed 0 " + sample_.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, output_bytes(events));
  // A larger recording with keyframes, and the same through standard input.
  auto big = scrolling_events(700 * 1024, 30);
  write_session(dir_ / "big.tap", big, 64 * 1024);
  auto file = tapplay("--speed 0 " + (dir_ / "big.tap").string());
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_TRUE(file.out == output_bytes(big));
  auto piped = tapplay("--speed 0 - < " + (dir_ / "big.tap").string());
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_TRUE(piped.out == output_bytes(big));
}

TEST_F(TapplayCli, KeepsTheOriginalTimingWithinTheIdleLimit) {
  const auto start = std::chrono::steady_clock::now();
  auto r = tapplay("--idle-limit 0.2 " + sample_.string());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, output_bytes(sample_events()));
  // 12 pauses between events, each cut to at most 0.2 s; the shorter ones (0.1 s) kept.
  EXPECT_GT(secs, 1.0);
  EXPECT_LT(secs, 4.0);
  const auto fast_start = std::chrono::steady_clock::now();
  auto fast = tapplay("--speed 20 " + sample_.string());
  const double fast_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fast_start).count();
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_GT(fast_secs, 0.45);  // 10 s at 20×
  EXPECT_LT(fast_secs, 2.5);
}

TEST_F(TapplayCli, PlaysATruncatedRecordingUpToItsLastIntactRecordWithAWarning) {
  auto events = scrolling_events(300 * 1024, 30);
  write_session(dir_ / "full.tap", events);
  const std::string bytes = read_file(dir_ / "full.tap");
  const std::string raw = output_bytes(events);
  for (size_t cut : {bytes.size() - 5, bytes.size() * 3 / 4, bytes.size() / 2, bytes.size() / 5}) {
    write_file(dir_ / "cut.tap", bytes.substr(0, cut));
    auto r = tapplay("--speed 0 " + (dir_ / "cut.tap").string());
    EXPECT_EQ(r.exit_code, 0) << "cut " << cut << ": " << r.err;
    EXPECT_NE(r.err.find("tapplay: warning: "), std::string::npos) << "cut " << cut;
    EXPECT_TRUE(raw.compare(0, r.out.size(), r.out) == 0) << "not a prefix, cut " << cut;
    EXPECT_GT(r.out.size(), 0u);
    auto at = tapplay((dir_ / "cut.tap").string() + "@end");
    EXPECT_EQ(at.exit_code, 0) << at.err;
  }
}

TEST_F(TapplayCli, StopsAtCorruptionWithAnErrorAndNeverCrashes) {
  auto events = scrolling_events(300 * 1024, 30);
  write_session(dir_ / "full.tap", events);
  const std::string bytes = read_file(dir_ / "full.tap");
  const std::string raw = output_bytes(events);
  int failures = 0;
  for (int i = 1; i < 8; ++i) {
    std::string bad = bytes;
    const size_t at = bytes.size() * i / 8;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    write_file(dir_ / "bad.tap", bad);
    auto r = tapplay("--speed 0 " + (dir_ / "bad.tap").string());
    EXPECT_LT(r.exit_code, 128) << "crashed with byte " << at << " flipped";
    EXPECT_TRUE(raw.compare(0, r.out.size(), r.out) == 0) << "invented output, byte " << at;
    if (r.exit_code != 0) {
      ++failures;
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_NE(r.err.find("tapplay: error: "), std::string::npos);
    }
    auto json = tapplay((dir_ / "bad.tap").string() + " --at 0:01 --format json");
    EXPECT_LT(json.exit_code, 128);
  }
  EXPECT_GT(failures, 0) << "no flipped byte was noticed";
}

TEST_F(TapplayCli, RefusesWhatIsNotARecordingInOneLine) {
  write_file(dir_ / "junk.tap", std::string(5000, 'x'));
  write_file(dir_ / "empty.tap", "");
  for (const std::string f : {"junk.tap", "empty.tap", "missing.tap"}) {
    auto r = tapplay("--speed 0 " + (dir_ / f).string());
    EXPECT_EQ(r.exit_code, 1) << f;
    EXPECT_TRUE(one_error_line(r.err)) << f << ": " << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(TapplayCli, ReportsUsageErrors) {
  for (const std::string& args : std::vector<std::string>{"--format html " + sample_.string(), "--speed -1 " + sample_.string(),
        sample_.string() + "@1 --at 2", "--at 1 --format png " + sample_.string(),
        "--idle-limit 0 " + sample_.string(), "--follow --at 1 " + sample_.string(), ""}) {
    auto r = tapplay(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_TRUE(one_error_line(r.err)) << args << ": " << r.err;
  }
  auto v = tapplay("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("tapplay ", 0), 0u);
  auto h = tapplay("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--idle-limit"), std::string::npos);
}

// Segment 0 cut by a crash at 10 s, segment 1 after the recorder came back at 12 s (its gap
// record first, as taprec writes it), and the same events in one file to compare with.
struct TwoSegments {
  std::vector<format::Event> first, second, all;
};

TwoSegments write_two_segments(const std::filesystem::path& dir) {
  TwoSegments s;
  s.first = sample_events();
  s.first.pop_back();  // no END: the recorder stopped here
  s.second.push_back({12 * kSecond, format::Gap{format::Stream::output, 0, 900, 3,
                                                format::Gap::Reason::recorder_down}});
  for (int i = 0; i < 6; ++i) {
    s.second.push_back({12 * kSecond + i * 500'000'000LL,
                        format::Output{"after restart " + std::to_string(i) + "\r\n"}});
  }
  s.second.push_back({15 * kSecond, format::SessionEnd{format::SessionEnd::Reason::closed, 0}});
  write_session(dir / "s.tap", s.first, 0, /*finish=*/false);
  write_next_segment(dir / "s.tap", 1, s.second);
  s.all = s.first;
  s.all.insert(s.all.end(), s.second.begin(), s.second.end());
  write_session(dir / "one.tap", s.all, 0, true, 3);
  return s;
}

TEST_F(TapplayCli, PlaysTheWholeSessionFromAnyOfItsSegments) {
  const TwoSegments s = write_two_segments(dir_);
  for (const std::string f : {"s.tap", "s.seg1.tap"}) {
    auto r = tapplay("--speed 0 " + (dir_ / f).string());
    ASSERT_EQ(r.exit_code, 0) << f << ": " << r.err;
    EXPECT_EQ(r.err, "") << f;
    EXPECT_EQ(r.out, output_bytes(s.first) + output_bytes(s.second)) << f;
  }
}

TEST_F(TapplayCli, RendersATimeInALaterSegmentGivenTheFirstSegmentsPath) {
  write_two_segments(dir_);
  // In segment 0, in the downtime between the two, in segment 1 and at the end: the screen is
  // the one the same events in a single file give.
  for (const std::string t : {"4", "11", "13.2", "end"}) {
    for (const std::string format : {"text", "json"}) {
      auto joined = tapplay((dir_ / "s.tap").string() + " --at " + t + " --format " + format);
      auto single = tapplay((dir_ / "one.tap").string() + " --at " + t + " --format " + format);
      ASSERT_EQ(joined.exit_code, 0) << t << ": " << joined.err;
      ASSERT_EQ(single.exit_code, 0) << t << ": " << single.err;
      EXPECT_EQ(joined.out, single.out) << "at " << t << " " << format;
    }
  }
  auto at = tapplay((dir_ / "s.tap").string() + "@13.2");
  ASSERT_EQ(at.exit_code, 0) << at.err;
  EXPECT_NE(at.out.find("after restart 2\n"), std::string::npos) << at.out;
  EXPECT_EQ(at.out.find("after restart 3"), std::string::npos) << at.out;
}

TEST_F(TapplayCli, SeeksALargeSessionThroughItsCacheAcrossSegments) {
  // No keyframes in the files: the replay cache builds them, numbered over the whole session.
  auto events = scrolling_events(2400 * 1024, 20);
  std::vector<format::Event> first, second;
  for (const auto& e : events) {
    if (e.get<format::SessionEnd>()) continue;
    (e.time < 10 * kSecond ? first : second).push_back(e);
  }
  second.push_back({20 * kSecond, format::SessionEnd{format::SessionEnd::Reason::closed, 0}});
  write_session(dir_ / "big.tap", first, 0, /*finish=*/false);
  write_next_segment(dir_ / "big.tap", 1, second);
  std::vector<format::Event> all = first;
  all.insert(all.end(), second.begin(), second.end());
  write_session(dir_ / "one.tap", all, 0, true, 3);
  ASSERT_GE(std::filesystem::file_size(dir_ / "big.tap") +
                std::filesystem::file_size(dir_ / "big.seg1.tap"),
            ReplayIndex::kCacheMinBytes);
  for (const std::string t : {"15.5", "19", "3"}) {
    auto joined = tapplay((dir_ / "big.tap").string() + " --at " + t);
    auto single = tapplay((dir_ / "one.tap").string() + " --at " + t);
    ASSERT_EQ(joined.exit_code, 0) << joined.err;
    ASSERT_EQ(single.exit_code, 0) << single.err;
    EXPECT_EQ(joined.err, "");
    EXPECT_EQ(joined.out, single.out) << "at " << t;
  }
  // One cache entry for the session, named after its two files.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "cache" / "tap")) {
    const std::string name = e.path().filename().string();
    if (name.find("-2.tapidx") != std::string::npos) ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST_F(TapplayCli, StopsAtABrokenSegmentLinkWithOneErrorLine) {
  const TwoSegments s = write_two_segments(dir_);
  // A segment 1 whose link names no seal segment 0 holds.
  std::filesystem::remove(dir_ / "s.seg1.tap");
  auto info = sample_info(2);
  info.segment = 1;
  info.previous = format::SegmentLink{sample_info(1).file_id, {}, 0};
  auto writer = format::SessionWriter::create(dir_ / "s.seg1.tap", info);
  ASSERT_TRUE(writer.ok()) << writer.error().what();
  ASSERT_TRUE((*writer)->append({12 * kSecond, format::Output{"forged\r\n"}}).ok());
  ASSERT_TRUE((*writer)->finish({format::SessionEnd::Reason::closed, 0}).ok());
  auto r = tapplay("--speed 0 " + (dir_ / "s.tap").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, output_bytes(s.first));
  EXPECT_TRUE(one_error_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("segment link"), std::string::npos) << r.err;
}

TEST_F(TapplayCli, FollowsTheSessionIntoASegmentStartedWhilePlaying) {
  auto first = sample_events();
  first.pop_back();
  write_session(dir_ / "s.tap", first, 0, /*finish=*/false);
  RunResult r;
  std::thread player([&] { r = tapplay("--follow --speed 0 " + (dir_ / "s.tap").string()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  write_next_segment(dir_ / "s.tap", 1,
                     {{12 * kSecond, format::Output{"second segment\r\n"}},
                      {13 * kSecond, format::SessionEnd{format::SessionEnd::Reason::closed, 0}}});
  player.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, output_bytes(first) + "second segment\r\n");
}

TEST_F(TapplayCli, FollowsARecordingWhileItIsWritten) {
  const auto path = dir_ / "live.tap";
  auto writer = format::SessionWriter::create(path, sample_info(5));
  ASSERT_TRUE(writer.ok()) << writer.error().what();
  std::string expected;
  auto put = [&](int64_t ms, const std::string& text) {
    ASSERT_TRUE((*writer)->append({ms * 1'000'000, format::Output{text}}).ok());
    ASSERT_TRUE((*writer)->flush().ok());
    expected += text;
  };
  put(0, "first\r\n");
  RunResult r;
  std::thread player([&] { r = tapplay("--follow --speed 0 " + path.string()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  put(100, "second\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  put(200, "third\r\n");
  ASSERT_TRUE((*writer)->finish({format::SessionEnd::Reason::closed, 0}).ok());
  player.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
}

TEST_F(TapplayCli, PlaysAndRendersAsciicastFiles) {
  const std::string cast =
      "{\"version\": 2, \"width\": 20, \"height\": 4, \"timestamp\": 1795435200}\n"
      "[0.5, \"o\", \"hello \\u001b[1;32mgreen\\u001b[0m\\r\\n\"]\n"
      "[1.0, \"m\", \"mark\"]\n"
      "[1.5, \"o\", \"second line\\r\\n\"]\n";
  write_file(dir_ / "demo.cast", cast);
  write_file(dir_ / "demo.json", cast);  // found by its content, not its name
  const std::string raw = "hello \x1b[1;32mgreen\x1b[0m\r\nsecond line\r\n";
  for (const std::string f : {"demo.cast", "demo.json"}) {
    auto played = tapplay("--speed 0 " + (dir_ / f).string());
    ASSERT_EQ(played.exit_code, 0) << played.err;
    EXPECT_EQ(played.out, raw);
  }
  auto at = tapplay((dir_ / "demo.cast").string() + "@0.7");
  ASSERT_EQ(at.exit_code, 0) << at.err;
  EXPECT_EQ(at.out, "hello green\n\n\n\n");
  auto piped = tapplay("- --at end < " + (dir_ / "demo.cast").string());
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out, "hello green\nsecond line\n\n\n");
  // A damaged cast plays up to the damage, then fails in one line.
  write_file(dir_ / "bad.cast", cast.substr(0, cast.size() - 20) + "broken\n");
  auto bad = tapplay("--speed 0 " + (dir_ / "bad.cast").string());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out, "hello \x1b[1;32mgreen\x1b[0m\r\n");
  EXPECT_TRUE(one_error_line(bad.err)) << bad.err;
}

}  // namespace
}  // namespace tap::replay
