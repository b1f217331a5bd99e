#include "tap/recorder/decoder.hpp"

#include <cstring>
#include <string>

#include "tty_capture.h"

namespace tap::recorder {

static_assert(sizeof(tap_rec_hdr) == 32, "ABI: tap_rec_hdr is 32 bytes");
static_assert(sizeof(tap_rec_data) == 48, "ABI: tap_rec_data is 48 bytes");
static_assert(sizeof(tap_rec_meta) == 104, "ABI: tap_rec_meta is 104 bytes");
static_assert(sizeof(tap_rec_exec) == 104 + TAP_PATH_MAX, "ABI: tap_rec_exec");
static_assert(sizeof(tap_session_state) == 48, "ABI: tap_session_state is 48 bytes");

bool Record::leader_exec() const { return (flags & TAP_F_LEADER) != 0; }
bool Record::setid_exec() const { return (flags & TAP_F_SETID) != 0; }
bool Record::input_fault() const { return (flags & TAP_F_INPUT) != 0; }

namespace {

std::string_view cstr(const char* p, size_t max) {
  size_t n = 0;
  while (n < max && p[n] != 0) ++n;
  return {p, n};
}

Failure corrupt(const char* what, size_t size) {
  return fail(ErrorKind::corrupt, std::string("ring record: ") + what + " (" +
                                      std::to_string(size) + " bytes)");
}

}  // namespace

Result<Record> decode_record(std::span<const uint8_t> bytes) {
  if (bytes.size() < sizeof(tap_rec_hdr)) return corrupt("shorter than its header", bytes.size());
  tap_rec_hdr h;
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.size != bytes.size())
    return corrupt(("size field " + std::to_string(h.size) + " disagrees with the record").c_str(), bytes.size());
  Record r;
  r.kind = static_cast<RecordKind>(h.kind);
  r.flags = h.flags;
  r.key = SessionKey{h.pty_dev, h.pty_index, h.generation};
  r.ts_ns = h.ts_ns;
  r.tgid = h.tgid;
  switch (h.kind) {
    case TAP_REC_OUTPUT:
    case TAP_REC_INPUT:
    case TAP_REC_INPUT_SUPPRESSED:
    case TAP_REC_FAULT: {
      if (bytes.size() < sizeof(tap_rec_data)) return corrupt("data record too short", bytes.size());
      tap_rec_data d;
      std::memcpy(&d, bytes.data(), sizeof d);
      r.offset = d.offset;
      r.len = d.len;
      r.call_len = d.call_len;
      size_t payload = bytes.size() - sizeof d;
      bool carries = h.kind == TAP_REC_OUTPUT || h.kind == TAP_REC_INPUT;
      if (carries ? (payload != d.len || d.len == 0 || d.len > TAP_CHUNK_MAX) : payload != 0)
        return corrupt("payload length disagrees with len", bytes.size());
      if (carries)
        r.payload = {reinterpret_cast<const char*>(bytes.data()) + sizeof d, payload};
      return r;
    }
    case TAP_REC_OPEN:
    case TAP_REC_CLOSE:
    case TAP_REC_HANGUP:
    case TAP_REC_WRITER:
    case TAP_REC_CRED:
    case TAP_REC_EXEC:
    case TAP_REC_RESIZE:
    case TAP_REC_LEADER: {
      size_t want = h.kind == TAP_REC_EXEC ? sizeof(tap_rec_exec) : sizeof(tap_rec_meta);
      if (bytes.size() != want) return corrupt("metadata record of the wrong size", bytes.size());
      tap_rec_meta m;
      std::memcpy(&m, bytes.data(), sizeof m);
      r.has_meta = true;
      r.tid = m.tid;
      r.uid = m.uid;
      r.euid = m.euid;
      r.loginuid = m.loginuid;
      r.ppid = m.ppid;
      r.cgroup_id = m.cgroup_id;
      r.mnt_ns = m.mnt_ns;
      r.out_off = m.out_off;
      r.in_off = m.in_off;
      r.cols = m.cols;
      r.rows = m.rows;
      r.comm = cstr(reinterpret_cast<const char*>(bytes.data()) + offsetof(tap_rec_meta, comm),
                    sizeof m.comm);
      if (h.kind == TAP_REC_EXEC)
        r.filename = cstr(reinterpret_cast<const char*>(bytes.data()) +
                              offsetof(tap_rec_exec, filename), TAP_PATH_MAX);
      return r;
    }
    default:
      return fail(ErrorKind::unsupported, "ring record: unknown kind " + std::to_string(h.kind));
  }
}

}  // namespace tap::recorder
