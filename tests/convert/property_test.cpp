// Property tests: random event streams through every asciicast and script direction.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "test_util.hpp"

namespace tap::convert::test {
namespace {

using format::Input;
using format::Output;
using format::Resize;

// What a UTF-8 target holds for arbitrary bytes: valid sequences as they are, every other
// byte as U+FFFD (the same rule as the encoders, written independently).
std::string sanitize(std::string_view s) {
  std::string out;
  size_t i = 0;
  auto cont = [&](size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF && cont(1)) n = 2;
    else if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if (!(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0)) n = 3;
    } else if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if (!(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90)) n = 4;
    }
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// Pieces terminal output is made of: controls, escape sequences, wide and combining
// characters, invalid bytes.
const char* const kPieces[] = {"a", "Hello, world", "\r\n", "\x1b[1;31m", "\x1b[0m", "\x07", "\x00",
                               "\x7f", "\t", "\"", "\\", "\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87",
                               "\xf0\x9f\x98\x80", "e\xcc\x81", "\x1b]0;title\x07", "\xff", "\xc0\xaf",
                               "\xed\xa0\x80", "\xe2\x82", "\x80", "\xf4\x90\x80\x80"};

struct Stream {
  std::vector<format::Event> events;
  std::string output, input;
};

Stream random_stream(std::mt19937_64& rng, bool valid_only) {
  Stream s;
  std::string all_out;
  int64_t t = 0;
  size_t n = rng() % 60;
  for (size_t i = 0; i < n; ++i) {
    t += static_cast<int64_t>(rng() % 3'000'000'000ULL);
    int kind = static_cast<int>(rng() % 10);
    if (kind == 0) {
      s.events.push_back({t, Resize{static_cast<uint16_t>(1 + rng() % 500), static_cast<uint16_t>(1 + rng() % 200)}});
      continue;
    }
    std::string data;
    if (rng() % 20 == 0) {
      data.assign(1 + rng() % 400'000, static_cast<char>('A' + rng() % 26));  // huge
    } else if (rng() % 10 != 0) {  // else: empty
      size_t pieces = 1 + rng() % 12;
      for (size_t k = 0; k < pieces; ++k) {
        size_t limit = valid_only ? 15 : sizeof kPieces / sizeof *kPieces;
        const char* p = kPieces[rng() % limit];
        data.append(p, p[0] == 0 ? 1 : std::strlen(p));
      }
    }
    if (!valid_only && !data.empty() && rng() % 3 == 0) {
      // Cut the read at any byte, splitting sequences across events.
      size_t cut = rng() % data.size();
      std::string tail = data.substr(cut);
      data.resize(cut);
      s.events.push_back({t, Output{data}});
      s.output += data;
      t += 1000;
      data = tail;
    }
    if (kind <= 2) {
      s.events.push_back({t, Input{data}});
      s.input += data;
    } else {
      s.events.push_back({t, Output{data}});
      s.output += data;
    }
  }
  return s;
}

std::string concat(const std::vector<format::Event>& events, bool input) {
  std::string s;
  for (const auto& e : events) {
    if (const auto* o = e.get<Output>(); o && !input) s += o->data;
    if (const auto* i = e.get<Input>(); i && input) s += i->data;
  }
  return s;
}

class CastRoundTrip : public ::testing::TestWithParam<Format> {};

TEST_P(CastRoundTrip, ValidStreamsComeBackEventForEventWithinAMicrosecond) {
  std::mt19937_64 rng(42 + static_cast<int>(GetParam()));
  for (int round = 0; round < 40; ++round) {
    Stream s = random_stream(rng, true);
    EncodeStats st;
    auto d = decode_cast(encode(GetParam(), header(80, 24), s.events, &st));
    ASSERT_FALSE(d.error) << d.error->what();
    EXPECT_EQ(st.replaced_bytes, 0u);
    // Empty reads carry nothing in a cast; a resize to the size in effect is not repeated.
    std::vector<format::Event> want;
    Resize size{80, 24};
    for (const auto& e : s.events) {
      if (const auto* o = e.get<Output>(); o && o->data.empty()) continue;
      if (const auto* i = e.get<Input>(); i && i->data.empty()) continue;
      if (const auto* r = e.get<Resize>()) {
        if (*r == size) continue;
        size = *r;
      }
      want.push_back(e);
    }
    auto got = body(d.events);
    if (!got.empty() && got[0].kind() == format::EventKind::resize && got[0].time == 0 &&
        *got[0].get<Resize>() == Resize{80, 24})
      got.erase(got.begin());  // the header's size
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].body, want[i].body) << "round " << round << " event " << i;
      EXPECT_LE(std::llabs(got[i].time - want[i].time), 500) << "round " << round << " event " << i;
    }
  }
}

TEST_P(CastRoundTrip, AnyBytesComeBackAsTheirUtf8ReadingWithReplacementsCounted) {
  std::mt19937_64 rng(7 + static_cast<int>(GetParam()));
  for (int round = 0; round < 40; ++round) {
    Stream s = random_stream(rng, false);
    EncodeStats st;
    auto d = decode_cast(encode(GetParam(), header(), s.events, &st));
    ASSERT_FALSE(d.error) << d.error->what();
    std::string want_out = sanitize(s.output), want_in = sanitize(s.input);
    EXPECT_EQ(concat(d.events, false), want_out) << "round " << round;
    EXPECT_EQ(concat(d.events, true), want_in) << "round " << round;
    // Each replaced byte grew by 2 (1 byte became 3).
    EXPECT_EQ(st.replaced_bytes * 2, want_out.size() + want_in.size() - s.output.size() - s.input.size());
    for (size_t i = 1; i < d.events.size(); ++i) ASSERT_GE(d.events[i].time, d.events[i - 1].time);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, CastRoundTrip, ::testing::Values(Format::cast_v2, Format::cast_v3),
                         [](const auto& info) { return info.param == Format::cast_v2 ? "v2" : "v3"; });

TEST(ScriptRoundTrip, AnyBytesComeBackExactlyWithInputAndResizesInLogIoMode) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 30; ++round) {
    Stream s = random_stream(rng, false);
    std::string timing;
    std::string ts = encode(Format::script_io, header(), s.events, nullptr, &timing);
    auto dec = open_script_buffers(ts, timing);
    ASSERT_TRUE(dec.ok()) << dec.error().what();
    auto d = drain(**dec);
    ASSERT_FALSE(d.error) << d.error->what();
    EXPECT_EQ(concat(d.events, false), s.output);
    EXPECT_EQ(concat(d.events, true), s.input);
    size_t resizes_in = 0, resizes_out = 0;
    Resize size{80, 24};
    for (const auto& e : s.events)
      if (const auto* r = e.get<Resize>(); r && !(*r == size)) { ++resizes_in; size = *r; }
    for (const auto& e : d.events) resizes_out += e.kind() == format::EventKind::resize;
    EXPECT_EQ(resizes_out, resizes_in + 1);  // + the header's size
  }
}

}  // namespace
}  // namespace tap::convert::test
