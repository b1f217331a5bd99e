// The committed samples are what the code writes today, keys round trip, segment names parse.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "file_surgery.hpp"
#include "format_test_util.hpp"
#include "require.hpp"
#include "sample_session.hpp"
#include "tap/format/keys.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/verify.hpp"

namespace tap::format {
namespace {

TEST(Samples, CommittedSamplesAreWhatTheWriterMakesToday) {
  test::TempDir dir;
  ASSERT_TRUE(samples::write_sample(dir / "s.tap", true, true));
  ASSERT_TRUE(samples::write_sample(dir / "u.tap", false, true));
  const std::string src = tap::test::source_dir();
  // Regenerate with: build/tests/format/tap_make_samples <source dir>
  EXPECT_EQ(test::read_file(dir / "s.tap"), test::read_file(src + "/samples/session.tap"));
  EXPECT_EQ(test::read_file(dir / "u.tap"), test::read_file(src + "/samples/unsigned.tap"));
  auto pub = PublicKey::load(src + "/samples/keys/" + samples::sample_key()->id() + ".pub");
  ASSERT_TRUE(pub) << pub.error().what();
  EXPECT_EQ(pub->bytes(), samples::sample_key()->public_key().bytes());
}

TEST(Samples, TheSampleReadsBackAsTheSession) {
  auto r = SessionReader::open(tap::test::source_dir() + "/samples/session.tap");
  ASSERT_TRUE(r);
  auto got = test::read_all(**r);
  auto want = samples::sample_events();
  want.push_back(Event{want.back().time, samples::sample_end()});
  EXPECT_EQ(got, want);
  EXPECT_EQ((*r)->info(), [] {
    SessionInfo i = samples::sample_info();
    i.key_id = samples::sample_key()->id();
    return i;
  }());
}

TEST(Keys, CreatedOnFirstUseThenLoadedAndVerifiedWithThePublicKeyAlone) {
  test::TempDir dir;
  auto keydir = dir / "keys";
  auto k1 = SigningKey::load_or_create(keydir);
  ASSERT_TRUE(k1) << k1.error().what();
  struct stat st {};
  ASSERT_EQ(::stat((keydir / ((*k1)->id() + ".key")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(keydir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto k2 = SigningKey::load_or_create(keydir);
  ASSERT_TRUE(k2);
  EXPECT_EQ((*k1)->id(), (*k2)->id());
  auto ring = Keyring::load_dir(keydir);
  ASSERT_TRUE(ring);
  ASSERT_NE(ring->find((*k1)->id()), nullptr);
  auto sig = (*k2)->sign("hello");
  std::string_view s(reinterpret_cast<const char*>(sig.data()), sig.size());
  EXPECT_TRUE(ring->find((*k1)->id())->verify("hello", s));
  EXPECT_FALSE(ring->find((*k1)->id())->verify("hellO", s));
  // A key file whose id does not match its key is refused.
  std::string text = (*k1)->public_key().to_text();
  text[12] = text[12] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(PublicKey::parse(text));
  EXPECT_FALSE(PublicKey::parse("garbage"));
}

TEST(Keys, ASignedRecordingVerifiesOnlyWithItsKey) {
  test::TempDir dir;
  auto key = SigningKey::generate();
  WriterOptions opt;
  opt.key = key;
  auto w = SessionWriter::create(dir / "a.tap", test::sample_info(), opt);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->append(Event{0, Output{"hi"}}));
  ASSERT_TRUE((*w)->finish(SessionEnd{}));
  Keyring mine, other;
  mine.add(key->public_key());
  other.add(SigningKey::generate()->public_key());
  EXPECT_EQ(verify_file(dir / "a.tap", &mine).verdict, Verdict::complete);
  EXPECT_EQ(verify_file(dir / "a.tap", &other).verdict, Verdict::untrusted);
  EXPECT_EQ(verify_file(dir / "a.tap", nullptr).verdict, Verdict::untrusted);
}

TEST(Segments, NamesFollowBaseDotSegKAndAreFoundInOrder) {
  test::TempDir dir;
  EXPECT_EQ(segment_base("/s/h-20261126T100000Z-pts3-abcd1234.tap"), "/s/h-20261126T100000Z-pts3-abcd1234");
  EXPECT_EQ(segment_base("/s/x.seg12.tap"), "/s/x");
  EXPECT_EQ(segment_base("/s/x.seg0.tap"), "/s/x.seg0");  // not a segment number
  EXPECT_EQ(segment_path("/s/x", 0), "/s/x.tap");
  EXPECT_EQ(segment_path("/s/x", 3), "/s/x.seg3.tap");
  for (const char* n : {"x.tap", "x.seg1.tap", "x.seg2.tap", "x.seg4.tap"}) test::write_file(dir / n, "");
  std::vector<std::filesystem::path> want = {dir / "x.tap", dir / "x.seg1.tap", dir / "x.seg2.tap"};
  EXPECT_EQ(segment_paths(dir / "x.seg2.tap"), want);
  EXPECT_EQ(segment_paths(dir / "x.tap"), want);
  EXPECT_EQ(segment_paths(dir / "other.bin"), std::vector<std::filesystem::path>{dir / "other.bin"});
}

TEST(SessionWriter, RefusesAnExistingFileAndDecreasingTimes) {
  test::TempDir dir;
  test::write_file(dir / "a.tap", "x");
  auto w = SessionWriter::create(dir / "a.tap", test::sample_info());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind(), ErrorKind::exists);
  auto w2 = SessionWriter::create(dir / "b.tap", test::sample_info());
  ASSERT_TRUE(w2);
  ASSERT_TRUE((*w2)->append(Event{100, Output{"a"}}));
  auto bad = (*w2)->append(Event{50, Output{"b"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind(), ErrorKind::invalid_argument);
  auto kf = (*w2)->append(Event{100, Keyframe{5, "x"}});  // names an event not yet appended
  EXPECT_FALSE(kf);
}

TEST(SessionWriter, FlushesOnTickSealsOnScheduleAndFreesIdleFrames) {
  test::TempDir dir;
  WriterOptions opt;
  opt.seal_interval = 30'000'000'000;
  auto w = SessionWriter::create(dir / "a.tap", test::sample_info(), opt);
  ASSERT_TRUE(w);
  uint64_t header = (*w)->bytes_written();
  ASSERT_TRUE((*w)->append(Event{0, Output{"first"}}));
  ASSERT_TRUE((*w)->tick(500'000'000));
  EXPECT_EQ((*w)->bytes_written(), header);  // younger than the flush interval: still in memory
  ASSERT_TRUE((*w)->tick(1'000'000'000));
  uint64_t flushed = (*w)->bytes_written();
  EXPECT_GT(flushed, header);  // on disk within a second
  // A crash now loses nothing that was flushed.
  auto r = SessionReader::open(dir / "a.tap");
  ASSERT_TRUE(r);
  auto got = test::read_all(**r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Event{0, Output{"first"}}));
  ASSERT_TRUE((*w)->tick(31'000'000'000));  // seal and idle release
  EXPECT_GT((*w)->bytes_written(), flushed);
  auto v = verify_file(dir / "a.tap", nullptr);
  EXPECT_EQ(v.seals, 1u);
  EXPECT_EQ(v.unsealed_records, 0u);
  ASSERT_TRUE((*w)->append(Event{32'000'000'000, Output{"after idle"}}));
  ASSERT_TRUE((*w)->finish(SessionEnd{SessionEnd::Reason::hangup, 9}));
  auto r2 = SessionReader::open(dir / "a.tap");
  ASSERT_TRUE(r2);
  EXPECT_TRUE((*r2)->status().complete);
  EXPECT_EQ(test::read_all(**r2).size(), 3u);
  EXPECT_GE((*r2)->status().frames, 2u);  // the idle frame was closed
}

// An idle session frees the times of its recent events; a keyframe that names an event from
// before the idle period then counts from its own time (later, never earlier, than the state
// it holds), so a seek never lands on it too early.
TEST(SessionWriter, AKeyframeForAnEventBeforeAnIdlePeriodIsUsedFromItsOwnTime) {
  test::TempDir dir;
  auto w = SessionWriter::create(dir / "k.tap", test::sample_info(), WriterOptions{});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->append(Event{1'000'000'000, Output{"a"}}));   // seq 0
  ASSERT_TRUE((*w)->append(Event{2'000'000'000, Output{"b"}}));   // seq 1
  ASSERT_TRUE((*w)->append(Event{3'000'000'000, Keyframe{1, "state after a"}}));  // active: t=1 s
  ASSERT_TRUE((*w)->tick(20'000'000'000));  // idle release
  ASSERT_TRUE((*w)->append(Event{21'000'000'000, Keyframe{2, "state after b"}}));  // seq 3
  ASSERT_TRUE((*w)->append(Event{22'000'000'000, Output{"c"}}));
  ASSERT_TRUE((*w)->finish(SessionEnd{SessionEnd::Reason::hangup, 0}));
  auto r = SessionReader::open(dir / "k.tap");
  ASSERT_TRUE(r);
  auto at = [&](Nanos t) -> std::string {
    auto kf = (*r)->seek_keyframe(t);
    EXPECT_TRUE(kf);
    return kf->has_value() ? (*kf)->state : std::string("none");
  };
  EXPECT_EQ(at(500'000'000), "none");
  EXPECT_EQ(at(1'500'000'000), "state after a");  // described by event 0's time, kept while active
  EXPECT_EQ(at(2'500'000'000), "state after a");  // b's time is no longer known after idle...
  EXPECT_EQ(at(21'000'000'000), "state after b");  // ...so this one counts from its own time
}

}  // namespace
}  // namespace tap::format

namespace tap::format {
namespace {

TEST(Segments, ANewSegmentLinksTheLastSealOfACrashedOneAndCatchesItsTruncation) {
  test::TempDir dir;
  auto key = SigningKey::generate();
  Keyring ring;
  ring.add(key->public_key());
  WriterOptions opt;
  opt.key = key;
  opt.seal_interval = 2'000'000'000;
  SessionInfo info = test::sample_info();
  {
    auto w = SessionWriter::create(dir / "s.tap", info, opt);
    ASSERT_TRUE(w);
    for (int i = 0; i < 100; ++i) {
      Nanos t = i * 100'000'000LL;
      ASSERT_TRUE((*w)->append(Event{t, Output{"line " + std::to_string(i) + "\r\n"}}));
      ASSERT_TRUE((*w)->tick(t));
    }
    // The recorder crashes: no finish().
  }
  auto link = link_to(dir / "s.tap");
  ASSERT_TRUE(link) << link.error().what();
  SessionInfo next = info;
  next.file_id = {};
  next.segment = 1;
  next.previous = *link;
  {
    auto w = SessionWriter::create(dir / "s.seg1.tap", next, opt);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->append(Event{11'000'000'000, Gap{Stream::output, 500, 40, 2, Gap::Reason::recorder_down}}));
    ASSERT_TRUE((*w)->finish(SessionEnd{}));
  }
  auto v = verify_file(dir / "s.seg1.tap", &ring);
  EXPECT_EQ(v.verdict, Verdict::complete) << v.summary;
  auto r = SessionReader::open(dir / "s.seg1.tap");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->info().previous, *link);
  EXPECT_EQ(segment_paths(dir / "s.seg1.tap").size(), 2u);
  // Someone cuts the first segment back to an earlier seal: alone it still looks like a crash,
  // but the second segment's link gives it away.
  std::string first = test::read_file(dir / "s.tap");
  auto v0 = verify_buffer(first, &ring);
  ASSERT_EQ(v0.verdict, Verdict::sealed_prefix);
  ASSERT_GE(v0.seals, 2u);
  size_t cut = 0;
  for (const auto& rec : surgery::records(first))
    if (rec.type == 2 && cut == 0) cut = rec.offset + rec.size;  // the end of the first SEAL
  ASSERT_GT(cut, 0u);
  test::write_file(dir / "s.tap", first.substr(0, cut));
  EXPECT_EQ(verify_file(dir / "s.tap", &ring).verdict, Verdict::sealed_prefix);
  auto v2 = verify_file(dir / "s.seg1.tap", &ring);
  EXPECT_EQ(v2.verdict, Verdict::tampered) << v2.summary;
}

}  // namespace
}  // namespace tap::format
