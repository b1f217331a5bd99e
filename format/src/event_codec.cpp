#include "event_codec.hpp"

#include "layout.hpp"
#include "wire.hpp"

namespace tap::format::codec {
namespace {

// Encodes the body into `scratch` (reused across calls, so steady state does not allocate).
void encode_body(std::string& b, const EventBody& body) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, Output> || std::is_same_v<T, Input>) {
          b.append(e.data);
        } else if constexpr (std::is_same_v<T, InputSuppressed>) {
          wire::put_varint(b, e.length);
        } else if constexpr (std::is_same_v<T, Resize>) {
          wire::put_varint(b, e.cols);
          wire::put_varint(b, e.rows);
        } else if constexpr (std::is_same_v<T, Opener>) {
          wire::put_varint(b, e.uid);
          wire::put_varint(b, e.pid);
          wire::put_u8(b, static_cast<uint8_t>(e.source));
          b.append(e.user);
        } else if constexpr (std::is_same_v<T, WriterChange>) {
          wire::put_varint(b, e.pid);
          wire::put_varint(b, e.uid);
          wire::put_varint(b, e.euid);
          wire::put_varint(b, e.loginuid);
          b.append(e.comm);
        } else if constexpr (std::is_same_v<T, Exec>) {
          wire::put_varint(b, e.pid);
          wire::put_varint(b, e.uid);
          wire::put_varint(b, e.euid);
          wire::put_bytes(b, e.filename);
          b.append(e.argv);
        } else if constexpr (std::is_same_v<T, Marker>) {
          wire::put_u8(b, static_cast<uint8_t>(e.kind));
          b.append(e.label);
        } else if constexpr (std::is_same_v<T, Gap>) {
          wire::put_u8(b, static_cast<uint8_t>(e.stream));
          wire::put_varint(b, e.offset);
          wire::put_varint(b, e.bytes);
          wire::put_varint(b, e.events);
          wire::put_u8(b, static_cast<uint8_t>(e.reason));
        } else if constexpr (std::is_same_v<T, Keyframe>) {
          wire::put_varint(b, e.event_seq);
          b.append(e.state);
        } else if constexpr (std::is_same_v<T, SessionEnd>) {
          wire::put_u8(b, static_cast<uint8_t>(e.reason));
          wire::put_u32(b, static_cast<uint32_t>(e.exit_status));
        }
      },
      body);
}

size_t body_size_hint(const EventBody& body) {
  if (const auto* o = std::get_if<Output>(&body)) return o->data.size();
  if (const auto* i = std::get_if<Input>(&body)) return i->data.size();
  return 64;
}

}  // namespace

void encode_event(std::string& out, Nanos delta, const Event& event) {
  wire::put_varint(out, static_cast<uint64_t>(delta));
  wire::put_u8(out, static_cast<uint8_t>(event.kind()));
  // Output and input, the bulk of every file, are written straight into `out`.
  if (const auto* o = std::get_if<Output>(&event.body)) {
    wire::put_bytes(out, o->data);
    return;
  }
  if (const auto* i = std::get_if<Input>(&event.body)) {
    wire::put_bytes(out, i->data);
    return;
  }
  thread_local std::string scratch;
  scratch.clear();
  scratch.reserve(body_size_hint(event.body));
  encode_body(scratch, event.body);
  wire::put_bytes(out, scratch);
}

Parse parse_event(std::string_view data, uint64_t* delta, uint8_t* kind, std::string_view* body,
                  size_t* consumed) {
  wire::Reader r(data);
  uint64_t len = 0;
  if (!r.varint(*delta) || !r.u8(*kind) || !r.varint(len)) {
    // A varint longer than 10 bytes is corrupt even though the reader ran out; 20 bytes are
    // more than any valid event header.
    return data.size() >= 21 ? Parse::corrupt : Parse::need_more;
  }
  if (len > layout::kMaxEventBody) return Parse::corrupt;
  if (r.remaining() < len) return Parse::need_more;
  r.raw(static_cast<size_t>(len), *body);
  *consumed = r.pos();
  return Parse::ok;
}

Body decode_body(uint8_t kind, std::string_view body, Event& out) {
  wire::Reader r(body);
  switch (static_cast<EventKind>(kind)) {
    case EventKind::output: {
      Output* o = std::get_if<Output>(&out.body);
      if (o == nullptr) o = &out.body.emplace<Output>();
      o->data.assign(body);
      return Body::ok;
    }
    case EventKind::input: {
      Input* i = std::get_if<Input>(&out.body);
      if (i == nullptr) i = &out.body.emplace<Input>();
      i->data.assign(body);
      return Body::ok;
    }
    case EventKind::input_suppressed: {
      InputSuppressed e;
      r.varint_as(e.length);
      out.body = e;
      break;
    }
    case EventKind::resize: {
      Resize e;
      r.varint_as(e.cols);
      r.varint_as(e.rows);
      out.body = e;
      break;
    }
    case EventKind::opener: {
      Opener e;
      uint8_t src = 0;
      r.varint_as(e.uid);
      r.varint_as(e.pid);
      r.u8(src);
      e.source = static_cast<Opener::Source>(src);
      e.user.assign(r.rest());
      out.body = std::move(e);
      break;
    }
    case EventKind::writer: {
      WriterChange e;
      r.varint_as(e.pid);
      r.varint_as(e.uid);
      r.varint_as(e.euid);
      r.varint_as(e.loginuid);
      e.comm.assign(r.rest());
      out.body = std::move(e);
      break;
    }
    case EventKind::exec: {
      Exec e;
      r.varint_as(e.pid);
      r.varint_as(e.uid);
      r.varint_as(e.euid);
      r.bytes(e.filename, layout::kMaxEventBody);
      e.argv.assign(r.rest());
      out.body = std::move(e);
      break;
    }
    case EventKind::marker: {
      Marker e;
      uint8_t k = 0;
      r.u8(k);
      e.kind = static_cast<Marker::Kind>(k);
      e.label.assign(r.rest());
      out.body = std::move(e);
      break;
    }
    case EventKind::gap: {
      Gap e;
      uint8_t s = 0, reason = 0;
      r.u8(s);
      r.varint(e.offset);
      r.varint(e.bytes);
      r.varint(e.events);
      r.u8(reason);
      e.stream = static_cast<Stream>(s);
      e.reason = static_cast<Gap::Reason>(reason);
      out.body = e;
      break;
    }
    case EventKind::keyframe: {
      Keyframe e;
      r.varint(e.event_seq);
      e.state.assign(r.rest());
      out.body = std::move(e);
      break;
    }
    case EventKind::end: {
      SessionEnd e;
      uint8_t reason = 0;
      uint32_t status = 0;
      r.u8(reason);
      r.u32(status);
      e.reason = static_cast<SessionEnd::Reason>(reason);
      e.exit_status = static_cast<int32_t>(status);
      out.body = e;
      break;
    }
    default:
      return Body::unknown_kind;
  }
  // Fixed-layout bodies may carry later minor additions after their known fields.
  return r.ok() ? Body::ok : Body::corrupt;
}

}  // namespace tap::format::codec
