#include <gtest/gtest.h>

#include "tap/convert/formats.hpp"
#include "test_util.hpp"

namespace tap::convert::test {
namespace {

using format::Input;
using format::Marker;
using format::Output;
using format::Resize;

TEST(CastV2, WritesTheHeaderAndOneLinePerEventAsAsciinemaDoes) {
  Header h = header(100, 30);
  h.title = "demo";
  std::string cast = encode(Format::cast_v2, h,
                            {Event{0, Resize{100, 30}}, Event{1'500'000, Output{"hi\x1b[0m\r\n"}},
                             Event{2'000'000'400, Input{"q"}}, Event{3'000'000'000, Resize{90, 20}},
                             Event{3'100'000'000, Marker{Marker::Kind::note, "chapter"}}});
  EXPECT_EQ(cast,
            "{\"version\": 2, \"width\": 100, \"height\": 30, \"timestamp\": 1700000000, \"title\": \"demo\", "
            "\"env\": {\"TERM\": \"xterm-256color\"}}\n"
            "[0.001500, \"o\", \"hi\\u001b[0m\\r\\n\"]\n"
            "[2.000000, \"i\", \"q\"]\n"
            "[3.000000, \"r\", \"90x20\"]\n"
            "[3.100000, \"m\", \"chapter\"]\n");
}

TEST(CastV2, RoundTripKeepsOutputInputResizesAndMicrosecondTimes) {
  std::vector<Event> in = {Event{0, Resize{120, 40}}, Event{1'234'567, Output{"a\xc3\xa9\xe4\xb8\xad"}},
                           Event{5'000'000'001, Input{"\x03"}}, Event{5'000'000'499, Resize{80, 25}},
                           Event{7'999'999'999, Output{"\x1b]0;t\x07"}}};
  auto d = decode_cast(encode(Format::cast_v2, header(120, 40), in));
  ASSERT_FALSE(d.error) << d.error->what();
  EXPECT_TRUE(d.info.imported);
  EXPECT_EQ(d.info.term, "xterm-256color");
  EXPECT_EQ(d.info.start_wall_ns, 1'700'000'000'000'000'000);
  auto got = body(d.events);
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(got[i].body, in[i].body) << i;
    EXPECT_EQ(got[i].time, us_round(in[i].time)) << i;
  }
}

TEST(CastV3, IntervalsCarryTheRoundingSoTimesDoNotDrift) {
  // 100,000 events a third of a microsecond apart: rounding each interval alone would drift
  // by up to 50 ms; intervals between rounded absolute times never drift beyond 0.5 µs.
  std::vector<Event> in;
  for (int i = 0; i < 100'000; ++i) in.push_back(Event{int64_t(i) * 1'333, Output{"x"}});
  std::string cast = encode(Format::cast_v3, header(), in);
  auto d = decode_cast(cast);
  ASSERT_FALSE(d.error) << d.error->what();
  std::vector<Event> got;
  for (const auto& e : d.events)
    if (e.kind() == format::EventKind::output) got.push_back(e);
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ASSERT_LE(std::llabs(got[i].time - in[i].time), 500) << i;
}

TEST(CastV3, WritesTermObjectExitAndCommentsForTapOnlyFacts) {
  std::vector<Event> in = {Event{0, Resize{80, 24}},
                           Event{0, format::Opener{1000, 42, format::Opener::Source::loginuid, "alice"}},
                           Event{1'000'000'000, Output{"$ "}},
                           Event{2'000'000'000, format::WriterChange{77, 0, 0, 1000, "sudo\nx"}},
                           Event{2'500'000'000, format::Gap{format::Stream::output, 2, 4096, 1,
                                                            format::Gap::Reason::ring_overflow}},
                           Event{3'000'000'000, format::SessionEnd{format::SessionEnd::Reason::closed, 2 << 8}}};
  std::string cast = encode(Format::cast_v3, header(), in);
  EXPECT_EQ(cast,
            "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24, \"type\": \"xterm-256color\"}, "
            "\"timestamp\": 1700000000}\n"
            "# 0.000000 opener uid=1000 pid=42 source=loginuid user=alice\n"
            "[1.000000, \"o\", \"$ \"]\n"
            "# 2.000000 writer pid=77 uid=0 euid=0 loginuid=1000 comm=sudo\\nx\n"
            "# 2.500000 gap stream=output offset=2 bytes=4096 reason=ring-overflow\n"
            "[2.000000, \"x\", \"2\"]\n");
  auto d = decode_cast(cast);
  ASSERT_FALSE(d.error) << d.error->what();
  ASSERT_FALSE(d.events.empty());
  const auto* end = d.events.back().get<format::SessionEnd>();
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->exit_status, 2 << 8);
  EXPECT_EQ(d.events.back().time, 3'000'000'000);
}

TEST(Utf8, ASequenceSplitAcrossReadsIsWrittenWhole) {
  EncodeStats st;
  // "é" (C3 A9) and "中" (E4 B8 AD) each cut between two reads.
  std::string cast = encode(Format::cast_v2, header(),
                            {Event{1'000, Output{"a\xc3"}}, Event{2'000, Output{"\xa9" "b\xe4\xb8"}},
                             Event{3'000, Output{"\xad"}}},
                            &st);
  EXPECT_EQ(st.replaced_bytes, 0u);
  auto d = decode_cast(cast);
  ASSERT_FALSE(d.error);
  EXPECT_EQ(outputs(d.events), "a\xc3\xa9" "b\xe4\xb8\xad");
  EXPECT_NE(cast.find("[0.000001, \"o\", \"a\"]"), std::string::npos);
}

TEST(Utf8, InvalidBytesBecomeReplacementCharactersAndAreCounted) {
  EncodeStats st;
  std::string cast = encode(Format::cast_v2, header(),
                            {Event{1'000, Output{"\xff" "ok\xc0\xaf"}}, Event{2'000, Output{"\xe2\x82"}}}, &st);
  // FF, C0, AF (overlong form) and the cut-off E2 82 at the end of the stream.
  EXPECT_EQ(st.replaced_bytes, 5u);
  auto d = decode_cast(cast);
  ASSERT_FALSE(d.error);
  EXPECT_EQ(outputs(d.events), "\xef\xbf\xbdok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(CastReader, ToleratesUnknownHeaderKeysEventCodesCommentsAndBlankLines) {
  auto d = decode_cast(
      "{\"version\": 3, \"term\": {\"cols\": 100, \"rows\": 50, \"type\": \"xterm\", \"theme\": {\"fg\": \"#fff\"}}, "
      "\"timestamp\": 1509091818, \"idle_time_limit\": 2.5, \"tags\": [\"a\"], \"future\": {\"x\": [1,2]}}\n"
      "# a comment\n"
      "[0.248848, \"o\", \"\\u001b[1;31mHello \\u001b[32mWorld!\\u001b[0m\\n\"]\n"
      "\n"
      "[1.001376, \"z\", {\"unknown\": true}]\n"
      "[0.5, \"r\", \"90x30\"]\n"
      "[0.1, \"m\", \"\"]\n"
      "[0.2, \"x\", \"0\"]\n");
  ASSERT_FALSE(d.error) << d.error->what();
  EXPECT_EQ(d.facts.cols, 100);
  EXPECT_EQ(d.info.term, "xterm");
  EXPECT_EQ(d.info.start_wall_ns, 1'509'091'818'000'000'000);
  ASSERT_EQ(d.events.size(), 5u);
  EXPECT_EQ(d.events[0], (Event{0, Resize{100, 50}}));
  EXPECT_EQ(d.events[1], (Event{248'848'000, Output{"\x1b[1;31mHello \x1b[32mWorld!\x1b[0m\n"}}));
  // The unknown event's interval still counts.
  EXPECT_EQ(d.events[2], (Event{1'750'224'000, Resize{90, 30}}));
  EXPECT_EQ(d.events[3], (Event{1'850'224'000, Marker{Marker::Kind::note, ""}}));
  EXPECT_EQ(d.events[4].time, 2'050'224'000);
  EXPECT_EQ(d.events[4].get<format::SessionEnd>()->exit_status, 0);
}

TEST(CastReader, ReadsV1AsOneDocument) {
  auto d = decode_cast(
      "{\n  \"version\": 1,\n  \"width\": 80,\n  \"height\": 24,\n  \"duration\": 1.5,\n"
      "  \"command\": \"/bin/zsh\",\n  \"title\": \"v1\",\n  \"env\": {\"TERM\": \"xterm-256color\", \"SHELL\": \"/bin/zsh\"},\n"
      "  \"stdout\": [[0.5, \"ab\"], [0.25, \"c\\r\\n\"], [0.0, \"\"]]\n}\n");
  ASSERT_FALSE(d.error) << d.error->what();
  EXPECT_EQ(d.facts.format, "asciicast v1");
  EXPECT_EQ(d.facts.command, "/bin/zsh");
  EXPECT_EQ(d.facts.duration, 1'500'000'000);
  ASSERT_EQ(d.events.size(), 5u);
  EXPECT_EQ(d.events[0], (Event{0, Resize{80, 24}}));
  EXPECT_EQ(d.events[1], (Event{0, Marker{Marker::Kind::title, "v1"}}));
  EXPECT_EQ(d.events[2], (Event{500'000'000, Output{"ab"}}));
  EXPECT_EQ(d.events[3], (Event{750'000'000, Output{"c\r\n"}}));
}

TEST(CastReader, ATruncatedLastLineYieldsEverythingBeforeItThenATruncatedError) {
  auto d = decode_cast("{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"a\"]\n[0.2, \"o\", \"b");
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->kind(), ErrorKind::truncated);
  EXPECT_NE(d.error->what().find("line 3"), std::string::npos) << d.error->what();
  EXPECT_EQ(outputs(d.events), "a");
}

TEST(CastReader, ACorruptLineIsNamedAndStopsTheStream) {
  auto d = decode_cast("{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"a\"]\n[0.2, 5, \"b\"]\n[0.3, \"o\", \"c\"]\n");
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->kind(), ErrorKind::corrupt);
  EXPECT_NE(d.error->what().find("line 3: event code is not a string"), std::string::npos) << d.error->what();
  EXPECT_EQ(outputs(d.events), "a");
}

TEST(CastReader, RejectsWhatIsNotAnAsciicast) {
  EXPECT_EQ(decode_cast("").error->kind(), ErrorKind::corrupt);
  EXPECT_EQ(decode_cast("hello\n").error->kind(), ErrorKind::corrupt);
  EXPECT_EQ(decode_cast("{\"version\": 4}\n").error->kind(), ErrorKind::unsupported_version);
  EXPECT_EQ(decode_cast("{\"version\": 2, \"width\": \"wide\", \"height\": 24}\n").error->kind(), ErrorKind::corrupt);
  auto broken_header = decode_cast("{\"version\": 2, \"width\": 80, \"height\" 24}\n[0.1, \"o\", \"a\"]\n");
  ASSERT_TRUE(broken_header.error);
  EXPECT_EQ(broken_header.error->what().rfind("cast: line 1: header", 0), 0u) << broken_header.error->what();
  EXPECT_EQ(broken_header.error->kind(), ErrorKind::corrupt);
  // A v2 header cut short is not mistaken for a multi-line v1 document (read whole).
  auto cut_header = decode_cast("{\"version\": 2, \"width\": 80,\n\"height\": 24}\n");
  ASSERT_TRUE(cut_header.error);
  EXPECT_EQ(cut_header.error->what().rfind("cast: line 1: header", 0), 0u) << cut_header.error->what();
  auto bad_resize = decode_cast("{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"r\", \"80 x 0\"]\n");
  ASSERT_TRUE(bad_resize.error);
  EXPECT_EQ(bad_resize.error->kind(), ErrorKind::corrupt);
}

TEST(CastReader, BackwardTimesAreClampedSoTheyNeverDecrease) {
  auto d = decode_cast("{\"version\": 2, \"width\": 80, \"height\": 24}\n[2, \"o\", \"a\"]\n[1, \"o\", \"b\"]\n[-4e-1, \"o\", \"c\"]\n");
  ASSERT_FALSE(d.error) << d.error->what();
  ASSERT_EQ(d.events.size(), 4u);
  EXPECT_EQ(d.events[2].time, 2'000'000'000);
  EXPECT_EQ(d.events[3].time, 2'000'000'000);
}

TEST(Raw, IsTheOutputBytesExactlyInvalidUtf8Included) {
  std::vector<Event> in = {Event{1, Output{"\xff\x00z"}}, Event{2, Input{"no"}},
                           Event{3, Output{std::string(300'000, 'y')}}, Event{4, Output{""}}};
  EXPECT_EQ(encode(Format::raw, header(), in), outputs(in));
}

TEST(Strip, RemovesEscapeSequencesAndControlsKeepsText) {
  std::string s = encode(Format::strip, header(),
                         {Event{1, Output{"\x1b[1;31mred\x1b[0m\r\nti\x1b]0;title\x07tle\x1b"}},
                          Event{2, Output{"(Bcharset\x1bP1$r\x1b\\ ok\rx\x08\ty\r"}}});
  EXPECT_EQ(s, "red\ntitlecharset ok\nx\ty\n");
  // A carriage return at the start of a line or before a line feed adds no empty line.
  EXPECT_EQ(encode(Format::strip, header(), {Event{1, Output{"a\r\n\r\x1b[Kb\r\r\nc"}}}), "a\nb\nc\n");
}

TEST(Script, ClassicTimingAndTypescriptReadBack) {
  std::string timing;
  std::vector<Event> in = {Event{0, Resize{100, 30}}, Event{250'000'000, Output{"one\r\n"}},
                           Event{250'000'000, Input{"x"}}, Event{1'750'000'400, Output{"two"}}};
  Header h = header(100, 30);
  std::string ts = encode(Format::script, h, in, nullptr, &timing);
  EXPECT_EQ(timing, "0.250000 5\n1.500000 3\n");
  EXPECT_EQ(ts.substr(0, 37), "Script started on 2023-11-14 22:13:20");
  auto d = open_script_buffers(ts, timing);
  ASSERT_TRUE(d.ok()) << d.error().what();
  auto got = drain(**d);
  ASSERT_FALSE(got.error) << got.error->what();
  EXPECT_EQ(got.info.start_wall_ns, h.info.start_wall_ns);
  EXPECT_EQ(got.info.term, "xterm-256color");
  ASSERT_EQ(got.events.size(), 3u);
  EXPECT_EQ(got.events[0], (Event{0, Resize{100, 30}}));
  EXPECT_EQ(got.events[1], (Event{250'000'000, Output{"one\r\n"}}));
  EXPECT_EQ(got.events[2], (Event{1'750'000'000, Output{"two"}}));
}

TEST(Script, LogIoKeepsInputAndResizesAndExitCode) {
  std::string timing;
  std::vector<Event> in = {Event{0, Resize{100, 30}}, Event{250'000'000, Output{"one\r\n"}},
                           Event{300'000'000, Input{"x"}}, Event{400'000'000, Resize{90, 20}},
                           Event{1'750'000'000, Output{"two"}},
                           Event{1'800'000'000, format::SessionEnd{format::SessionEnd::Reason::closed, 3 << 8}}};
  std::string ts = encode(Format::script_io, header(100, 30), in, nullptr, &timing);
  EXPECT_NE(timing.find("S 0.100000 SIGWINCH ROWS=20 COLS=90\n"), std::string::npos) << timing;
  auto d = open_script_buffers(ts, timing);
  ASSERT_TRUE(d.ok()) << d.error().what();
  auto got = drain(**d);
  ASSERT_FALSE(got.error) << got.error->what();
  ASSERT_EQ(got.events.size(), in.size());
  for (size_t i = 0; i + 1 < in.size(); ++i) EXPECT_EQ(got.events[i], in[i]) << i;
  EXPECT_EQ(got.events.back().get<format::SessionEnd>()->exit_status, 3 << 8);
}

TEST(Script, ATypescriptShorterThanItsTimingIsTruncated) {
  auto d = open_script_buffers("Script started on 2026-01-01 00:00:00+00:00 []\nabc", "0.1 2\n0.2 5\n");
  ASSERT_TRUE(d.ok());
  auto got = drain(**d);
  ASSERT_TRUE(got.error);
  EXPECT_EQ(got.error->kind(), ErrorKind::truncated);
  EXPECT_NE(got.error->what().find("line 2"), std::string::npos) << got.error->what();
  EXPECT_EQ(outputs(got.events), "ab");
}

TEST(Jsonl, OneObjectPerEventEveryKindIncluded) {
  std::string s = encode(Format::jsonl, header(),
                         {Event{0, format::Opener{1000, 7, format::Opener::Source::loginuid, "bob"}},
                          Event{1'000'000'001, Output{"\x1b[m\xff"}},
                          Event{2'000'000'000, format::Exec{9, 0, 0, "/usr/bin/sudo", std::string("sudo\0-i", 7)}},
                          Event{3'000'000'000, format::Gap{format::Stream::input, 5, 6, 1, format::Gap::Reason::recorder_down}},
                          Event{4'000'000'000, format::Keyframe{3, "state"}}});
  size_t lines = 0;
  for (char c : s) lines += c == '\n';
  EXPECT_EQ(lines, 5u);  // session + 4 (keyframes only on request)
  EXPECT_NE(s.find("{\"t\":0.000000000,\"kind\":\"opener\",\"uid\":1000,\"pid\":7,\"source\":\"loginuid\",\"user\":\"bob\"}\n"), std::string::npos) << s;
  EXPECT_NE(s.find("{\"t\":1.000000001,\"kind\":\"output\",\"data\":\"\\u001b[m\xef\xbf\xbd\"}\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\"argv\":[\"sudo\",\"-i\"]"), std::string::npos) << s;
  EXPECT_NE(s.find("\"kind\":\"gap\",\"stream\":\"input\",\"offset\":5,\"bytes\":6,\"events\":1,\"reason\":\"recorder-down\""), std::string::npos) << s;
}

TEST(Formats, ExtensionsAndNamesSelectFormats) {
  EXPECT_EQ(format_from_extension("a/b.CAST"), Format::cast_v2);
  EXPECT_EQ(format_from_extension("x.tap"), Format::tap);
  EXPECT_EQ(format_from_extension("x.timing"), Format::script);
  EXPECT_EQ(format_from_extension("x.jsonl"), Format::jsonl);
  EXPECT_EQ(format_from_extension("noext"), std::nullopt);
  EXPECT_EQ(parse_format("v3"), Format::cast_v3);
  EXPECT_EQ(parse_format("log-io"), Format::script_io);
  EXPECT_EQ(parse_format("nope"), std::nullopt);
  EXPECT_FALSE(can_write(Format::cast_v1));
}

}  // namespace
}  // namespace tap::convert::test
