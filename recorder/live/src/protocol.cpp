// The live protocol codec (docs/live-protocol.md §Messages).
#include "tap/live/protocol.hpp"

#include <cstring>

namespace tap::live {

namespace {

// Upper bounds on what a decoder accepts, so garbage cannot make it allocate without bound.
constexpr uint16_t kMaxDim = 4096;
constexpr uint32_t kMaxSessions = 1u << 20;
constexpr size_t kMaxName = 4096;

Failure bad(std::string_view what) {
  return fail(ErrorKind::protocol, "malformed " + std::string(what));
}

void put_colour(Writer& w, const Colour& c) {
  w.u8(static_cast<uint8_t>(c.kind));
  w.u8(c.index);
  w.u8(c.r);
  w.u8(c.g);
  w.u8(c.b);
}

bool get_colour(Reader& r, Colour* c) {
  uint8_t kind = 0;
  if (!r.u8(&kind) || kind > 2) return false;
  c->kind = static_cast<Colour::Kind>(kind);
  return r.u8(&c->index) && r.u8(&c->r) && r.u8(&c->g) && r.u8(&c->b);
}

void put_entry(Writer& w, const SessionEntry& e) {
  w.u32(e.pty_index);
  w.u8(e.opener_known ? 1 : 0);
  w.u32(e.opener_uid);
  w.str(e.opener_user);
  w.u32(e.writer_pid);
  w.u32(e.writer_uid);
  w.str(e.writer_user);
  w.str(e.writer_comm);
  w.u32(e.leader_pid);
  w.str(e.leader_comm);
  w.u64(e.output_bytes);
  w.u64(e.output_events);
  w.u64(e.input_bytes);
  w.u64(e.input_events);
  w.u64(e.lost_bytes);
  w.u16(e.cols);
  w.u16(e.rows);
  w.i64(e.start_wall_ns);
  w.i64(e.last_activity_wall_ns);
  w.str(e.container);
  w.str(e.path);
}

bool get_entry(Reader& r, SessionEntry* e) {
  uint8_t known = 0;
  if (!r.u32(&e->pty_index) || !r.u8(&known) || known > 1) return false;
  e->opener_known = known == 1;
  return r.u32(&e->opener_uid) && r.str(&e->opener_user, kMaxName) && r.u32(&e->writer_pid) &&
         r.u32(&e->writer_uid) && r.str(&e->writer_user, kMaxName) &&
         r.str(&e->writer_comm, kMaxName) && r.u32(&e->leader_pid) &&
         r.str(&e->leader_comm, kMaxName) && r.u64(&e->output_bytes) &&
         r.u64(&e->output_events) && r.u64(&e->input_bytes) && r.u64(&e->input_events) &&
         r.u64(&e->lost_bytes) && r.u16(&e->cols) && r.u16(&e->rows) &&
         r.i64(&e->start_wall_ns) && r.i64(&e->last_activity_wall_ns) &&
         r.str(&e->container, kMaxName) && r.str(&e->path, kMaxName);
}

}  // namespace

void Writer::u16(uint16_t v) {
  u8(static_cast<uint8_t>(v));
  u8(static_cast<uint8_t>(v >> 8));
}
void Writer::u32(uint32_t v) {
  for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
}
void Writer::u64(uint64_t v) {
  for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
}
void Writer::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  out_.append(s);
}

bool Reader::u8(uint8_t* v) {
  if (pos_ + 1 > in_.size()) return false;
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}
bool Reader::u16(uint16_t* v) {
  if (in_.size() - pos_ < 2) return false;
  *v = static_cast<uint16_t>(static_cast<uint8_t>(in_[pos_]) |
                             (static_cast<uint8_t>(in_[pos_ + 1]) << 8));
  pos_ += 2;
  return true;
}
bool Reader::u32(uint32_t* v) {
  if (in_.size() - pos_ < 4) return false;
  uint32_t x = 0;
  for (int i = 3; i >= 0; --i) x = (x << 8) | static_cast<uint8_t>(in_[pos_ + i]);
  *v = x;
  pos_ += 4;
  return true;
}
bool Reader::u64(uint64_t* v) {
  if (in_.size() - pos_ < 8) return false;
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i) x = (x << 8) | static_cast<uint8_t>(in_[pos_ + i]);
  *v = x;
  pos_ += 8;
  return true;
}
bool Reader::i64(int64_t* v) {
  uint64_t x = 0;
  if (!u64(&x)) return false;
  *v = static_cast<int64_t>(x);
  return true;
}
bool Reader::str(std::string* s, size_t max) {
  uint32_t n = 0;
  if (!u32(&n) || n > max || n > in_.size() - pos_) return false;
  s->assign(in_.substr(pos_, n));
  pos_ += n;
  return true;
}

void put_screen(std::string& out, const Screen& s) {
  Writer w(out);
  w.u16(s.cols);
  w.u16(s.rows);
  w.u16(s.cursor_row);
  w.u16(s.cursor_col);
  w.u8(static_cast<uint8_t>((s.cursor_visible ? 1 : 0) | (s.alt_screen ? 2 : 0)));
  w.str(s.title);
  w.u32(static_cast<uint32_t>(s.lines.size()));
  for (const auto& line : s.lines) {
    w.u32(static_cast<uint32_t>(line.size()));
    for (const auto& span : line) {
      put_colour(w, span.style.fg);
      put_colour(w, span.style.bg);
      w.u16(span.style.flags);
      w.u8(span.style.underline);
      w.u16(span.cells);
      w.str(span.text);
    }
  }
}

bool Reader::get_screen(Screen* s) {
  uint8_t flags = 0;
  if (!u16(&s->cols) || !u16(&s->rows) || !u16(&s->cursor_row) || !u16(&s->cursor_col) ||
      !u8(&flags) || !str(&s->title, kMaxName))
    return false;
  if (s->cols == 0 || s->rows == 0 || s->cols > kMaxDim || s->rows > kMaxDim || flags > 3)
    return false;
  s->cursor_visible = (flags & 1) != 0;
  s->alt_screen = (flags & 2) != 0;
  uint32_t nlines = 0;
  if (!u32(&nlines) || nlines != s->rows) return false;
  s->lines.assign(nlines, {});
  for (auto& line : s->lines) {
    uint32_t nspans = 0;
    // Every span covers at least one cell, so a row has at most `cols` spans.
    if (!u32(&nspans) || nspans > s->cols) return false;
    line.resize(nspans);
    uint32_t cells = 0;
    for (auto& span : line) {
      if (!get_colour(*this, &span.style.fg) || !get_colour(*this, &span.style.bg) ||
          !u16(&span.style.flags) || !u8(&span.style.underline) || span.style.underline > 3 ||
          !u16(&span.cells) || span.cells == 0 || !str(&span.text, 6u * 4u * span.cells))
        return false;
      cells += span.cells;
    }
    if (cells > s->cols) return false;
  }
  return true;
}

size_t begin_frame(std::string& out, uint8_t type) {
  size_t start = out.size();
  out.append(4, '\0');
  out.push_back(static_cast<char>(type));
  return start;
}

void finish_frame(std::string& out, size_t start) {
  uint32_t n = static_cast<uint32_t>(out.size() - start - 4);
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<char>(n >> (8 * i));
}

void encode_request(std::string& out, const Request& r) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::request));
  Writer w(out);
  w.raw(kMagic);
  w.u16(r.version);
  w.u8(static_cast<uint8_t>(r.op));
  w.u32(r.pty_index);
  finish_frame(out, f);
}

void encode_hello(std::string& out) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::hello));
  Writer w(out);
  w.raw(kMagic);
  w.u16(kProtocolVersion);
  finish_frame(out, f);
}

void encode_session_list(std::string& out, const SessionList& list) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::session_list));
  Writer w(out);
  w.i64(list.now_wall_ns);
  w.u32(static_cast<uint32_t>(list.sessions.size()));
  for (const auto& e : list.sessions) put_entry(w, e);
  finish_frame(out, f);
}

void encode_screen(std::string& out, const Screen& screen) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::screen));
  put_screen(out, screen);
  finish_frame(out, f);
}

void encode_watch_start(std::string& out, const WatchStart& ws) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::watch_start));
  Writer w(out);
  w.u64(ws.stream_id);
  w.u64(ws.next_seq);
  put_screen(out, ws.screen);
  finish_frame(out, f);
}

void encode_output(std::string& out, std::string_view bytes) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::output));
  out.append(bytes);
  finish_frame(out, f);
}

void encode_end(std::string& out, const End& e) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::end));
  Writer w(out);
  w.u8(static_cast<uint8_t>(e.reason));
  w.str(e.message);
  finish_frame(out, f);
}

void encode_error(std::string& out, const ErrorReply& e) {
  size_t f = begin_frame(out, static_cast<uint8_t>(MessageType::error));
  Writer w(out);
  w.u8(static_cast<uint8_t>(e.code));
  w.str(e.message);
  finish_frame(out, f);
}

Result<Request> decode_request(std::string_view payload) {
  Reader r(payload);
  uint8_t type = 0;
  if (!r.u8(&type) || type != static_cast<uint8_t>(MessageType::request))
    return fail(ErrorKind::protocol, "not a tap live request");
  std::string_view rest = r.rest();
  if (rest.size() < kMagic.size() || rest.substr(0, kMagic.size()) != kMagic)
    return fail(ErrorKind::protocol, "not a tap live request");
  Reader body(rest.substr(kMagic.size()));
  Request req;
  if (!body.u16(&req.version)) return bad("request");
  if (req.version != kProtocolVersion)
    return fail(ErrorKind::unsupported_version,
                "protocol version " + std::to_string(req.version) +
                    " is not supported (this side speaks " + std::to_string(kProtocolVersion) +
                    ")");
  uint8_t op = 0;
  if (!body.u8(&op) || op < 1 || op > 3 || !body.u32(&req.pty_index) || !body.done())
    return bad("request");
  req.op = static_cast<Op>(op);
  return req;
}

Result<Message> decode_message(std::string_view payload) {
  Reader r(payload);
  uint8_t type = 0;
  if (!r.u8(&type)) return bad("message: empty");
  Message m;
  m.type = static_cast<MessageType>(type);
  switch (m.type) {
    case MessageType::hello: {
      std::string_view rest = r.rest();
      if (rest.size() != kMagic.size() + 2 || rest.substr(0, kMagic.size()) != kMagic)
        return fail(ErrorKind::protocol, "the peer is not a taprec live socket");
      Reader body(rest.substr(kMagic.size()));
      if (!body.u16(&m.hello_version)) return bad("hello");
      return m;
    }
    case MessageType::session_list: {
      uint32_t n = 0;
      if (!r.i64(&m.list.now_wall_ns) || !r.u32(&n) || n > kMaxSessions) return bad("list");
      // Each entry takes at least 100 bytes; refuse counts the payload cannot hold.
      if (n > payload.size() / 64) return bad("list");
      m.list.sessions.resize(n);
      for (auto& e : m.list.sessions)
        if (!get_entry(r, &e)) return bad("list");
      if (!r.done()) return bad("list");
      return m;
    }
    case MessageType::screen:
      if (!r.get_screen(&m.screen) || !r.done()) return bad("screen");
      return m;
    case MessageType::watch_start:
      if (!r.u64(&m.watch.stream_id) || !r.u64(&m.watch.next_seq) ||
          !r.get_screen(&m.watch.screen) || !r.done())
        return bad("watch start");
      return m;
    case MessageType::output:
      m.output.assign(r.rest());
      return m;
    case MessageType::end: {
      uint8_t reason = 0;
      if (!r.u8(&reason) || reason < 1 || reason > 2 || !r.str(&m.end.message, kMaxName) ||
          !r.done())
        return bad("end");
      m.end.reason = static_cast<EndReason>(reason);
      return m;
    }
    case MessageType::error: {
      uint8_t code = 0;
      if (!r.u8(&code) || code < 1 || code > 8 || !r.str(&m.error.message, kMaxName) ||
          !r.done())
        return bad("error");
      m.error.code = static_cast<ErrorCode>(code);
      return m;
    }
    case MessageType::request:
      break;
  }
  return fail(ErrorKind::protocol, "unknown message type " + std::to_string(type));
}

Result<std::optional<std::string_view>> FrameReader::next() {
  // Drop consumed bytes once they dominate, so the buffer stays bounded by one frame.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  if (buf_.size() - pos_ < 4) return std::optional<std::string_view>();
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(buf_[pos_ + i]);
  if (n == 0 || n > max_frame_)
    return fail(ErrorKind::protocol,
                "frame of " + std::to_string(n) + " bytes (limit " + std::to_string(max_frame_) +
                    ")");
  if (buf_.size() - pos_ - 4 < n) return std::optional<std::string_view>();
  std::string_view payload(buf_.data() + pos_ + 4, n);
  pos_ += 4 + n;
  return std::optional<std::string_view>(payload);
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::not_found: return "not-found";
    case ErrorCode::bad_request: return "bad-request";
    case ErrorCode::unsupported_version: return "unsupported-version";
    case ErrorCode::busy: return "busy";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::lagging: return "lagging";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

}  // namespace tap::live
