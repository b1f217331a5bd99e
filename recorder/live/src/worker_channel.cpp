#include "tap/live/worker_channel.hpp"

#include "tap/live/protocol.hpp"

namespace tap::live::worker {

namespace {
size_t start(std::string& out, Type t, uint64_t sid) {
  size_t f = begin_frame(out, static_cast<uint8_t>(t));
  Writer(out).u64(sid);
  return f;
}
}  // namespace

void encode_open(std::string& out, uint64_t sid, uint16_t cols, uint16_t rows) {
  size_t f = start(out, Type::open, sid);
  Writer w(out);
  w.u16(cols);
  w.u16(rows);
  finish_frame(out, f);
}

void encode_output(std::string& out, uint64_t sid, uint64_t seq, std::string_view bytes,
                   bool last) {
  size_t f = start(out, last ? Type::output : Type::output_part, sid);
  Writer w(out);
  w.u64(seq);
  w.raw(bytes);
  finish_frame(out, f);
}

void encode_resize(std::string& out, uint64_t sid, uint64_t seq, uint16_t cols, uint16_t rows) {
  size_t f = start(out, Type::resize, sid);
  Writer w(out);
  w.u64(seq);
  w.u16(cols);
  w.u16(rows);
  finish_frame(out, f);
}

void encode_close(std::string& out, uint64_t sid) {
  finish_frame(out, start(out, Type::close, sid));
}

void encode_snapshot(std::string& out, uint64_t sid, uint64_t tag) {
  size_t f = start(out, Type::snapshot, sid);
  Writer(out).u64(tag);
  finish_frame(out, f);
}

void encode_resync(std::string& out, uint64_t sid, uint64_t until_seq, std::string_view path) {
  size_t f = start(out, Type::resync, sid);
  Writer w(out);
  w.u64(until_seq);
  w.raw(path);
  finish_frame(out, f);
}

void encode_keyframe(std::string& out, uint64_t sid, uint64_t event_seq, std::string_view state) {
  size_t f = start(out, Type::keyframe, sid);
  Writer w(out);
  w.u64(event_seq);
  w.raw(state);
  finish_frame(out, f);
}

void encode_screen(std::string& out, uint64_t tag, uint64_t sid, uint64_t next_seq,
                   const Screen* screen, std::string_view error) {
  size_t f = start(out, Type::screen, sid);
  Writer w(out);
  w.u64(tag);
  w.u64(next_seq);
  w.u8(screen != nullptr ? 1 : 0);
  if (screen != nullptr) {
    put_screen(out, *screen);
  } else {
    w.raw(error);
  }
  finish_frame(out, f);
}

void encode_resynced(std::string& out, uint64_t sid, uint64_t seq, bool ok,
                     std::string_view message) {
  size_t f = start(out, Type::resynced, sid);
  Writer w(out);
  w.u64(seq);
  w.u8(ok ? 1 : 0);
  w.raw(message);
  finish_frame(out, f);
}

void encode_closed(std::string& out, uint64_t sid) {
  finish_frame(out, start(out, Type::closed, sid));
}

Result<Message> decode(std::string_view payload) {
  Reader r(payload);
  uint8_t type = 0;
  Message m;
  if (!r.u8(&type) || !r.u64(&m.sid)) return fail(ErrorKind::protocol, "short worker message");
  m.type = static_cast<Type>(type);
  bool ok = false;
  switch (m.type) {
    case Type::open:
      ok = r.u16(&m.cols) && r.u16(&m.rows) && r.done();
      break;
    case Type::output:
    case Type::output_part:
    case Type::resync:
    case Type::keyframe:
      ok = r.u64(&m.seq);
      m.bytes = r.rest();
      break;
    case Type::resize:
      ok = r.u64(&m.seq) && r.u16(&m.cols) && r.u16(&m.rows) && r.done();
      break;
    case Type::close:
    case Type::closed:
      ok = r.done();
      break;
    case Type::snapshot:
      ok = r.u64(&m.tag) && r.done();
      break;
    case Type::screen: {
      uint8_t has = 0;
      ok = r.u64(&m.tag) && r.u64(&m.seq) && r.u8(&has) && has <= 1;
      if (ok && has == 1) {
        ok = r.get_screen(&m.screen) && r.done();
      } else if (ok) {
        m.ok = false;
        m.bytes = r.rest();
      }
      break;
    }
    case Type::resynced: {
      uint8_t okb = 0;
      ok = r.u64(&m.seq) && r.u8(&okb) && okb <= 1;
      m.ok = okb == 1;
      m.bytes = r.rest();
      break;
    }
  }
  if (!ok) return fail(ErrorKind::protocol, "malformed worker message type " + std::to_string(type));
  return m;
}

}  // namespace tap::live::worker
