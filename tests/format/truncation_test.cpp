// A recording cut at every byte offset (a crash at any moment): the reader yields every event of
// the records before the cut and the verifier says "sealed prefix" (tapverify exit 1).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <map>

#include "file_surgery.hpp"
#include "format_test_util.hpp"
#include "require.hpp"
#include "sample_session.hpp"
#include "tap/format/verify.hpp"

namespace tap::format {
namespace {

TEST(Truncation, EveryCutOfTheSampleKeepsEveryRecordBeforeItAndVerifiesAsAPrefix) {
  const std::string path = tap::test::source_dir() + "/samples/session.tap";
  const std::string file = test::read_file(path);
  ASSERT_GT(file.size(), 1000u);
  auto full = SessionReader::open_buffer(file);
  ASSERT_TRUE(full);
  const auto all = test::read_all(**full);
  Keyring ring;
  ring.add(samples::sample_key()->public_key());
  auto recs = surgery::records(file);
  // Events readable from the records wholly before each record boundary, measured at the
  // boundaries themselves; every cut in between must give the same.
  std::map<size_t, size_t> at_boundary;
  size_t prev_count = 0;
  for (size_t cut = 0; cut < file.size(); ++cut) {
    std::string part = file.substr(0, cut);
    auto r = SessionReader::open_buffer(part);
    size_t boundary = surgery::header_len(file);
    for (const auto& rec : recs)
      if (rec.offset + rec.size <= cut) boundary = rec.offset + rec.size;
    VerifyReport v = verify_buffer(part, &ring);
    ASSERT_EQ(v.verdict, Verdict::sealed_prefix) << "cut at " << cut << ": " << v.summary;
    if (cut < boundary || !r) {
      ASSERT_LT(cut, surgery::header_len(file)) << "cut at " << cut;
      continue;
    }
    std::optional<ErrorKind> err;
    auto got = test::read_all(**r, &err);
    ASSERT_FALSE(err) << "cut at " << cut << ": " << (err ? to_string(*err) : "");
    ASSERT_LE(got.size(), all.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], all[i]) << "cut " << cut;
    if (!at_boundary.count(boundary)) at_boundary[boundary] = got.size();
    ASSERT_EQ(got.size(), at_boundary[boundary]) << "cut at " << cut;
    ASSERT_GE(got.size(), prev_count) << "cut at " << cut;
    prev_count = got.size();
    if (cut > boundary) {
      ASSERT_TRUE((*r)->status().torn_tail) << "cut at " << cut;
    }
  }
  // Once the last DATA record is whole, every event is there.
  size_t last_data_end = 0;
  for (const auto& rec : recs)
    if (rec.type == 1) last_data_end = rec.offset + rec.size;
  EXPECT_EQ(at_boundary[last_data_end], all.size());
}

}  // namespace
}  // namespace tap::format
