#include <gtest/gtest.h>

#include <random>

#include "tap/live/protocol.hpp"
#include "tap/live/worker_channel.hpp"

namespace tap::live {
namespace {

Screen sample_screen() {
  Screen s;
  s.cols = 10;
  s.rows = 2;
  s.cursor_row = 1;
  s.cursor_col = 3;
  s.alt_screen = true;
  s.title = "t\x1b]";
  Style red;
  red.fg.kind = Colour::Kind::indexed;
  red.fg.index = 1;
  red.flags = Style::kBold;
  Style rgb;
  rgb.bg = Colour{Colour::Kind::rgb, 0, 1, 2, 3};
  rgb.underline = 3;
  s.lines = {{Span{red, 3, "abc"}, Span{Style{}, 7, "       "}},
             {Span{rgb, 2, "\xe4\xb8\xad"}, Span{Style{}, 1, "x"}}};
  return s;
}

std::string payload_of(const std::string& frame) {
  EXPECT_GE(frame.size(), 4u);
  return frame.substr(4);
}

TEST(LiveProtocol, EveryMessageRoundTrips) {
  std::string f;
  encode_request(f, Request{kProtocolVersion, Op::watch, 7});
  auto req = decode_request(payload_of(f));
  ASSERT_TRUE(req.ok()) << req.error().what();
  EXPECT_EQ(req->op, Op::watch);
  EXPECT_EQ(req->pty_index, 7u);

  SessionList list;
  list.now_wall_ns = 123;
  SessionEntry e;
  e.pty_index = 3;
  e.opener_known = true;
  e.opener_uid = 1000;
  e.opener_user = "alice";
  e.writer_uid = 0;
  e.writer_comm = "sudo";
  e.output_bytes = 12384;
  e.path = "/var/log/taprec/x.tap";
  list.sessions = {e, SessionEntry{}};
  f.clear();
  encode_session_list(f, list);
  auto m = decode_message(payload_of(f));
  ASSERT_TRUE(m.ok()) << m.error().what();
  EXPECT_EQ(m->type, MessageType::session_list);
  EXPECT_EQ(m->list, list);

  f.clear();
  encode_screen(f, sample_screen());
  m = decode_message(payload_of(f));
  ASSERT_TRUE(m.ok()) << m.error().what();
  EXPECT_EQ(m->screen, sample_screen());

  f.clear();
  encode_watch_start(f, WatchStart{9, 44, sample_screen()});
  m = decode_message(payload_of(f));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->watch.stream_id, 9u);
  EXPECT_EQ(m->watch.next_seq, 44u);
  EXPECT_EQ(m->watch.screen, sample_screen());

  f.clear();
  encode_output(f, std::string("\0\x1b[31mraw", 9));
  m = decode_message(payload_of(f));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->output, std::string("\0\x1b[31mraw", 9));

  f.clear();
  encode_error(f, ErrorReply{ErrorCode::not_found, "no active session with pty_index=4"});
  m = decode_message(payload_of(f));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->error.code, ErrorCode::not_found);
  EXPECT_EQ(m->error.message, "no active session with pty_index=4");
}

TEST(LiveProtocol, AnotherVersionIsAClearError) {
  std::string f;
  encode_request(f, Request{2, Op::list, 0});
  auto req = decode_request(payload_of(f));
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.error().kind(), ErrorKind::unsupported_version);
  EXPECT_NE(req.error().what().find("version 2"), std::string::npos);
}

TEST(LiveProtocol, EveryTruncationOfAValidMessageIsRejected) {
  std::string f;
  encode_watch_start(f, WatchStart{1, 2, sample_screen()});
  std::string p = payload_of(f);
  for (size_t n = 0; n < p.size(); ++n) {
    auto m = decode_message(std::string_view(p).substr(0, n));
    EXPECT_FALSE(m.ok()) << "prefix " << n;
  }
}

// Property: arbitrary bytes and mutations of valid messages never crash the decoders and
// never decode into a screen that breaks its own invariants.
TEST(LiveProtocol, ArbitraryBytesNeverCrashTheDecoders) {
  std::mt19937_64 rng(20261127);
  std::vector<std::string> seeds;
  std::string f;
  encode_watch_start(f, WatchStart{1, 2, sample_screen()});
  seeds.push_back(payload_of(f));
  f.clear();
  SessionList list;
  list.sessions.resize(3);
  encode_session_list(f, list);
  seeds.push_back(payload_of(f));
  f.clear();
  encode_request(f, Request{});
  seeds.push_back(payload_of(f));
  size_t decoded = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string p;
    if (i % 3 == 0) {
      p.resize(rng() % 300);
      for (auto& c : p) c = static_cast<char>(rng());
    } else {
      p = seeds[rng() % seeds.size()];
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) p[rng() % p.size()] = static_cast<char>(rng());
    }
    auto m = decode_message(p);
    if (m.ok()) {
      ++decoded;
      if (m->type == MessageType::screen || m->type == MessageType::watch_start) {
        const Screen& s = m->type == MessageType::screen ? m->screen : m->watch.screen;
        ASSERT_EQ(s.lines.size(), s.rows);
        for (const auto& line : s.lines) {
          size_t cells = 0;
          for (const auto& span : line) cells += span.cells;
          ASSERT_LE(cells, s.cols);
        }
      }
    }
    (void)decode_request(p);
    (void)worker::decode(p);
  }
  EXPECT_GT(decoded, 0u);  // some mutations land in free-form fields and still parse
}

TEST(LiveProtocol, FrameReaderReassemblesAndRefusesOversizedFrames) {
  std::string stream;
  encode_output(stream, "one");
  encode_output(stream, std::string(100000, 'x'));
  FrameReader r;
  std::vector<std::string> got;
  for (size_t i = 0; i < stream.size(); i += 7) {
    r.append(std::string_view(stream).substr(i, 7));
    for (;;) {
      auto f = r.next();
      ASSERT_TRUE(f.ok());
      if (!f->has_value()) break;
      got.emplace_back(**f);
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].substr(1), "one");
  EXPECT_EQ(got[1].size(), 100001u);

  FrameReader small(kMaxRequestFrame);
  small.append(std::string("\xff\xff\xff\x7f", 4));
  auto f = small.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().kind(), ErrorKind::protocol);
}

TEST(WorkerChannel, MessagesRoundTrip) {
  std::string f;
  worker::encode_output(f, 5, 77, "bytes", false);
  auto m = worker::decode(payload_of(f));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, worker::Type::output_part);
  EXPECT_EQ(m->sid, 5u);
  EXPECT_EQ(m->seq, 77u);
  EXPECT_EQ(m->bytes, "bytes");
  f.clear();
  Screen s = sample_screen();
  worker::encode_screen(f, 3, 5, 80, &s, {});
  m = worker::decode(payload_of(f));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->tag, 3u);
  EXPECT_EQ(m->seq, 80u);
  EXPECT_TRUE(m->ok);
  EXPECT_EQ(m->screen, s);
}

}  // namespace
}  // namespace tap::live
