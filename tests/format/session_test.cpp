#include <gtest/gtest.h>

#include <random>

#include "format_test_util.hpp"
#include "tap/format/keys.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"

namespace tap::format {
namespace {

using test::read_all;
using test::TempDir;

TEST(SessionFormat, AHeaderWithEveryStringEmptyReadsBack) {
  test::TempDir dir;
  SessionInfo info;  // host name, recorder, key id and TERM all empty: the shortest header
  info.pty_index = 3;
  auto w = SessionWriter::create(dir / "empty.tap", info);
  ASSERT_TRUE(w.ok()) << w.error().what();
  ASSERT_TRUE((*w)->append(Event{0, Output{"x"}}).ok());
  ASSERT_TRUE((*w)->finish(SessionEnd{}).ok());
  auto r = SessionReader::open(dir / "empty.tap");
  ASSERT_TRUE(r.ok()) << r.error().what();
  EXPECT_EQ((*r)->info(), (*w)->info());  // the writer fills in ids and the start time
  EXPECT_EQ((*r)->info().host_name, "");
  auto e = (*r)->next();
  ASSERT_TRUE(e.ok());
  ASSERT_NE(*e, nullptr);
  EXPECT_EQ((*e)->body, EventBody(Output{"x"}));
}

TEST(SessionFormat, RandomStreamsOfEveryKindRoundTripExactly) {
  TempDir dir;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    std::mt19937_64 rng(seed);
    size_t max_payload = seed % 4 == 0 ? 2 * 1024 * 1024 + 17 : 5000;
    auto events = test::random_events(rng, 300 + seed * 50, max_payload);
    WriterOptions opt;
    opt.frame_bytes = seed % 2 ? 4096 : 256 * 1024;  // many frames and few
    opt.flush_interval = 500'000'000;
    opt.seal_interval = 10'000'000'000;
    if (seed % 3 == 0) opt.key = SigningKey::generate();
    auto path = dir / ("s" + std::to_string(seed) + ".tap");
    auto w = SessionWriter::create(path, test::sample_info(), opt);
    ASSERT_TRUE(w) << w.error().what();
    for (size_t i = 0; i < events.size(); ++i) {
      auto seq = (*w)->append(events[i]);
      ASSERT_TRUE(seq) << seq.error().what();
      EXPECT_EQ(*seq, i);
      if (i % 7 == 0) {
        ASSERT_TRUE((*w)->tick(events[i].time));
      }
    }
    SessionEnd end{SessionEnd::Reason::closed, 0};
    ASSERT_TRUE((*w)->finish(end));
    events.push_back(Event{events.back().time, end});

    auto r = SessionReader::open(path);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_TRUE((*r)->status().complete);
    EXPECT_FALSE((*r)->status().fault);
    std::optional<ErrorKind> err;
    auto got = read_all(**r, &err);
    EXPECT_FALSE(err);
    ASSERT_EQ(got.size(), events.size()) << "seed " << seed;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], events[i]) << "seed " << seed << " event " << i;
    EXPECT_EQ((*r)->duration(), events.back().time);
    EXPECT_EQ((*r)->info().host_name, "testhost");
    EXPECT_EQ((*r)->info().key_id, opt.key ? opt.key->id() : "");
  }
}

}  // namespace
}  // namespace tap::format
