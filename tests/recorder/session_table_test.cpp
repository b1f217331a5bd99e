// The session table on synthetic records with an in-memory backend: events, exact gaps,
// opener rules, resize dedup, segments after a restart.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "tap/recorder/session_table.hpp"

namespace tap::recorder {
namespace {

struct MemFile : SessionFile {
  std::vector<format::Event>* events;
  std::filesystem::path p = "/mem.tap";
  bool finished = false;
  explicit MemFile(std::vector<format::Event>* e) : events(e) {}
  Result<uint64_t> append(const format::Event& e) override {
    events->push_back(e);
    return events->size() - 1;
  }
  Result<void> tick(format::Nanos) override { return {}; }
  Result<void> flush() override { return {}; }
  Result<void> finish(const format::SessionEnd& end) override {
    events->push_back({events->empty() ? 0 : events->back().time, end});
    return {};
  }
  const std::filesystem::path& path() const override { return p; }
};

struct FakeKernel : KernelView {
  bool alive = true;
  bool pty_alive(const SessionKey&, uint32_t) override { return alive; }
  std::optional<std::pair<uint64_t, uint64_t>> offsets(const SessionKey&) override {
    return std::make_pair(uint64_t{20}, uint64_t{0});
  }
  std::string container(uint32_t) override { return "/docker/abc"; }
};

struct MemBackend : SessionBackend {
  std::vector<std::vector<format::Event>> files;
  std::vector<format::SessionInfo> infos;
  std::optional<Resume> next_resume;
  Result<std::unique_ptr<SessionFile>> create(const format::SessionInfo& info) override {
    files.emplace_back();
    infos.push_back(info);
    return std::unique_ptr<SessionFile>(new MemFile(&files.back()));
  }
  std::optional<Resume> resume(const SessionKey&) override { return next_resume; }
  void started(const SessionKey&, const format::SessionInfo&, const std::filesystem::path&,
               uint64_t, uint64_t) override {}
  void ended(const SessionKey&) override {}
  void fill_host(format::SessionInfo& info) override { info.host_name = "test"; }
  std::string user_name(uint32_t uid) override { return uid == 1000 ? "alice" : ""; }
};

constexpr uint64_t kDev = (136u << 20) | 0;

Record meta(RecordKind kind, uint64_t ts, uint32_t gen = 1) {
  Record r;
  r.kind = kind;
  r.key = SessionKey{kDev, 5, gen};
  r.ts_ns = ts;
  r.tgid = 100;
  r.has_meta = true;
  return r;
}

Record chunk(RecordKind kind, uint64_t ts, uint64_t offset, std::string_view bytes, uint32_t gen = 1) {
  Record r;
  r.kind = kind;
  r.key = SessionKey{kDev, 5, gen};
  r.ts_ns = ts;
  r.offset = offset;
  r.len = static_cast<uint32_t>(bytes.size());
  r.payload = bytes;
  return r;
}

template <typename T>
std::vector<T> all(const std::vector<format::Event>& evs) {
  std::vector<T> out;
  for (const auto& e : evs)
    if (auto* x = e.get<T>()) out.push_back(*x);
  return out;
}

class Table : public ::testing::Test {
 protected:
  // Files are held by pointer into `files`: reserve so they never move.
  void SetUp() override { backend.files.reserve(16); }
  MemBackend backend;
  SessionTable table{backend, 1'000'000'000'000, 0};
};

TEST_F(Table, AMissingOffsetRangeBecomesOneExactGap) {
  table.handle(meta(RecordKind::open, 1000));
  table.handle(chunk(RecordKind::output, 2000, 0, "abc"));
  table.handle(chunk(RecordKind::output, 3000, 10, "xyz"));  // 7 bytes lost at offset 3
  table.handle(meta(RecordKind::close, 4000));
  ASSERT_EQ(backend.files.size(), 1u);
  auto gaps = all<format::Gap>(backend.files[0]);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].offset, 3u);
  EXPECT_EQ(gaps[0].bytes, 7u);
  EXPECT_EQ(gaps[0].reason, format::Gap::Reason::ring_overflow);
  auto outs = all<format::Output>(backend.files[0]);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].data + outs[1].data, "abcxyz");
  EXPECT_EQ(backend.files[0].back().get<format::SessionEnd>()->reason,
            format::SessionEnd::Reason::closed);
}

TEST_F(Table, LossAtTheTailIsReadFromTheCloseRecordsOffsets) {
  table.handle(meta(RecordKind::open, 1000));
  table.handle(chunk(RecordKind::output, 2000, 0, "abc"));
  Record close = meta(RecordKind::close, 3000);
  close.out_off = 50;
  close.in_off = 4;
  table.handle(close);
  auto gaps = all<format::Gap>(backend.files[0]);
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].stream, format::Stream::output);
  EXPECT_EQ(gaps[0].offset, 3u);
  EXPECT_EQ(gaps[0].bytes, 47u);
  EXPECT_EQ(gaps[1].stream, format::Stream::input);
  EXPECT_EQ(gaps[1].bytes, 4u);
}

TEST_F(Table, ARecordForAnUnknownSessionStartsAJoinedLateFileWithAGapForWhatCameBefore) {
  table.handle(chunk(RecordKind::output, 5000, 1234, "late"));
  ASSERT_EQ(backend.files.size(), 1u);
  EXPECT_TRUE(backend.infos[0].joined_late);
  const auto& evs = backend.files[0];
  auto markers = all<format::Marker>(evs);
  ASSERT_EQ(markers.size(), 1u);
  EXPECT_EQ(markers[0].kind, format::Marker::Kind::joined_late);
  auto gaps = all<format::Gap>(evs);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].offset, 0u);
  EXPECT_EQ(gaps[0].bytes, 1234u);
  EXPECT_EQ(gaps[0].reason, format::Gap::Reason::joined_late);
}

TEST_F(Table, OpenerIsTheLeadersLoginuidWhenSetElseItsUidAtItsFirstExec) {
  table.handle(meta(RecordKind::open, 1000));
  Record leader = meta(RecordKind::leader, 1100);
  leader.loginuid = 0xFFFFFFFF;
  table.handle(leader);
  Record exec = meta(RecordKind::exec, 1200);
  exec.flags = 0x01;  // TAP_F_LEADER
  exec.uid = 1000;
  exec.euid = 1000;
  exec.filename = "/bin/bash";
  table.handle(exec);
  Record sudo = meta(RecordKind::exec, 1300);
  sudo.flags = 0x02;  // setuid exec: not an opener
  sudo.uid = 1000;
  sudo.euid = 0;
  table.handle(sudo);
  auto openers = all<format::Opener>(backend.files[0]);
  ASSERT_EQ(openers.size(), 1u);
  EXPECT_EQ(openers[0].uid, 1000u);
  EXPECT_EQ(openers[0].user, "alice");
  EXPECT_EQ(openers[0].source, format::Opener::Source::leader_exec);
  EXPECT_EQ(all<format::Exec>(backend.files[0]).size(), 2u);
}

TEST_F(Table, MasterOpenerIsTheFallbackAfterTheGracePeriod) {
  Record open = meta(RecordKind::open, 1'000'000'000);
  open.uid = 0;
  table.handle(open);
  table.tick(1'500'000'000);
  EXPECT_TRUE(all<format::Opener>(backend.files[0]).empty());
  table.tick(3'500'000'000);
  auto openers = all<format::Opener>(backend.files[0]);
  ASSERT_EQ(openers.size(), 1u);
  EXPECT_EQ(openers[0].source, format::Opener::Source::master_open);
}

TEST_F(Table, RepeatedSizesAreOneResizeEvent) {
  table.handle(meta(RecordKind::open, 1000));
  for (int i = 0; i < 3; ++i) {
    Record z = meta(RecordKind::resize, 2000 + i);
    z.cols = 80;
    z.rows = 24;
    table.handle(z);
  }
  EXPECT_EQ(all<format::Resize>(backend.files[0]).size(), 1u);
}

TEST_F(Table, ANewGenerationEndsThePreviousSessionAndStaleRecordsAreDropped) {
  table.handle(meta(RecordKind::open, 1000, 1));
  table.handle(chunk(RecordKind::output, 1100, 0, "one", 1));
  table.handle(meta(RecordKind::open, 2000, 2));
  table.handle(chunk(RecordKind::output, 2100, 0, "old", 1));  // late record of gen 1
  table.handle(chunk(RecordKind::output, 2200, 0, "two", 2));
  ASSERT_EQ(backend.files.size(), 2u);
  EXPECT_NE(backend.files[0].back().get<format::SessionEnd>(), nullptr);
  auto outs = all<format::Output>(backend.files[1]);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].data, "two");
  EXPECT_NE(backend.infos[0].session_id, backend.infos[1].session_id);
}

TEST_F(Table, ARestartContinuesTheSessionInANewSegmentWithARecorderDownGap) {
  Resume r;
  r.previous.session_id = {1, 2, 3};
  r.previous.file_id = {9, 9};
  r.previous.segment = 0;
  r.previous.start_wall_ns = 1'000'000'000'500;
  r.out_off = 100;
  r.in_off = 5;
  backend.next_resume = r;
  table.handle(chunk(RecordKind::output, 9000, 160, "more"));
  ASSERT_EQ(backend.infos.size(), 1u);
  const auto& info = backend.infos[0];
  EXPECT_EQ(info.segment, 1u);
  EXPECT_EQ(info.session_id, r.previous.session_id);
  ASSERT_TRUE(info.previous.has_value());
  EXPECT_EQ(info.previous->previous_file_id, r.previous.file_id);
  EXPECT_FALSE(info.joined_late);
  auto gaps = all<format::Gap>(backend.files[0]);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].offset, 100u);
  EXPECT_EQ(gaps[0].bytes, 60u);
  EXPECT_EQ(gaps[0].reason, format::Gap::Reason::recorder_down);
  // Times continue the session's clock: ts 9000 ns mono is wall 1e12 + 9000.
  EXPECT_EQ(backend.files[0].back().time, 1'000'000'009'000 - 1'000'000'000'500);
}

TEST_F(Table, AQuietSessionWhosePtyIsGoneEndsWithItsTailLossFromTheKernel) {
  FakeKernel kernel;
  table.set_kernel(&kernel);
  table.handle(meta(RecordKind::open, 1'000'000'000));
  table.handle(chunk(RecordKind::output, 1'100'000'000, 0, "hello"));
  ASSERT_EQ(table.sessions().size(), 1u);
  EXPECT_EQ(table.sessions()[0]->container, "/docker/abc");
  table.tick(2'000'000'000);  // quiet for less than 2 s: not checked
  EXPECT_EQ(table.live_sessions(), 1u);
  kernel.alive = false;
  table.tick(3'200'000'000);
  EXPECT_EQ(table.live_sessions(), 0u);
  auto gaps = all<format::Gap>(backend.files[0]);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].offset, 5u);
  EXPECT_EQ(gaps[0].bytes, 15u);
  EXPECT_EQ(backend.files[0].back().get<format::SessionEnd>()->reason,
            format::SessionEnd::Reason::closed);
}

TEST_F(Table, WriterChangesAndTheirCredentialsAreEvents) {
  table.handle(meta(RecordKind::open, 1000));
  Record w = meta(RecordKind::writer, 1100);
  w.tgid = 200;
  w.uid = 1000;
  w.euid = 1000;
  w.comm = "bash";
  table.handle(w);
  Record cred = meta(RecordKind::cred, 1200);
  cred.tgid = 200;
  cred.uid = 0;
  cred.euid = 0;
  table.handle(cred);
  Record other = meta(RecordKind::cred, 1300);  // not the writer: no event
  other.tgid = 999;
  table.handle(other);
  auto ws = all<format::WriterChange>(backend.files[0]);
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].uid, 1000u);
  EXPECT_EQ(ws[1].uid, 0u);
  EXPECT_EQ(ws[1].pid, 200u);
}

// An observer that holds every session's finish (as the live service does for its keyframes).
struct Holder : SessionObserver {
  bool hold = true;
  std::vector<uint64_t> ending, ended;
  std::function<void(const SessionView&)> on_ending;
  void session_started(const SessionView&) override {}
  void event_appended(const SessionView&, uint64_t, const format::Event&) override {}
  bool session_ending(const SessionView& v, const format::SessionEnd&) override {
    ending.push_back(v.id);
    if (on_ending) on_ending(v);
    return hold;
  }
  void session_ended(const SessionView& v, const format::SessionEnd&) override {
    ended.push_back(v.id);
  }
};

bool finished(const std::vector<format::Event>& evs) {
  return !evs.empty() && evs.back().get<format::SessionEnd>() != nullptr;
}

TEST_F(Table, AHeldSessionTakesKeyframesAfterItsEndAndIsFinishedWhenReleased) {
  Holder h;
  table.add_observer(&h);
  table.handle(meta(RecordKind::open, 1000));
  table.handle(chunk(RecordKind::output, 2000, 0, "abc"));
  uint64_t id = table.sessions()[0]->id;
  table.handle(meta(RecordKind::close, 3000));
  ASSERT_EQ(h.ending.size(), 1u);
  EXPECT_TRUE(h.ended.empty());
  EXPECT_FALSE(finished(backend.files[0]));
  EXPECT_EQ(table.live_sessions(), 0u);
  EXPECT_EQ(table.held_sessions(), 1u);
  EXPECT_TRUE(table.sessions().empty());
  ASSERT_NE(table.find_session(id), nullptr);
  // The pty is reused at once by a new session while the old one is held.
  table.handle(meta(RecordKind::open, 3500, 2));
  EXPECT_EQ(backend.files.size(), 2u);
  // Keyframes still reach the ended session's file, before its end.
  auto seq = table.append_keyframe(id, format::Keyframe{1, "state"});
  ASSERT_TRUE(seq.ok()) << seq.error().what();
  EXPECT_FALSE(finished(backend.files[0]));
  table.release_session(id);
  ASSERT_TRUE(finished(backend.files[0]));
  EXPECT_EQ(h.ended, std::vector<uint64_t>{id});
  const auto& evs = backend.files[0];
  ASSERT_GE(evs.size(), 2u);
  ASSERT_NE(evs[evs.size() - 2].get<format::Keyframe>(), nullptr);
  EXPECT_EQ(evs[evs.size() - 2].get<format::Keyframe>()->event_seq, 1u);
  EXPECT_EQ(table.held_sessions(), 0u);
  EXPECT_FALSE(table.append_keyframe(id, format::Keyframe{1, "late"}).ok());
  table.release_session(id);  // a second release is ignored
  EXPECT_EQ(h.ended.size(), 1u);
  EXPECT_FALSE(finished(backend.files[1]));
}

TEST_F(Table, AHoldThatIsNeverReleasedEndsAfterItsBound) {
  Holder h;
  table.add_observer(&h);
  table.handle(meta(RecordKind::open, 1000));
  table.handle(meta(RecordKind::close, 2000));
  EXPECT_EQ(table.held_sessions(), 1u);
  table.tick(10'000'000'000);  // the hold's clock starts at the first tick
  EXPECT_FALSE(finished(backend.files[0]));
  table.tick(10'000'000'000 + kSessionHoldNs - 1);
  EXPECT_FALSE(finished(backend.files[0]));
  table.tick(10'000'000'000 + kSessionHoldNs);
  EXPECT_TRUE(finished(backend.files[0]));
  EXPECT_EQ(table.held_sessions(), 0u);
  EXPECT_EQ(h.ended.size(), 1u);
}

TEST_F(Table, AnObserverThatDoesNotHoldLetsTheFileFinishAtOnce) {
  Holder h;
  h.hold = false;
  table.add_observer(&h);
  table.handle(meta(RecordKind::open, 1000));
  // What an observer appends while told of the end lands before the end.
  h.on_ending = [&](const SessionView& v) {
    EXPECT_TRUE(table.append_marker(v.id, format::Marker{format::Marker::Kind::note, "bye"}).ok());
  };
  table.handle(meta(RecordKind::close, 2000));
  ASSERT_TRUE(finished(backend.files[0]));
  EXPECT_EQ(all<format::Marker>(backend.files[0]).size(), 1u);
  EXPECT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(table.held_sessions(), 0u);
}

TEST_F(Table, ShutdownHoldsNothingAndFinishesHeldSessions) {
  Holder h;
  table.add_observer(&h);
  table.handle(meta(RecordKind::open, 1000));
  table.handle(meta(RecordKind::close, 2000));
  Record other = meta(RecordKind::open, 2500);
  other.key.pty_index = 6;
  table.handle(other);
  EXPECT_EQ(table.held_sessions(), 1u);
  EXPECT_EQ(table.live_sessions(), 1u);
  table.finish_all(format::SessionEnd::Reason::recorder_stopped);
  EXPECT_TRUE(finished(backend.files[0]));
  EXPECT_TRUE(finished(backend.files[1]));
  EXPECT_EQ(backend.files[1].back().get<format::SessionEnd>()->reason,
            format::SessionEnd::Reason::recorder_stopped);
  EXPECT_EQ(h.ending.size(), 1u);  // only the closed one was asked
  EXPECT_EQ(h.ended.size(), 2u);
}

}  // namespace
}  // namespace tap::recorder
