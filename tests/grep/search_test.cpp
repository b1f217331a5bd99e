// One recording searched end to end (events in memory): filters, output forms, escaping.
#include "tap/grep/search.hpp"
#include "tap/support/time_spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tap::grep {
namespace {

using format::Event;
using format::Nanos;
constexpr Nanos kS = 1'000'000'000;

Event out(Nanos t, std::string s) { return Event{t, format::Output{std::move(s)}}; }
Event in(Nanos t, std::string s) { return Event{t, format::Input{std::move(s)}}; }
Event writer(Nanos t, uint32_t uid) {
  return Event{t, format::WriterChange{100 + uid, uid, uid, 1000, "bash"}};
}

format::SessionInfo info() {
  format::SessionInfo i;
  i.host_name = "web1";
  i.pty_index = 3;
  i.start_wall_ns = 1'795'000'000 * kS;  // 2026-11-18T...Z
  i.session_id[0] = 0xab;
  return i;
}

// alice logs in, runs id, sudo -i, id as root, exits back to herself.
std::vector<Event> sudo_session() {
  return {
      Event{0, format::Resize{80, 24}},
      Event{0, format::Opener{1000, 42, format::Opener::Source::loginuid, "alice"}},
      writer(0, 1000),
      out(1 * kS, "$ id\r\nuid=1000(alice) gid=1000(alice)\r\n$ sudo -i\r\n"),
      writer(2 * kS, 0),
      out(3 * kS, "# id\r\nuid=0(root) gid=0(root)\r\n# exit\r\n"),
      writer(4 * kS, 1000),
      out(5 * kS, "$ id\r\nuid=1000(alice) gid=1000(alice)\r\n$ "),
  };
}

struct SearchRun {
  FileOutcome outcome;
  std::string text;
};

SearchRun search(std::vector<Event> events, GrepOptions opt, format::SessionInfo i = info(),
           std::string name = "s.tap") {
  auto matcher = Matcher::create(opt.match);
  EXPECT_TRUE(matcher.ok());
  auto source = memory_event_source(std::move(i), std::move(events));
  SearchRun r;
  std::function<void(std::string_view)> write = [&](std::string_view s) { r.text += s; };
  r.outcome = search_source(*source, name, opt, *matcher, write);
  return r;
}

GrepOptions pattern(std::string p, Mode mode = Mode::rendered) {
  GrepOptions o;
  o.match.patterns = {std::move(p)};
  o.mode = mode;
  return o;
}

TEST(Search, PrintsFileTimeOpenerAndWriterForEachHit) {
  SearchRun r = search(sudo_session(), pattern("uid="));
  EXPECT_EQ(r.outcome.hits, 3u);
  EXPECT_EQ(r.text,
            "s.tap@0:00:01.000  alice  uid=1000(alice) gid=1000(alice)\n"
            "s.tap@0:00:03.000  alice\u2192root  uid=0(root) gid=0(root)\n"
            "s.tap@0:00:05.000  alice  uid=1000(alice) gid=1000(alice)\n");
}

TEST(Search, AsUidKeepsOnlyHitsWhileTheWriterHadThatUid) {
  GrepOptions o = pattern("uid=");
  o.as_uid = 0;
  SearchRun r = search(sudo_session(), o);
  EXPECT_EQ(r.outcome.hits, 1u);
  EXPECT_EQ(r.text, "s.tap@0:00:03.000  alice\u2192root  uid=0(root) gid=0(root)\n");
  o.as_uid = 1000;
  EXPECT_EQ(search(sudo_session(), o).outcome.hits, 2u);
}

TEST(Search, UserFilterUsesTheOpenerNameOrUid) {
  GrepOptions o = pattern("uid=");
  o.user = "alice";
  EXPECT_EQ(search(sudo_session(), o).outcome.hits, 3u);
  o.user = "1000";
  EXPECT_EQ(search(sudo_session(), o).outcome.hits, 3u);
  o.user = "root";  // root acted in the session, but did not open it
  EXPECT_EQ(search(sudo_session(), o).outcome.hits, 0u);
}

TEST(Search, HeaderFiltersSkipAFileBeforeDecoding) {
  GrepOptions o = pattern("uid=");
  o.host = "db1";
  EXPECT_TRUE(search(sudo_session(), o).outcome.skipped);
  o.host = "web1";
  EXPECT_FALSE(search(sudo_session(), o).outcome.skipped);
  o.tty = 4;
  EXPECT_TRUE(search(sudo_session(), o).outcome.skipped);
  o.tty = 3;
  o.until_ns = info().start_wall_ns - 1;
  EXPECT_TRUE(search(sudo_session(), o).outcome.skipped);
  o.until_ns.reset();
  o.since_ns = info().start_wall_ns + 6 * kS;  // after the last event
  EXPECT_TRUE(search(sudo_session(), o).outcome.skipped);
}

TEST(Search, SinceAndUntilKeepHitsInsideTheWallClockRange) {
  GrepOptions o = pattern("uid=");
  o.since_ns = info().start_wall_ns + 2 * kS;
  o.until_ns = info().start_wall_ns + 4 * kS;
  SearchRun r = search(sudo_session(), o);
  EXPECT_EQ(r.outcome.hits, 1u);
  EXPECT_NE(r.text.find("uid=0(root)"), std::string::npos);
}

TEST(Search, JsonCarriesTheHitsFacts) {
  GrepOptions o = pattern("uid=0");
  o.json = true;
  SearchRun r = search(sudo_session(), o);
  EXPECT_EQ(r.text,
            "{\"file\":\"s.tap\",\"session_id\":\"ab000000000000000000000000000000\",\"host\":\"web1\","
            "\"offset\":\"0:00:03.000\",\"offset_ns\":3000000000,\"wall_time\":\"" +
                tap::format_wall_time(info().start_wall_ns + 3 * kS, 0) +
                "\",\"opener\":\"alice\",\"opener_uid\":1000,\"writer_uid\":0,\"writer_euid\":0,"
                "\"context\":false,\"line\":\"uid=0(root) gid=0(root)\"}\n");
}

TEST(Search, ContextPrintsNeighbouringRenderedLines) {
  GrepOptions o = pattern("three");
  o.context = 1;
  SearchRun r = search({Event{0, format::Resize{20, 3}}, out(1 * kS, "one\r\ntwo\r\nthree\r\nfour\r\nfive\r\nsix\r\n")}, o);
  EXPECT_EQ(r.text,
            "s.tap@0:00:01.000  ?- two\n"
            "s.tap@0:00:01.000  ?  three\n"
            "s.tap@0:00:01.000  ?- four\n");
  o.match.patterns = {"one|five"};
  r = search({Event{0, format::Resize{20, 3}}, out(1 * kS, "one\r\ntwo\r\nthree\r\nfour\r\nfive\r\nsix\r\n")}, o);
  EXPECT_EQ(r.text,
            "s.tap@0:00:01.000  ?  one\n"
            "s.tap@0:00:01.000  ?- two\n"
            "--\n"
            "s.tap@0:00:01.000  ?- four\n"
            "s.tap@0:00:01.000  ?  five\n"
            "s.tap@0:00:01.000  ?- six\n");
}

TEST(Search, ContextAndTimesSurviveBatchBoundaries) {
  // 60,000 raw lines (~700 KB) in 4 KiB reads: several search batches; a hit every 4,999 lines.
  std::string all;
  for (int i = 0; i < 60000; ++i) all += "line " + std::to_string(i) + "\n";
  std::vector<Event> ev;
  for (size_t at = 0, n = 0; at < all.size(); at += 4096, ++n) {
    ev.push_back(out(static_cast<Nanos>(n + 1) * 1'000'000, all.substr(at, 4096)));
  }
  GrepOptions o = pattern("^line [0-9]*(4999|9998)$", Mode::raw);  // 4999, 9998, 14997, 24995, ...
  o.context = 2;
  SearchRun r = search(ev, o);
  std::vector<int> want_hits;
  for (int i = 0; i < 60000; ++i) {
    const std::string t = std::to_string(i);
    if ((t.size() >= 4 && (t.substr(t.size() - 4) == "4999" || t.substr(t.size() - 4) == "9998"))) want_hits.push_back(i);
  }
  EXPECT_EQ(r.outcome.hits, want_hits.size());
  std::string want;
  int printed_to = -1;
  for (int h : want_hits) {
    if (printed_to >= 0 && h - 2 > printed_to + 1) want += "--\n";
    for (int i = std::max(h - 2, printed_to + 1); i <= std::min(h + 2, 59999); ++i) {
      const size_t end = all.find("line " + std::to_string(i) + "\n") + std::to_string(i).size() + 5;
      const Nanos t = static_cast<Nanos>(end / 4096 + 1) * 1'000'000;
      want += "s.tap@" + tap::format_offset((t + 999'999) / 1'000'000 * 1'000'000) + "  ?" +
              (i == h ? "  " : "- ") + "line " + std::to_string(i) + "\n";
    }
    printed_to = std::min(h + 2, 59999);
  }
  EXPECT_EQ(r.text, want);
}

TEST(Search, CountAndFilesWithMatches) {
  GrepOptions o = pattern("uid=");
  o.count = true;
  EXPECT_EQ(search(sudo_session(), o).text, "s.tap:3\n");
  o.count = false;
  o.files_with_matches = true;
  SearchRun r = search(sudo_session(), o);
  EXPECT_EQ(r.text, "s.tap\n");
  EXPECT_EQ(r.outcome.hits, 1u) << "-l stops at the first hit";
}

TEST(Search, RawModeMatchesAcrossReadsAndKeepsEscapesOutOfTheOutput) {
  std::vector<Event> ev = {
      Event{0, format::Resize{80, 24}},
      out(1 * kS, "\x1b]0;pwned\x07$ ipt"),
      out(2 * kS, "ables -F \x1b[31mred\x1b[0m \xc2\x9b" "2J tail\r\n"),
  };
  SearchRun r = search(ev, pattern("iptables -F", Mode::raw));
  EXPECT_EQ(r.outcome.hits, 1u);
  EXPECT_EQ(r.text.find('\x1b'), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find('\x07'), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("\xc2\x9b"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("s.tap@0:00:02.000"), std::string::npos) << r.text;
  // Escape sequences are kept for matching.
  EXPECT_EQ(search(ev, pattern("\x1b\\[31mred", Mode::raw)).outcome.hits, 1u);
  // Rendered, the colour codes are gone and so is the title.
  EXPECT_EQ(search(ev, pattern("-F red tail")).outcome.hits, 0u);
  SearchRun rr = search(ev, pattern("iptables -F red"));
  EXPECT_EQ(rr.outcome.hits, 1u) << rr.text;
  EXPECT_EQ(rr.text.find('\x1b'), std::string::npos);
  EXPECT_EQ(search(ev, pattern("pwned")).outcome.hits, 0u);
}

// A raw search for one fixed string skips reads without a hit and keeps only the end of their
// last line: it must find exactly what the batched search (a regular expression) finds, with
// the same times, however the hits fall across reads and lines.
TEST(Search, RawFixedStringFindsWhatTheBatchedSearchFinds) {
  uint64_t seed = 0x2545F4914F6CDD1Dull;
  auto next = [&seed](uint32_t n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return static_cast<uint32_t>(seed % n);
  };
  const std::string needle = "rm -rf /";
  uint64_t hits = 0;
  for (int round = 0; round < 200; ++round) {
    std::string stream;
    while (stream.size() < 3000) {
      switch (next(6)) {
        case 0: stream += needle; break;
        case 1: stream += "\r\n"; break;
        case 2: stream += "rm -r"; break;
        default: stream += std::string(1 + next(40), "abc /-rmf"[next(9)]); break;
      }
    }
    std::vector<Event> events = {Event{0, format::Resize{80, 24}}};
    for (size_t at = 0; at < stream.size();) {
      const size_t n = 1 + next(300);
      events.push_back(out(static_cast<Nanos>(events.size()) * kS, stream.substr(at, n)));
      at += n;
    }
    GrepOptions fixed = pattern(needle, Mode::raw);
    fixed.match.fixed = true;
    GrepOptions regex = pattern("rm -rf /", Mode::raw);  // no metacharacters: the same string
    SearchRun a = search(events, fixed), b = search(events, regex);
    ASSERT_EQ(a.text, b.text) << "round " << round;
    ASSERT_EQ(a.outcome.hits, b.outcome.hits);
    hits += a.outcome.hits;
  }
  EXPECT_GT(hits, 1000u);
}

TEST(Search, HostileNamesAndUsersAreEscaped) {
  std::vector<Event> ev = {
      Event{0, format::Opener{1000, 1, format::Opener::Source::loginuid, "\x1b[2Jmallory"}},
      out(1 * kS, "hello\r\n"),
  };
  SearchRun r = search(ev, pattern("hello"), info(), "evil\x1b]52;c;AAAA\x07.tap");
  EXPECT_EQ(r.outcome.hits, 1u);
  EXPECT_EQ(r.text.find('\x1b'), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find('\x07'), std::string::npos) << r.text;
}

TEST(Search, InputModeSplitsKeystrokesOnEnter) {
  std::vector<Event> ev = {
      in(1 * kS, "sudo rm"), in(2 * kS, " -rf /srv\r"), in(3 * kS, "exit\r"),
      out(2 * kS, "sudo rm -rf /srv\r\n"),
  };
  SearchRun r = search(ev, pattern("rm -rf", Mode::input));
  EXPECT_EQ(r.outcome.hits, 1u);
  EXPECT_EQ(r.text, "s.tap@0:00:02.000  ?  sudo rm -rf /srv\n");
  EXPECT_EQ(search(ev, pattern("^exit$", Mode::input)).outcome.hits, 1u);
}

// A source that fails in the middle, after yielding its intact events.
class FailingSource final : public EventSource {
 public:
  const format::SessionInfo& info() const override { return info_; }
  Result<const format::Event*> next() override {
    if (i_ < events_.size()) return &events_[i_++];
    return fail(ErrorKind::corrupt, "record 7 at offset 4096: bad CRC");
  }
  std::optional<Nanos> duration() const override { return std::nullopt; }
  std::vector<std::string> warnings() const override { return {}; }

 private:
  format::SessionInfo info_;
  std::vector<Event> events_ = {Event{0, format::Resize{40, 5}}, out(1 * kS, "$ cat secret\r\nsecret line")};
  size_t i_ = 0;
};

TEST(Search, HitsBeforeAFaultAreKeptAndTheFaultIsReported) {
  auto matcher = Matcher::create(MatchOptions{{"secret line"}, true, false});
  ASSERT_TRUE(matcher.ok());
  FailingSource src;
  std::string text;
  std::function<void(std::string_view)> write = [&](std::string_view s) { text += s; };
  FileOutcome o = search_source(src, "bad.tap", pattern("secret line"), *matcher, write);
  ASSERT_TRUE(o.error.has_value());
  EXPECT_EQ(o.error->kind(), ErrorKind::corrupt);
  EXPECT_EQ(o.hits, 1u) << "the screen at the fault is still searched";
  EXPECT_NE(text.find("secret line"), std::string::npos);
}

TEST(Search, ExitCodesFollowGrep) {
  EXPECT_EQ(exit_code(GrepSummary{1, 1, 1, 0}), 0);
  EXPECT_EQ(exit_code(GrepSummary{1, 1, 1, 1}), 0);
  EXPECT_EQ(exit_code(GrepSummary{1, 0, 0, 0}), 1);
  EXPECT_EQ(exit_code(GrepSummary{2, 0, 0, 1}), 2);
}

}  // namespace
}  // namespace tap::grep
