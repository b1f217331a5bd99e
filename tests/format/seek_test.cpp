#include <gtest/gtest.h>

#include <random>

#include "format_test_util.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"

namespace tap::format {
namespace {

using test::read_all;
using test::TempDir;

// A session of output every 10 ms with a keyframe appended `lag` events after the event it
// describes, as the recorder's asynchronous term worker does.
std::vector<Event> session_with_late_keyframes(size_t count, uint64_t lag) {
  std::vector<Event> events;
  std::mt19937_64 rng(42);
  Nanos t = 0;
  uint64_t since_kf = 0;
  std::vector<uint64_t> due;  // keyframes to emit: (event_seq)
  for (size_t i = 0; events.size() < count; ++i) {
    t += 10'000'000;
    std::string out(100 + rng() % 400, 'x');
    for (auto& c : out) c = static_cast<char>('a' + rng() % 20);
    events.push_back(Event{t, Output{out}});
    if (++since_kf == 97) {
      since_kf = 0;
      due.push_back(events.size());  // describes everything up to here
    }
    if (!due.empty() && events.size() >= due.front() + lag) {
      events.push_back(Event{t, Keyframe{due.front(), "state@" + std::to_string(due.front())}});
      due.erase(due.begin());
    }
  }
  return events;
}

struct Written {
  std::filesystem::path path;
  std::vector<Event> events;
};

Written write(const TempDir& dir, const std::string& name, std::vector<Event> events,
              bool finish) {
  WriterOptions opt;
  opt.frame_bytes = 8 * 1024;
  opt.seal_interval = 2'000'000'000;
  auto path = dir / name;
  auto w = SessionWriter::create(path, test::sample_info(), opt);
  EXPECT_TRUE(w);
  for (const Event& e : events) {
    EXPECT_TRUE((*w)->append(e));
    EXPECT_TRUE((*w)->tick(e.time));
  }
  if (finish) {
    EXPECT_TRUE((*w)->finish(SessionEnd{SessionEnd::Reason::closed, 0}));
    events.push_back(Event{events.back().time, SessionEnd{SessionEnd::Reason::closed, 0}});
  } else {
    EXPECT_TRUE((*w)->flush());
  }
  return {path, events};
}

void check_seek(SessionReader& r, const std::vector<Event>& events) {
  for (Nanos t : {Nanos{-5}, Nanos{0}, Nanos{10'000'000}, Nanos{15'000'000}, Nanos{1'234'567'890},
                  events.back().time / 2, events.back().time - 1, events.back().time,
                  events.back().time + 1}) {
    ASSERT_TRUE(r.seek(t));
    size_t want = 0;
    while (want < events.size() && events[want].time < t) ++want;
    EXPECT_EQ(r.next_seq(), want) << "t=" << t;
    auto e = r.next();
    ASSERT_TRUE(e);
    if (want == events.size()) {
      EXPECT_EQ(*e, nullptr);
    } else {
      ASSERT_NE(*e, nullptr) << "t=" << t;
      EXPECT_EQ(**e, events[want]) << "t=" << t;
    }
  }
}

void check_seek_keyframe(SessionReader& r, const std::vector<Event>& events) {
  for (Nanos t = 0; t <= events.back().time + 20'000'000; t += 137'000'000) {
    auto kf = r.seek_keyframe(t);
    ASSERT_TRUE(kf) << kf.error().what();
    // Expected: among keyframes whose described event (event_seq - 1) is at or before t, the
    // one naming the latest event.
    std::optional<Keyframe> want;
    for (const Event& e : events)
      if (const Keyframe* k = e.get<Keyframe>())
        if ((k->event_seq == 0 || events[k->event_seq - 1].time <= t) &&
            (!want || k->event_seq >= want->event_seq))
          want = *k;
    ASSERT_EQ(kf->has_value(), want.has_value()) << "t=" << t;
    if (!want) {
      EXPECT_EQ(r.next_seq(), 0u);
      continue;
    }
    EXPECT_EQ(**kf, *want);
    EXPECT_EQ(r.next_seq(), want->event_seq) << "t=" << t;
    auto e = r.next();
    ASSERT_TRUE(e);
    ASSERT_NE(*e, nullptr);
    EXPECT_EQ(**e, events[want->event_seq]);
  }
}

TEST(SessionReader, SeeksToTheFirstEventAtOrAfterATimeWithTheEndIndex) {
  TempDir dir;
  auto w = write(dir, "a.tap", session_with_late_keyframes(3000, 5), true);
  auto r = SessionReader::open(w.path);
  ASSERT_TRUE(r);
  ASSERT_TRUE((*r)->status().complete);
  check_seek(**r, w.events);
}

TEST(SessionReader, SeeksWithoutAnEndRecordBySealsAndScanning) {
  TempDir dir;
  auto w = write(dir, "a.tap", session_with_late_keyframes(3000, 5), false);
  auto r = SessionReader::open(w.path);
  ASSERT_TRUE(r);
  EXPECT_FALSE((*r)->status().complete);
  EXPECT_FALSE((*r)->status().torn_tail);
  check_seek(**r, w.events);
  EXPECT_EQ((*r)->duration(), w.events.back().time);
}

TEST(SessionReader, FindsKeyframesAppendedAfterTheEventsTheyDescribe) {
  TempDir dir;
  for (uint64_t lag : {0, 3, 150}) {
    for (bool finish : {true, false}) {
      auto w = write(dir, "k" + std::to_string(lag) + (finish ? "e" : "n") + ".tap",
                     session_with_late_keyframes(2500, lag), finish);
      auto r = SessionReader::open(w.path);
      ASSERT_TRUE(r);
      check_seek_keyframe(**r, w.events);
    }
  }
}

TEST(SessionReader, SeekThenReadContinuesInOrderToTheEnd) {
  TempDir dir;
  auto w = write(dir, "a.tap", session_with_late_keyframes(2000, 2), true);
  auto r = SessionReader::open(w.path);
  ASSERT_TRUE(r);
  ASSERT_TRUE((*r)->seek(w.events[1500].time));
  uint64_t first = (*r)->next_seq();
  auto rest = read_all(**r);
  ASSERT_EQ(rest.size(), w.events.size() - first);
  for (size_t i = 0; i < rest.size(); ++i) ASSERT_EQ(rest[i], w.events[first + i]);
}

}  // namespace
}  // namespace tap::format
