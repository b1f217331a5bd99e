#include "tap/replay/seek.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "require.hpp"
#include "sample_session.hpp"
#include "tap/replay/recording.hpp"
#include "tap/replay/replay_index.hpp"

namespace tap::replay {
namespace {

using namespace tap::replay::test;
using format::Nanos;

// The reference: every event with time <= t applied to a fresh terminal, from the start.
term::Terminal full_replay(const std::vector<format::Event>& events, Nanos t) {
  term::Terminal term(kDefaultCols, kDefaultRows);
  for (const auto& e : events) {
    if (e.time > t) break;
    apply_event(term, e);
  }
  return term;
}

// Everything a renderer shows: size, both buffers' cells, cursor, shown buffer, title.
void expect_same_screen(const term::Terminal& got, const term::Terminal& want, Nanos t) {
  ASSERT_EQ(got.cols(), want.cols()) << "t=" << t;
  ASSERT_EQ(got.rows(), want.rows()) << "t=" << t;
  EXPECT_EQ(got.alt_screen(), want.alt_screen()) << "t=" << t;
  EXPECT_EQ(got.cursor(), want.cursor()) << "t=" << t;
  EXPECT_EQ(got.title(), want.title()) << "t=" << t;
  for (auto buffer : {term::Buffer::primary, term::Buffer::alternate}) {
    for (int row = 0; row < want.rows(); ++row) {
      for (int col = 0; col < want.cols(); ++col) {
        ASSERT_EQ(got.cell(buffer, row, col), want.cell(buffer, row, col))
            << "t=" << t << " buffer " << static_cast<int>(buffer) << " row " << row << " col " << col;
      }
    }
  }
}

void expect_screens_match(const std::filesystem::path& file, const std::vector<format::Event>& events,
                          const ReplayIndex* index, int samples) {
  auto reader = format::SessionReader::open(file);
  ASSERT_TRUE(reader.ok()) << reader.error().what();
  const Nanos duration = (*reader)->duration();
  std::mt19937_64 rng(42);
  std::vector<Nanos> times = {0, duration, duration / 2};
  for (int i = 0; i < samples; ++i) times.push_back(static_cast<Nanos>(rng() % (duration + 1)));
  // Event times exactly, where off-by-one errors live.
  for (int i = 0; i < 5; ++i) times.push_back(events[rng() % events.size()].time);
  for (Nanos t : times) {
    auto pos = screen_at(**reader, index, t);
    ASSERT_TRUE(pos.ok()) << pos.error().what();
    EXPECT_FALSE(pos->fault.has_value());
    expect_same_screen(pos->terminal, full_replay(events, t), t);
    if (pos->pending) {
      EXPECT_GT(pos->pending->time, t);
    }
  }
}

TEST(ScreenAt, EqualsAFullReplayAtRandomTimesWithTheRecordingsKeyframes) {
  auto dir = scratch_dir("ScreenAtKeyframes");
  auto events = scrolling_events(600 * 1024, 60);
  write_session(dir / "s.tap", events, 16 * 1024);
  expect_screens_match(dir / "s.tap", events, nullptr, 20);
}

TEST(ScreenAt, EqualsAFullReplayWithoutKeyframes) {
  auto dir = scratch_dir("ScreenAtNoKeyframes");
  auto events = scrolling_events(100 * 1024, 20);
  write_session(dir / "s.tap", events);
  expect_screens_match(dir / "s.tap", events, nullptr, 10);
}

TEST(ScreenAt, EqualsAFullReplayWithCachedKeyframes) {
  auto dir = scratch_dir("ScreenAtCached");
  auto events = scrolling_events(600 * 1024, 60);
  write_session(dir / "s.tap", events);
  auto reader = format::SessionReader::open(dir / "s.tap");
  ASSERT_TRUE(reader.ok());
  auto index = ReplayIndex::build(**reader, {true});
  ASSERT_TRUE(index.ok()) << index.error().what();
  ASSERT_TRUE(index->has_keyframes());
  ASSERT_NE(index->keyframe_at((*reader)->duration()), nullptr);
  ASSERT_TRUE(index->save(dir / "s.tapidx").ok());
  auto loaded = ReplayIndex::load(dir / "s.tapidx");
  ASSERT_TRUE(loaded.ok()) << loaded.error().what();
  expect_screens_match(dir / "s.tap", events, &*loaded, 20);
}

TEST(ReplayIndex, FindsMarksWritersAndTheOpener) {
  auto dir = scratch_dir("IndexMarks");
  write_session(dir / "s.tap", sample_events());
  auto reader = format::SessionReader::open(dir / "s.tap");
  ASSERT_TRUE(reader.ok());
  auto index = ReplayIndex::build(**reader, {false});
  ASSERT_TRUE(index.ok());
  std::vector<std::pair<Mark::Kind, std::string>> got;
  for (const Mark& m : index->marks()) got.emplace_back(m.kind, m.label);
  const std::vector<std::pair<Mark::Kind, std::string>> want = {
      {Mark::Kind::uid_change, "bash uid 1000"}, {Mark::Kind::prompt, "prompt"},
      {Mark::Kind::exec, "ls --color"},          {Mark::Kind::prompt, "prompt"},
      {Mark::Kind::marker, "checkpoint"},        {Mark::Kind::uid_change, "bash uid 0"},
      {Mark::Kind::prompt, "prompt"},            {Mark::Kind::gap, "100 bytes lost (ring-overflow)"}};
  EXPECT_EQ(got, want);
  ASSERT_TRUE(index->writer_at(3 * kSecond).has_value());
  EXPECT_EQ(index->writer_at(3 * kSecond)->uid, 1000u);
  EXPECT_EQ(index->writer_at(4 * kSecond)->uid, 0u);
  EXPECT_FALSE(index->writer_at(0).has_value());
  ASSERT_TRUE(index->opener().has_value());
  EXPECT_EQ(index->opener()->user, "alice");
  EXPECT_EQ(index->max_cols(), 40);
  EXPECT_EQ(index->max_rows(), 8);
}

TEST(ReplayIndex, SurvivesASaveAndLoadAndRefusesADamagedCache) {
  auto dir = scratch_dir("IndexCache");
  write_session(dir / "s.tap", sample_events());
  auto reader = format::SessionReader::open(dir / "s.tap");
  ASSERT_TRUE(reader.ok());
  auto index = ReplayIndex::build(**reader, {false});
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(index->save(dir / "c.tapidx").ok());
  auto loaded = ReplayIndex::load(dir / "c.tapidx");
  ASSERT_TRUE(loaded.ok()) << loaded.error().what();
  EXPECT_EQ(loaded->marks(), index->marks());
  EXPECT_EQ(loaded->opener(), index->opener());
  EXPECT_EQ(loaded->writers().size(), index->writers().size());

  const std::string good = read_file(dir / "c.tapidx");
  for (size_t cut : {size_t{0}, size_t{7}, good.size() / 2, good.size() - 1}) {
    write_file(dir / "cut.tapidx", good.substr(0, cut));
    EXPECT_FALSE(ReplayIndex::load(dir / "cut.tapidx").ok()) << "cut at " << cut;
  }
  for (size_t at = 8; at < good.size() - 8; ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    write_file(dir / "bad.tapidx", bad);
    EXPECT_FALSE(ReplayIndex::load(dir / "bad.tapidx").ok()) << "flipped byte " << at;
  }
}

TEST(ReplayIndex, CachesLargeRecordingsUnderXdgCacheHome) {
  auto dir = scratch_dir("IndexXdg");
  ::setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1);
  auto events = scrolling_events(2400 * 1024, 30);
  write_session(dir / "big.tap", events);
  auto reader = format::SessionReader::open(dir / "big.tap");
  ASSERT_TRUE(reader.ok());
  ASSERT_GE(std::filesystem::file_size(dir / "big.tap"), ReplayIndex::kCacheMinBytes);
  auto index = ReplayIndex::load_or_build(dir / "big.tap", **reader, true);
  ASSERT_TRUE(index.ok()) << index.error().what();
  const auto name = ReplayIndex::cache_name((*reader)->info(), std::filesystem::file_size(dir / "big.tap"), 1);
  EXPECT_TRUE(std::filesystem::exists(dir / "cache" / "tap" / name));
  EXPECT_TRUE(index->has_keyframes());
  // The same recording grown: its new entry replaces the old one.
  const auto stale = dir / "cache" / "tap" / name;
  write_session(dir / "big.tap", scrolling_events(2600 * 1024, 31));
  auto grown = format::SessionReader::open(dir / "big.tap");
  ASSERT_TRUE(grown.ok());
  ASSERT_TRUE(ReplayIndex::load_or_build(dir / "big.tap", **grown, true).ok());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(
      dir / "cache" / "tap" / ReplayIndex::cache_name((*grown)->info(), std::filesystem::file_size(dir / "big.tap"), 1)));
  ::unsetenv("XDG_CACHE_HOME");
}

// The fuzz corpus (tests/replay/fuzz_corpus) starts from real cache files; they must keep
// loading, or the corpus no longer reaches past the header checks. TAP_UPDATE_EXPECTED=1
// rewrites them.
TEST(ReplayIndex, LoadsTheFuzzCorpusSeeds) {
  const auto corpus = std::filesystem::path(tap::test::source_dir()) / "tests" / "replay" / "fuzz_corpus";
  if (tap::test::env_flag("TAP_UPDATE_EXPECTED")) {
    auto dir = scratch_dir("FuzzSeeds");
    std::filesystem::create_directories(corpus);
    write_session(dir / "sample.tap", sample_events());
    write_session(dir / "scroll.tap", scrolling_events(300 * 1024, 10));
    for (const char* name : {"sample", "scroll"}) {
      auto reader = format::SessionReader::open(dir / (std::string(name) + ".tap"));
      ASSERT_TRUE(reader.ok());
      auto index = ReplayIndex::build(**reader, {true});
      ASSERT_TRUE(index.ok());
      ASSERT_TRUE(index->save(corpus / (std::string("valid-") + name + ".tapidx")).ok());
    }
    const std::string good = read_file(corpus / "valid-sample.tapidx");
    write_file(corpus / "cut-sample.tapidx", good.substr(0, good.size() / 2));
  }
  for (const char* name : {"valid-sample.tapidx", "valid-scroll.tapidx"}) {
    auto loaded = ReplayIndex::load(corpus / name);
    ASSERT_TRUE(loaded.ok()) << name << ": " << loaded.error().what();
    EXPECT_FALSE(loaded->marks().empty() && loaded->writers().empty() &&
                 loaded->keyframe_at(std::numeric_limits<int64_t>::max()) == nullptr)
        << name << " holds nothing";
  }
  EXPECT_FALSE(ReplayIndex::load(corpus / "cut-sample.tapidx").ok());
}

TEST(SplitRecordingArg, SplitsAtTheLastAtUnlessTheWholeNameExists) {
  auto dir = scratch_dir("SplitArg");
  EXPECT_EQ(split_recording_arg("a.tap@1:02").path, "a.tap");
  EXPECT_EQ(*split_recording_arg("a.tap@1:02").time, "1:02");
  EXPECT_EQ(split_recording_arg("us@host.tap@@12:00").path, "us@host.tap@");
  EXPECT_EQ(*split_recording_arg("x@y.tap@end").time, "end");
  EXPECT_FALSE(split_recording_arg("plain.tap").time.has_value());
  EXPECT_FALSE(split_recording_arg("-").time.has_value());
  write_file(dir / "odd@name.tap", "x");
  auto whole = split_recording_arg((dir / "odd@name.tap").string());
  EXPECT_FALSE(whole.time.has_value());
}

}  // namespace
}  // namespace tap::replay
