// Committed corrupt inputs (tests/data/corrupt/MANIFEST): each fails with its error kind, after
// every intact event before the fault, and never crashes.
#include <gtest/gtest.h>

#include <sstream>

#include "file_surgery.hpp"
#include "format_test_util.hpp"
#include "require.hpp"
#include "tap/format/verify.hpp"

namespace tap::format {
namespace {

struct Case {
  std::string file, kind;
};

std::vector<Case> manifest() {
  std::vector<Case> cases;
  std::istringstream in(test::read_file(tap::test::source_dir() + "/tests/data/corrupt/MANIFEST"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream l(line);
    Case c;
    l >> c.file >> c.kind;
    cases.push_back(c);
  }
  return cases;
}

TEST(CorruptInputs, EachFailsWithItsErrorKindAfterEveryIntactEvent) {
  const std::string dir = tap::test::source_dir() + "/tests/data/corrupt/";
  auto good = SessionReader::open(tap::test::source_dir() + "/samples/session.tap");
  ASSERT_TRUE(good);
  auto all = test::read_all(**good);
  auto cases = manifest();
  ASSERT_GE(cases.size(), 14u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    auto r = SessionReader::open(dir + c.file);
    std::optional<ErrorKind> err;
    std::vector<Event> got;
    if (!r) {
      err = r.error().kind();
    } else {
      got = test::read_all(**r, &err);
      // Whatever was read is exactly the start of the session.
      ASSERT_LE(got.size(), all.size());
      for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], all[i]) << "event " << i;
    }
    if (c.kind == "none") {
      ASSERT_TRUE(r);
      EXPECT_FALSE(err) << "unexpected error";
      EXPECT_TRUE((*r)->status().torn_tail || (*r)->status().zero_tail);
      EXPECT_FALSE((*r)->status().warnings.empty());
      EXPECT_GT(got.size(), 0u);
    } else {
      ASSERT_TRUE(err) << "no error for " << c.file;
      EXPECT_EQ(std::string(to_string(*err)), c.kind);
    }
    // The verifier never passes any of them.
    auto v = verify_file(dir + c.file, nullptr);
    EXPECT_NE(v.verdict, Verdict::complete);
    if (c.kind == "corrupt" && r) {
      EXPECT_EQ(v.verdict, Verdict::tampered) << v.summary;
    }
  }
}

TEST(CorruptInputs, MidFileFaultsStillYieldTheEventsBeforeThem) {
  const std::string dir = tap::test::source_dir() + "/tests/data/corrupt/";
  for (const char* name : {"payload-crc.tap", "impossible-length.tap", "garbage-middle.tap",
                           "dropped-record.tap", "zstd-garbage.tap"}) {
    auto r = SessionReader::open(dir + name);
    ASSERT_TRUE(r) << name;
    std::optional<ErrorKind> err;
    auto got = test::read_all(**r, &err);
    EXPECT_GT(got.size(), 100u) << name;  // the damage sits mid-file
    EXPECT_EQ(err, ErrorKind::corrupt) << name;
    // The error stays: calling next() again does not skip past the damage.
    auto again = (*r)->next();
    EXPECT_FALSE(again) << name;
  }
}

}  // namespace
}  // namespace tap::format

namespace tap::format {
namespace {

// A crashed file (no END) whose middle SEAL is damaged: the reader cannot use the seal links,
// falls back to scanning, and still yields every event before the damage, then the error.
TEST(CorruptInputs, ADamagedSealInAFileWithoutEndStillYieldsTheEventsBeforeIt) {
  const std::string src = tap::test::source_dir();
  std::string f = test::read_file(src + "/samples/session.tap");
  auto recs = surgery::records(f);
  surgery::Span end = recs.back();
  ASSERT_EQ(end.type, 3);
  f.resize(end.offset);  // as if the recorder died before END
  std::vector<surgery::Span> seals;
  for (const auto& r : recs)
    if (r.type == 2) seals.push_back(r);
  ASSERT_GE(seals.size(), 3u);
  f[seals[1].offset + 40] ^= 0x40;
  auto full = SessionReader::open(src + "/samples/session.tap");
  ASSERT_TRUE(full);
  auto all = test::read_all(**full);
  auto r = SessionReader::open_buffer(f);
  ASSERT_TRUE(r);
  std::optional<ErrorKind> err;
  auto got = test::read_all(**r, &err);
  EXPECT_EQ(err, ErrorKind::corrupt);
  ASSERT_GT(got.size(), 10u);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], all[i]);
  // Seeking before the damage still works.
  ASSERT_TRUE((*r)->seek(all[5].time));
  auto e = (*r)->next();
  ASSERT_TRUE(e);
  ASSERT_NE(*e, nullptr);
  EXPECT_EQ((*e)->time, all[5].time);
}

}  // namespace
}  // namespace tap::format
