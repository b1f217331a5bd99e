// A session over several segment files (SessionReader::open_session), a reader refreshing a
// file that is still being written, and links to segments that had no seal yet.
#include <gtest/gtest.h>

#include <limits>

#include "file_surgery.hpp"
#include "format_test_util.hpp"
#include "tap/format/keys.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/format/verify.hpp"

namespace tap::format {
namespace {

using test::read_all;
using test::TempDir;

constexpr Nanos kSecond = 1'000'000'000;

WriterOptions options(std::shared_ptr<const SigningKey> key) {
  WriterOptions opt;
  opt.key = std::move(key);
  opt.seal_interval = 2 * kSecond;
  opt.frame_bytes = 2048;  // several frames per segment, so seeks have an index to use
  return opt;
}

// Writes `events` to `path`; `finish` false leaves the file as a crash would (every event up to
// the last tick flushed, no END).
void write_segment(const std::filesystem::path& path, const SessionInfo& info,
                   const WriterOptions& opt, const std::vector<Event>& events, bool finish) {
  auto w = SessionWriter::create(path, info, opt);
  ASSERT_TRUE(w) << w.error().what();
  for (const Event& e : events) {
    ASSERT_TRUE((*w)->append(e));
    ASSERT_TRUE((*w)->tick(e.time));
  }
  if (finish) {
    ASSERT_TRUE((*w)->finish(SessionEnd{}));
  } else {
    ASSERT_TRUE((*w)->flush());
  }
}

// Lines of output from t0, one every 100 ms, a keyframe every `keyframe_every` lines (0: none)
// reflecting every event before it; `seq0` events come before these in the file.
std::vector<Event> lines(Nanos t0, int n, const std::string& tag, int keyframe_every,
                         size_t seq0 = 0) {
  std::vector<Event> out;
  for (int i = 0; i < n; ++i) {
    Nanos t = t0 + i * 100'000'000LL;
    if (keyframe_every > 0 && i > 0 && i % keyframe_every == 0)
      out.push_back(Event{t, Keyframe{seq0 + out.size(), "state " + tag + std::to_string(i)}});
    out.push_back(Event{t, Output{tag + " line " + std::to_string(i) + "\r\n"}});
  }
  return out;
}

SessionInfo next_segment(const SessionInfo& first, uint32_t k, const SegmentLink& link) {
  SessionInfo info = first;
  info.file_id = {};
  info.file_id[0] = static_cast<uint8_t>(0x50 + k);
  info.segment = k;
  info.previous = link;
  return info;
}

// Three segments: 0 crashed after several seals, 1 crashed before its first seal, 2 complete.
// Each later one starts with the recorder's gap record, as taprec writes it after a restart.
struct ThreeSegments {
  TempDir dir;
  std::shared_ptr<const SigningKey> key = SigningKey::generate();
  std::vector<std::vector<Event>> written;

  ThreeSegments() {
    const WriterOptions opt = options(key);
    const SessionInfo info = test::sample_info();
    written.push_back(lines(0, 80, "a", 25));
    write_segment(dir / "s.tap", info, opt, written[0], false);
    auto l1 = link_to(dir / "s.tap");
    EXPECT_TRUE(l1) << l1.error().what();
    written.push_back({Event{10 * kSecond, Gap{Stream::output, 900, 50, 0, Gap::Reason::recorder_down}}});
    for (Event& e : lines(10 * kSecond, 5, "b", 0, 1)) written.back().push_back(std::move(e));
    write_segment(dir / "s.seg1.tap", next_segment(info, 1, *l1), opt, written[1], false);
    auto l2 = link_to(dir / "s.seg1.tap");
    EXPECT_TRUE(l2) << l2.error().what();
    written.push_back({Event{20 * kSecond, Gap{Stream::output, 1200, 70, 0, Gap::Reason::recorder_down}}});
    for (Event& e : lines(20 * kSecond, 60, "c", 20, 1)) written.back().push_back(std::move(e));
    write_segment(dir / "s.seg2.tap", next_segment(info, 2, *l2), opt, written[2], true);
    written[2].push_back(Event{written[2].back().time, SessionEnd{}});
  }

  // What each file holds, read alone: the whole session is their concatenation.
  std::vector<Event> expected() const {
    std::vector<Event> all;
    for (const char* name : {"s.tap", "s.seg1.tap", "s.seg2.tap"}) {
      auto r = SessionReader::open(dir / name);
      EXPECT_TRUE(r);
      for (Event& e : read_all(**r)) all.push_back(std::move(e));
    }
    return all;
  }
};

// Keyframes in the joined stream name events by session-wide number.
std::vector<Event> renumbered(std::vector<Event> events, const std::vector<size_t>& sizes) {
  size_t base = 0, k = 0, in_seg = 0;
  for (Event& e : events) {
    while (k < sizes.size() && in_seg == sizes[k]) {
      base += sizes[k++];
      in_seg = 0;
    }
    if (auto* kf = std::get_if<Keyframe>(&e.body)) kf->event_seq += base;
    ++in_seg;
  }
  return events;
}

TEST(SessionSet, JoinsEverySegmentIntoOneStreamFromAnyOfItsFiles) {
  ThreeSegments s;
  // Segment 1 had no seal: its link names segment 0's last seal; segment 2's link names
  // segment 1's chain start. Both verify.
  Keyring ring;
  ring.add(s.key->public_key());
  auto v1 = verify_file(s.dir / "s.seg1.tap", &ring);
  EXPECT_EQ(v1.verdict, Verdict::sealed_prefix) << v1.summary;
  EXPECT_EQ(v1.seals, 0u);
  EXPECT_GE(verify_file(s.dir / "s.tap", &ring).seals, 3u);
  auto v2 = verify_file(s.dir / "s.seg2.tap", &ring);
  EXPECT_EQ(v2.verdict, Verdict::complete) << v2.summary;

  std::vector<size_t> sizes;
  std::vector<Event> alone = s.expected();
  for (const char* name : {"s.tap", "s.seg1.tap", "s.seg2.tap"})
    sizes.push_back(read_all(**SessionReader::open(s.dir / name)).size());
  ASSERT_GT(sizes[0], 0u);
  ASSERT_EQ(sizes[1], s.written[1].size());  // flushed before the "crash"
  const std::vector<Event> want = renumbered(alone, sizes);

  for (const char* name : {"s.tap", "s.seg1.tap", "s.seg2.tap"}) {
    auto r = SessionReader::open_session(s.dir / name);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ((*r)->segment_count(), 3u) << name;
    EXPECT_EQ((*r)->info().segment, 0u);
    EXPECT_TRUE((*r)->status().complete);
    EXPECT_FALSE((*r)->status().fault);
    EXPECT_EQ((*r)->duration(), s.written[2].back().time);
    std::optional<ErrorKind> err;
    std::vector<Event> got;
    for (uint64_t seq = 0;; ++seq) {
      EXPECT_EQ((*r)->next_seq(), seq);
      auto e = (*r)->next();
      ASSERT_TRUE(e) << e.error().what();
      if (*e == nullptr) break;
      got.push_back(**e);
    }
    EXPECT_FALSE(err);
    ASSERT_EQ(got.size(), want.size()) << name;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << name << " event " << i;
    EXPECT_EQ((*r)->current_segment(), 2u);
  }
}

TEST(SessionSet, ALaterSegmentCutOffFromSegmentZeroIsReadAlone) {
  ThreeSegments s;
  std::filesystem::remove(s.dir / "s.seg1.tap");
  auto alone = SessionReader::open(s.dir / "s.seg2.tap");
  ASSERT_TRUE(alone);
  const std::vector<Event> want = read_all(**alone);
  auto r = SessionReader::open_session(s.dir / "s.seg2.tap");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ((*r)->segment_count(), 1u);
  EXPECT_EQ((*r)->info().segment, 2u);  // the file named, not segment 0
  EXPECT_EQ(read_all(**r), want);
  // Segment 0 still reads as its own (now one-file) session.
  auto first = SessionReader::open_session(s.dir / "s.tap");
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)->segment_count(), 1u);
  EXPECT_EQ((*first)->info().segment, 0u);
}

TEST(SessionSet, SeeksByTimeAndToKeyframesAcrossSegments) {
  ThreeSegments s;
  std::vector<size_t> sizes;
  for (const char* name : {"s.tap", "s.seg1.tap", "s.seg2.tap"})
    sizes.push_back(read_all(**SessionReader::open(s.dir / name)).size());
  const std::vector<Event> want = renumbered(s.expected(), sizes);
  auto r = SessionReader::open_session(s.dir / "s.tap");
  ASSERT_TRUE(r);
  // Every time, in each segment and in the gaps between them: the first event at or after it,
  // with its session-wide number, and the stream continues from there to the end.
  for (Nanos t : {Nanos{0}, 3 * kSecond + 50'000'000, 9 * kSecond, 10 * kSecond + 250'000'000,
                  15 * kSecond, 20 * kSecond, 24 * kSecond + 10, 40 * kSecond}) {
    ASSERT_TRUE((*r)->seek(t));
    size_t first = 0;
    while (first < want.size() && want[first].time < t) ++first;
    EXPECT_EQ((*r)->next_seq(), first) << "t=" << t;
    auto rest = read_all(**r);
    ASSERT_EQ(rest.size(), want.size() - first) << "t=" << t;
    if (!rest.empty()) {
      EXPECT_EQ(rest.front(), want[first]) << "t=" << t;
    }
  }
  // A time in segment 1 (which has no keyframe) finds segment 0's last keyframe; the events
  // from the one it names on cross into segment 1.
  auto kf = (*r)->seek_keyframe(10 * kSecond + 250'000'000);
  ASSERT_TRUE(kf);
  ASSERT_TRUE(*kf);
  EXPECT_EQ((*kf)->state, "state a75");
  EXPECT_EQ((*r)->next_seq(), (*kf)->event_seq);
  EXPECT_EQ((*r)->current_segment(), 0u);
  auto e = (*r)->next();
  ASSERT_TRUE(e && *e);
  EXPECT_EQ(**e, want[(*kf)->event_seq]);
  // In segment 2, its own keyframe, numbered over the session.
  kf = (*r)->seek_keyframe(25 * kSecond);
  ASSERT_TRUE(kf && *kf);
  EXPECT_EQ((*kf)->state, "state c40");
  EXPECT_EQ((*kf)->event_seq, sizes[0] + sizes[1] + 42);  // 1 gap, 2 keyframes before line 40
  EXPECT_EQ((*r)->next_seq(), (*kf)->event_seq);
  e = (*r)->next();
  ASSERT_TRUE(e && *e);
  EXPECT_EQ(**e, want[(*kf)->event_seq]);
  // Before the first keyframe: none, from the start.
  kf = (*r)->seek_keyframe(kSecond);
  ASSERT_TRUE(kf);
  EXPECT_FALSE(*kf);
  EXPECT_EQ((*r)->next_seq(), 0u);
}

TEST(SessionSet, ABrokenLinkEndsTheStreamAfterTheIntactSegments) {
  ThreeSegments s;
  const size_t seg0 = read_all(**SessionReader::open(s.dir / "s.tap")).size();
  const size_t seg1 = read_all(**SessionReader::open(s.dir / "s.seg1.tap")).size();
  const std::string original = test::read_file(s.dir / "s.seg1.tap");
  struct Case {
    std::string name;
    size_t field;  // header offset of the byte to change (docs/format.md §File header)
    ErrorKind kind;
  };
  for (const Case& c : {Case{"prev_file_id", 124, ErrorKind::tampered},
                        Case{"prev_sealed_head", 140, ErrorKind::tampered},
                        Case{"prev_sealed_seq", 172, ErrorKind::tampered},
                        Case{"segment number", 48, ErrorKind::tampered}}) {
    std::string f = original;
    f[c.field] ^= 0x40;
    surgery::fix_header_crc(f);
    test::write_file(s.dir / "s.seg1.tap", f);
    auto r = SessionReader::open_session(s.dir / "s.tap");
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ((*r)->segment_count(), 1u) << c.name;
    std::optional<ErrorKind> err;
    auto got = read_all(**r, &err);
    EXPECT_EQ(got.size(), seg0) << c.name;
    ASSERT_TRUE(err) << c.name;
    EXPECT_EQ(*err, c.kind) << c.name;
    EXPECT_TRUE((*r)->status().fault) << c.name;
    EXPECT_FALSE((*r)->status().complete) << c.name;
  }
  // Segment 1 intact but segment 2 unusable (its header damaged): segments 0 and 1, then corrupt.
  test::write_file(s.dir / "s.seg1.tap", original);
  std::string f2 = test::read_file(s.dir / "s.seg2.tap");
  f2[20] ^= 1;  // header CRC no longer matches
  test::write_file(s.dir / "s.seg2.tap", f2);
  auto r = SessionReader::open_session(s.dir / "s.seg1.tap");
  ASSERT_TRUE(r);
  std::optional<ErrorKind> err;
  auto got = read_all(**r, &err);
  EXPECT_EQ(got.size(), seg0 + seg1);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, ErrorKind::corrupt);
}

TEST(SessionSet, LinkToASegmentWithoutASealNamesItsChainStart) {
  TempDir dir;
  WriterOptions opt = options(nullptr);
  write_segment(dir / "s.tap", test::sample_info(), opt, lines(0, 3, "a", 0), false);
  auto v = verify_file(dir / "s.tap", nullptr);
  ASSERT_EQ(v.seals, 0u);
  auto link = link_to(dir / "s.tap");
  ASSERT_TRUE(link) << link.error().what();
  EXPECT_EQ(link->last_sealed_seq, 0u);
  EXPECT_EQ(link->last_sealed_head, v.chain_start);
  EXPECT_NE(link->last_sealed_head, Hash256{});
  EXPECT_EQ(link->previous_file_id, test::sample_info().file_id);
  // A file whose only record is damaged (a crash mid-write) still links, at its chain start.
  std::string f = test::read_file(dir / "s.tap");
  f[f.size() - 1] ^= 1;
  test::write_file(dir / "t.tap", f);
  auto l2 = link_to(dir / "t.tap");
  ASSERT_TRUE(l2) << l2.error().what();
  EXPECT_EQ(l2->last_sealed_head, v.chain_start);
  // An unreadable header has nothing to link to.
  test::write_file(dir / "u.tap", "not a tap file at all");
  EXPECT_FALSE(link_to(dir / "u.tap"));
}

// A file being written: the bytes a writer produced, appended to a growing file in pieces cut
// anywhere (inside record headers, payloads and the footer), with the reader refreshing after
// each piece. At every step it has returned a prefix of the events, never a fault, and at the
// end all of them and END.
TEST(Refresh, PicksUpAppendedRecordsAndWaitsOutPartialOnes) {
  TempDir dir;
  WriterOptions opt = options(SigningKey::generate());
  auto events = lines(0, 400, "x", 50);
  write_segment(dir / "whole.tap", test::sample_info(), opt, events, true);
  events.push_back(Event{events.back().time, SessionEnd{}});
  const std::string whole = test::read_file(dir / "whole.tap");
  const uint32_t header = surgery::header_len(whole);

  for (size_t step : {size_t{97}, size_t{1000}, size_t{4093}}) {
    auto path = dir / ("live" + std::to_string(step) + ".tap");
    size_t have = header + 5;
    test::write_file(path, whole.substr(0, have));
    auto r = SessionReader::open(path);
    ASSERT_TRUE(r) << r.error().what();
    std::vector<Event> got;
    auto drain = [&] {
      for (;;) {
        auto e = (*r)->next();
        ASSERT_TRUE(e) << "step " << step << " at " << have << ": " << e.error().what();
        if (*e == nullptr) break;
        got.push_back(**e);
      }
    };
    drain();
    while (have < whole.size()) {
      size_t n = std::min(step, whole.size() - have);
      std::ofstream(path, std::ios::binary | std::ios::app).write(whole.data() + have, static_cast<std::streamsize>(n));
      have += n;
      auto grew = (*r)->refresh();
      ASSERT_TRUE(grew) << grew.error().what();
      drain();
      ASSERT_FALSE((*r)->status().fault) << "step " << step << " at " << have;
      ASSERT_LE(got.size(), events.size());
      for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], events[i]) << "event " << i;
    }
    EXPECT_EQ(got.size(), events.size()) << "step " << step;
    EXPECT_TRUE((*r)->status().complete);
    EXPECT_FALSE((*r)->status().torn_tail);
    EXPECT_TRUE((*r)->status().warnings.empty());
    EXPECT_EQ((*r)->duration(), events.back().time);
    auto again = (*r)->refresh();
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
    // The index grew with the file: a keyframe near the end is found.
    auto kf = (*r)->seek_keyframe(events.back().time);
    ASSERT_TRUE(kf && *kf);
    EXPECT_EQ((*kf)->state, "state x350");
  }
}

// The writer itself appending while a reader of the same file refreshes, and the session
// reader picking up a segment that appears after it opened.
TEST(Refresh, FollowsAWriterAndANewSegment) {
  TempDir dir;
  WriterOptions opt = options(nullptr);
  SessionInfo info = test::sample_info();
  auto w = SessionWriter::create(dir / "s.tap", info, opt);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->append(Event{0, Output{"first\r\n"}}));
  ASSERT_TRUE((*w)->flush());
  auto r = SessionReader::open_session(dir / "s.tap");
  ASSERT_TRUE(r);
  auto got = read_all(**r);
  ASSERT_EQ(got.size(), 1u);
  std::vector<Event> sent = got;
  for (int round = 1; round <= 30; ++round) {
    for (int i = 0; i < round; ++i) {
      Event e{round * 200'000'000LL + i, Output{"round " + std::to_string(round) + "." + std::to_string(i) + "\r\n"}};
      ASSERT_TRUE((*w)->append(e));
      sent.push_back(e);
    }
    ASSERT_TRUE((*w)->tick(round * 200'000'000LL + round));  // seals every 2 s of session time
    ASSERT_TRUE((*w)->flush());
    auto grew = (*r)->refresh();
    ASSERT_TRUE(grew) << grew.error().what();
    EXPECT_TRUE(*grew);
    for (Event& e : read_all(**r)) got.push_back(std::move(e));
    ASSERT_EQ(got, sent) << "round " << round;
  }
  // The recorder "crashes" and a restarted one continues in segment 1.
  w->reset();
  auto link = link_to(dir / "s.tap");
  ASSERT_TRUE(link);
  auto w1 = SessionWriter::create(dir / "s.seg1.tap", next_segment(info, 1, *link), opt);
  ASSERT_TRUE(w1);
  Event gap{7 * kSecond, Gap{Stream::output, 100, 10, 0, Gap::Reason::recorder_down}};
  ASSERT_TRUE((*w1)->append(gap));
  ASSERT_TRUE((*w1)->finish(SessionEnd{}));
  sent.push_back(gap);
  sent.push_back(Event{gap.time, SessionEnd{}});
  auto grew = (*r)->refresh();
  ASSERT_TRUE(grew);
  EXPECT_TRUE(*grew);
  EXPECT_EQ((*r)->segment_count(), 2u);
  for (Event& e : read_all(**r)) got.push_back(std::move(e));
  EXPECT_EQ(got, sent);
  EXPECT_TRUE((*r)->status().complete);
  EXPECT_EQ((*r)->next_seq(), sent.size());
}

// docs/integrity.md §A bad CRC on the last record: a crash can leave the record being written at
// its full length with wrong bytes. Only the last record, ending at the end of the file, is
// read as such a torn tail; the same damage anywhere else is a fault.
TEST(TornTail, ABadCrcOnlyOnTheLastRecordAtTheEndOfTheFileIsATornTail) {
  TempDir dir;
  WriterOptions opt = options(nullptr);
  auto events = lines(0, 60, "y", 0);
  write_segment(dir / "c.tap", test::sample_info(), opt, events, false);
  const std::string crashed = test::read_file(dir / "c.tap");
  const auto recs = surgery::records(crashed);
  ASSERT_GE(recs.size(), 4u);
  const auto& last = recs.back();
  ASSERT_EQ(last.offset + last.size, crashed.size());
  const size_t before_last = [&] {
    auto r = SessionReader::open_buffer(crashed.substr(0, last.offset));
    return read_all(**r).size();
  }();

  // The last record's payload damaged (zeros, as an ext4 block whose data never reached disk).
  std::string f = crashed;
  for (size_t i = last.offset + 40; i < f.size(); ++i) f[i] = 0;
  auto r = SessionReader::open_buffer(f);
  ASSERT_TRUE(r);
  std::optional<ErrorKind> err;
  EXPECT_EQ(read_all(**r, &err).size(), before_last);
  EXPECT_FALSE(err);
  EXPECT_TRUE((*r)->status().torn_tail);
  EXPECT_FALSE((*r)->status().fault);
  ASSERT_FALSE((*r)->status().warnings.empty());
  EXPECT_NE((*r)->status().warnings.back().find("fails its CRC"), std::string::npos);
  auto v = verify_buffer(f, nullptr);
  EXPECT_TRUE(v.torn_tail) << v.summary;
  EXPECT_NE(v.verdict, Verdict::tampered) << v.summary;

  // The same damage followed by one more byte: not the end of the file, so corrupt.
  auto r2 = SessionReader::open_buffer(f + "x");
  ASSERT_TRUE(r2);
  err.reset();
  read_all(**r2, &err);
  EXPECT_EQ(err, ErrorKind::corrupt);
  EXPECT_EQ(verify_buffer(f + "x", nullptr).verdict, Verdict::tampered);

  // The record before the last damaged: corrupt, whatever follows.
  std::string g = crashed;
  const auto& prev = recs[recs.size() - 2];
  g[prev.offset + prev.size - 1] ^= 1;
  auto r3 = SessionReader::open_buffer(g);
  ASSERT_TRUE(r3);
  err.reset();
  read_all(**r3, &err);
  EXPECT_EQ(err, ErrorKind::corrupt);
  EXPECT_EQ(verify_buffer(g, nullptr).verdict, Verdict::tampered);
}

}  // namespace
}  // namespace tap::format
