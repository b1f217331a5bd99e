// The tamper table (docs/integrity.md §What tapverify detects): each edit of a signed recording,
// run through the real tapverify with the trusted key, and the exit code it must give.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>

#include "file_surgery.hpp"
#include "format_test_util.hpp"
#include "require.hpp"
#include "sample_session.hpp"
#include "tap/format/verify.hpp"

namespace tap::format {
namespace {

int tapverify(const std::string& args) {
  std::string cmd = tap::test::binary_dir() + "/bin/tapverify " + args + " >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::shared_ptr<const SigningKey> other_key() {
  std::array<uint8_t, 32> seed{};
  seed.fill(0x11);
  return SigningKey::from_seed(seed);
}

// The sample session written again by someone holding `key` (optionally with an edit).
std::string rewrite(const test::TempDir& dir, std::shared_ptr<const SigningKey> key, bool edit) {
  auto events = samples::sample_events();
  if (edit) events[4].body = Output{"alice@sample-host:~$ (nothing happened here)"};
  auto opt = samples::sample_options(false);
  opt.key = std::move(key);
  auto path = dir / "rewritten.tap";
  std::filesystem::remove(path);
  auto w = SessionWriter::create(path, samples::sample_info(), opt);
  EXPECT_TRUE(w);
  for (const Event& e : events) {
    EXPECT_TRUE((*w)->append(e));
    EXPECT_TRUE((*w)->tick(e.time));
  }
  EXPECT_TRUE((*w)->finish(samples::sample_end()));
  return test::read_file(path);
}

TEST(TamperTable, EveryEditGivesItsExitCode) {
  test::TempDir dir;
  const std::string src = tap::test::source_dir();
  const std::string good = test::read_file(src + "/samples/session.tap");
  const std::string trusted = "--key " + src + "/samples/keys/" + samples::sample_key()->id() + ".pub";
  const auto recs = surgery::records(good);
  std::vector<surgery::Span> data, seals;
  for (const auto& r : recs) (r.type == 1 ? data : seals).push_back(r);
  ASSERT_GE(seals.size(), 3u);  // SEALs and END
  const auto& d = data[data.size() / 2];

  struct Row {
    std::string name;
    std::string bytes;
    std::string args;
    int exit_code;
  };
  std::vector<Row> rows;
  rows.push_back({"untouched", good, trusted, 0});
  rows.push_back({"untouched, no key given, no keyring", good, "--keyring " + dir.path().string(), 4});
  {
    std::string f = good;
    f[d.offset + 40] ^= 1;
    rows.push_back({"flip a byte in a payload", f, trusted, 3});
  }
  {
    std::string f = good;
    f[d.offset + 40] ^= 1;
    surgery::fix_crc(f, d);
    rows.push_back({"flip a byte in a payload and fix its CRC", f, trusted, 3});
  }
  {
    std::string f = good;
    f[d.offset + 21] ^= 1;  // the time field
    rows.push_back({"flip a byte in a record header", f, trusted, 3});
  }
  {
    std::string f = good;
    f[d.offset + 21] ^= 1;
    surgery::fix_crc(f, d);
    rows.push_back({"flip a byte in a record header and fix its CRC", f, trusted, 3});
  }
  {
    std::string f = good;
    f[60] ^= 1;  // host id in the file header
    surgery::fix_header_crc(f);
    rows.push_back({"flip a byte in the file header and fix its CRC", f, trusted, 3});
  }
  {
    std::string f = good;
    f.erase(d.offset, d.size);
    rows.push_back({"drop a record", f, trusted, 3});
  }
  {
    std::string f = good;
    f.erase(d.offset, d.size);
    f = surgery::reseal(f, nullptr);  // renumbered, chain recomputed, signatures kept stale
    rows.push_back({"drop a record, renumber and rechain without the key", f, trusted, 3});
  }
  {
    const auto& a = data[1];
    const auto& b = data[2];
    ASSERT_EQ(a.offset + a.size, b.offset);
    std::string f = good.substr(0, a.offset) + good.substr(b.offset, b.size) +
                    good.substr(a.offset, a.size) + good.substr(b.offset + b.size);
    rows.push_back({"reorder two records", f, trusted, 3});
  }
  {
    const auto& s = seals[0];
    std::string f = good;
    f.erase(s.offset, s.size);
    rows.push_back({"drop a SEAL", f, trusted, 3});
  }
  {
    // Edit a record (its time), then re-sign every seal with another key under that key's id.
    auto k2 = other_key();
    std::string f = good;
    f[d.offset + 21] ^= 1;
    surgery::fix_crc(f, d);
    f = surgery::set_key_id(f, samples::sample_key()->id(), k2->id());
    f = surgery::reseal(f, k2.get());
    rows.push_back({"edit and re-sign with another key", f, trusted, 4});
  }
  {
    // Edit, and re-sign with another key while keeping the trusted key's id.
    auto k2 = other_key();
    std::string f = good;
    f[d.offset + 40] ^= 1;
    surgery::fix_crc(f, d);
    f = surgery::reseal(f, k2.get());
    rows.push_back({"edit and re-sign with another key under the trusted id", f, trusted, 3});
  }
  rows.push_back({"rewrite the whole file with a new key", rewrite(dir, other_key(), true), trusted, 4});
  rows.push_back({"rewrite the whole file unsigned", rewrite(dir, nullptr, true), trusted, 4});
  rows.push_back({"truncate right after a SEAL", good.substr(0, seals[1].offset + seals[1].size),
                  trusted, 1});
  rows.push_back({"truncate inside a record", good.substr(0, d.offset + 10), trusted, 1});
  {
    // docs/integrity.md §A bad CRC on the last record: only the last record of a crashed file,
    // ending at the end of the file, reads as a torn write.
    // A crash right after two DATA records that follow a SEAL: cut the sample there.
    size_t li = 0;
    for (size_t i = 2; i < recs.size() && li == 0; ++i)
      if (recs[i].type == 1 && recs[i - 1].type == 1 && recs[i - 2].type == 2) li = i;
    ASSERT_NE(li, 0u);
    const auto& last = recs[li];
    const auto& before = recs[li - 1];
    ASSERT_GT(last.size, 48u);  // a payload to damage
    const std::string crashed = good.substr(0, last.offset + last.size);
    rows.push_back({"crashed right after a DATA record (intact)", crashed, trusted, 1});
    std::string f = crashed;
    for (size_t i = last.offset + 40; i < f.size(); ++i) f[i] = 0;
    rows.push_back({"crashed: the last record fails its CRC at the end of the file", f, trusted, 1});
    rows.push_back({"crashed: the same, and a byte after it", f + "x", trusted, 3});
    std::string g = crashed;
    g[before.offset + before.size - 1] ^= 1;
    rows.push_back({"crashed: the record before the last fails its CRC", g, trusted, 3});
    std::string h = good;
    const auto& end = seals.back();
    ASSERT_EQ(end.type, 3);
    h[end.offset + 40] ^= 1;
    rows.push_back({"END fails its CRC (its footer follows)", h, trusted, 3});
  }
  rows.push_back({"bytes appended after the footer", good + "extra", trusted, 3});
  {
    std::string f = good;
    f[f.size() - 3] ^= 1;  // footer magic
    rows.push_back({"damage the footer", f, trusted, 3});
  }

  for (const Row& row : rows) {
    auto path = dir / "t.tap";
    std::filesystem::remove(path);
    test::write_file(path, row.bytes);
    EXPECT_EQ(tapverify(row.args + " " + path.string()), row.exit_code) << row.name;
  }
}

TEST(TamperTable, TheWorstFileDecidesTheExitCode) {
  const std::string src = tap::test::source_dir();
  const std::string keys = "--keyring " + src + "/samples/keys ";
  EXPECT_EQ(tapverify(keys + src + "/samples/session.tap " + src + "/samples/crashed.tap"), 1);
  EXPECT_EQ(tapverify(keys + src + "/samples/session.tap " + src + "/samples/unsigned.tap"), 4);
  EXPECT_EQ(tapverify(keys + src + "/samples/crashed.tap " + src +
                      "/tests/data/corrupt/payload-crc.tap"),
            3);
  EXPECT_EQ(tapverify(keys + src + "/samples/session.tap /nonexistent/x.tap"), 2);
  EXPECT_EQ(tapverify("--bogus-flag " + src + "/samples/session.tap"), 2);
  EXPECT_EQ(tapverify("--key /nonexistent.pub " + src + "/samples/session.tap"), 2);
}

}  // namespace
}  // namespace tap::format
