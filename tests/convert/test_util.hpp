// Helpers shared by the tap::convert tests: encode an event list, decode a cast to a list.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tap/convert/cast_reader.hpp"
#include "tap/convert/encoder.hpp"
#include "tap/convert/script_reader.hpp"

namespace tap::convert::test {

using format::Event;

inline Header header(uint16_t cols = 80, uint16_t rows = 24) {
  Header h;
  h.cols = cols;
  h.rows = rows;
  h.info.term = "xterm-256color";
  h.info.start_wall_ns = 1'700'000'000'000'000'000;
  return h;
}

inline std::string encode(Format f, const Header& h, const std::vector<Event>& events,
                          EncodeStats* stats = nullptr, std::string* timing = nullptr) {
  StringSink out, tm;
  EncoderOptions o;
  o.timing = &tm;
  auto enc = make_encoder(f, out, o);
  EXPECT_TRUE(enc.ok()) << enc.error().what();
  if (!enc.ok()) return {};
  EXPECT_TRUE((*enc)->begin(h).ok());
  format::Nanos last = 0;
  for (const auto& e : events) {
    auto r = (*enc)->event(e);
    EXPECT_TRUE(r.ok()) << r.error().what();
    last = e.time;
  }
  EXPECT_TRUE((*enc)->end(last).ok());
  if (stats) *stats = (*enc)->stats();
  if (timing) *timing = tm.data;
  return out.data;
}

struct Decoded {
  std::vector<Event> events;
  std::optional<Error> error;
  format::SessionInfo info;
  SourceFacts facts;
};

inline Decoded drain(Decoder& d) {
  Decoded out;
  out.info = d.info();
  out.facts = d.facts();
  for (;;) {
    auto e = d.next();
    if (!e.ok()) {
      out.error = e.error();
      break;
    }
    if (*e == nullptr) break;
    out.events.push_back(**e);
  }
  return out;
}

inline Decoded decode_cast(std::string bytes) {
  auto d = open_cast_buffer(std::move(bytes));
  if (!d.ok()) {
    Decoded out;
    out.error = d.error();
    return out;
  }
  return drain(**d);
}

// Events of the kinds asciicast carries, without the header's own (size/title at time 0).
inline std::vector<Event> body(const std::vector<Event>& events) {
  std::vector<Event> out;
  for (const auto& e : events) {
    if (e.kind() == format::EventKind::output || e.kind() == format::EventKind::input ||
        e.kind() == format::EventKind::resize || e.kind() == format::EventKind::marker)
      out.push_back(e);
  }
  return out;
}

inline std::string outputs(const std::vector<Event>& events) {
  std::string s;
  for (const auto& e : events)
    if (const auto* o = e.get<format::Output>()) s += o->data;
  return s;
}

inline int64_t us_round(int64_t ns) { return (ns + 500) / 1000 * 1000; }

}  // namespace tap::convert::test
