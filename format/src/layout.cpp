#include "layout.hpp"

#include <algorithm>
#include <cstring>

#include "crc32c.hpp"
#include "wire.hpp"

namespace tap::format::layout {

std::array<char, kRecordHeaderLen> encode_record_header(uint8_t type, uint8_t flags,
                                                        uint64_t seq, int64_t time,
                                                        std::string_view prefix,
                                                        std::string_view payload) {
  std::string h;
  h.reserve(kRecordHeaderLen);
  h.append(kRecordMagic, 4);
  wire::put_u8(h, type);
  wire::put_u8(h, flags);
  wire::put_u16(h, kRecordHeaderLen);
  wire::put_u32(h, static_cast<uint32_t>(prefix.size() + payload.size()));
  wire::put_u64(h, seq);
  wire::put_u64(h, static_cast<uint64_t>(time));
  uint32_t crc = crc32c(0, h.data(), h.size());
  crc = crc32c(crc, prefix.data(), prefix.size());
  crc = crc32c(crc, payload.data(), payload.size());
  wire::put_u32(h, crc);
  std::array<char, kRecordHeaderLen> out{};
  std::memcpy(out.data(), h.data(), kRecordHeaderLen);
  return out;
}

HeaderCheck decode_record_header(const char* b, RecordHeader& out) {
  if (std::memcmp(b, kRecordMagic, 4) != 0) {
    for (uint32_t i = 0; i < kRecordHeaderLen; ++i)
      if (b[i] != 0) return HeaderCheck::bad_magic;
    return HeaderCheck::zero;
  }
  out.raw_type = static_cast<uint8_t>(b[4]);
  out.type = static_cast<RecordType>(out.raw_type);
  out.flags = static_cast<uint8_t>(b[5]);
  if (wire::get_u16(b + 6) != kRecordHeaderLen) return HeaderCheck::bad_length;
  out.payload_len = wire::get_u32(b + 8);
  if (out.payload_len > kMaxPayload) return HeaderCheck::bad_length;
  out.seq = wire::get_u64(b + 12);
  out.time = static_cast<int64_t>(wire::get_u64(b + 20));
  out.crc = wire::get_u32(b + 28);
  return HeaderCheck::ok;
}

uint32_t record_crc(const char* header28, std::string_view payload) {
  uint32_t crc = crc32c(0, header28, 28);
  return crc32c(crc, payload.data(), payload.size());
}

std::string encode_file_header(const SessionInfo& info) {
  std::string h(kFileMagic, 8);
  uint16_t flags = 0;
  if (info.imported) flags |= kHeaderImported;
  if (info.joined_late) flags |= kHeaderJoinedLate;
  if (info.previous) flags |= kHeaderHasPrevious;
  wire::put_u16(h, kVersion);
  wire::put_u16(h, flags);
  wire::put_u32(h, 0);  // header_len, patched below
  h.append(reinterpret_cast<const char*>(info.session_id.data()), 16);
  h.append(reinterpret_cast<const char*>(info.file_id.data()), 16);
  wire::put_u32(h, info.segment);
  h.append(reinterpret_cast<const char*>(info.host_id.data()), 16);
  h.append(reinterpret_cast<const char*>(info.boot_id.data()), 16);
  wire::put_u64(h, static_cast<uint64_t>(info.start_wall_ns));
  wire::put_u32(h, static_cast<uint32_t>(info.utc_offset_s));
  wire::put_u32(h, info.pty_index);
  wire::put_u64(h, info.pty_dev);
  wire::put_u64(h, info.cgroup_id);
  wire::put_u64(h, info.mnt_ns);
  SegmentLink link = info.previous.value_or(SegmentLink{});
  h.append(reinterpret_cast<const char*>(link.previous_file_id.data()), 16);
  h.append(reinterpret_cast<const char*>(link.last_sealed_head.data()), 32);
  wire::put_u64(h, link.last_sealed_seq);
  auto put_str = [&](const std::string& s) {
    wire::put_bytes(h, std::string_view(s).substr(0, kMaxHeaderString));
  };
  put_str(info.host_name);
  put_str(info.recorder);
  put_str(info.key_id);
  put_str(info.term);
  uint32_t len = static_cast<uint32_t>(h.size() + 4);
  std::string lenb;
  wire::put_u32(lenb, len);
  h.replace(12, 4, lenb);
  wire::put_u32(h, crc32c(0, h.data(), h.size()));
  return h;
}

Result<SessionInfo> decode_file_header(std::string_view bytes, uint32_t* len) {
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kFileMagic, 8) != 0) {
    if (std::memcmp(bytes.data(), kFileMagic, std::min<size_t>(bytes.size(), 8)) == 0)
      return fail(ErrorKind::truncated, "file header: file ends inside the header");
    return fail(ErrorKind::corrupt, "file header: not a .tap file (bad magic)");
  }
  uint16_t version = wire::get_u16(bytes.data() + 8);
  if (version != kVersion)
    return fail(ErrorKind::unsupported_version,
                "file header: format version " + std::to_string(version) +
                    " (this build reads version " + std::to_string(kVersion) + ")");
  uint16_t flags = wire::get_u16(bytes.data() + 10);
  uint32_t n = wire::get_u32(bytes.data() + 12);
  if (n < kMinHeaderLen || n > kMaxHeaderLen)
    return fail(ErrorKind::corrupt, "file header: impossible length " + std::to_string(n));
  if (bytes.size() < n) return fail(ErrorKind::truncated, "file header: file ends inside the header");
  if (crc32c(0, bytes.data(), n - 4) != wire::get_u32(bytes.data() + n - 4))
    return fail(ErrorKind::corrupt, "file header: bad CRC");
  wire::Reader r(bytes.substr(16, n - 20));
  SessionInfo info;
  std::string_view v;
  auto id = [&](Id128& out) {
    if (r.raw(16, v)) std::memcpy(out.data(), v.data(), 16);
  };
  id(info.session_id);
  id(info.file_id);
  r.u32(info.segment);
  id(info.host_id);
  id(info.boot_id);
  r.i64(info.start_wall_ns);
  uint32_t off = 0;
  r.u32(off);
  info.utc_offset_s = static_cast<int32_t>(off);
  r.u32(info.pty_index);
  r.u64(info.pty_dev);
  r.u64(info.cgroup_id);
  r.u64(info.mnt_ns);
  SegmentLink link;
  id(link.previous_file_id);
  if (r.raw(32, v)) std::memcpy(link.last_sealed_head.data(), v.data(), 32);
  r.u64(link.last_sealed_seq);
  r.bytes(info.host_name, kMaxHeaderString);
  r.bytes(info.recorder, kMaxHeaderString);
  r.bytes(info.key_id, kMaxHeaderString);
  r.bytes(info.term, kMaxHeaderString);
  if (!r.ok()) return fail(ErrorKind::corrupt, "file header: fields overrun the header");
  // Bytes after the known fields are reserved for later minor additions and ignored.
  info.imported = (flags & kHeaderImported) != 0;
  info.joined_late = (flags & kHeaderJoinedLate) != 0;
  if (flags & kHeaderHasPrevious) info.previous = link;
  *len = n;
  return info;
}

std::string encode_seal_body(const SealBody& b, bool is_end) {
  std::string out;
  out.reserve(128 + b.frames.size() * 24 + b.keyframes.size() * 36);
  wire::put_u64(out, b.seq);
  out.append(reinterpret_cast<const char*>(b.head.data()), 32);
  wire::put_u64(out, static_cast<uint64_t>(b.wall_ns));
  wire::put_u64(out, b.events);
  wire::put_u64(out, static_cast<uint64_t>(b.last_time));
  wire::put_u64(out, b.prev_seal);
  std::string_view id = std::string_view(b.key_id).substr(0, kMaxKeyIdLen);
  wire::put_u8(out, static_cast<uint8_t>(id.size()));
  out.append(id);
  wire::put_u32(out, static_cast<uint32_t>(b.frames.size()));
  for (const FrameEntry& f : b.frames) {
    wire::put_u64(out, f.offset);
    wire::put_u64(out, f.first_seq);
    wire::put_u64(out, static_cast<uint64_t>(f.first_time));
  }
  wire::put_u32(out, static_cast<uint32_t>(b.keyframes.size()));
  for (const KeyframeEntry& k : b.keyframes) {
    wire::put_u64(out, k.frame_offset);
    wire::put_u32(out, k.in_frame_offset);
    wire::put_u64(out, k.seq);
    wire::put_u64(out, k.event_seq);
    wire::put_u64(out, static_cast<uint64_t>(k.time));
  }
  if (is_end) {
    wire::put_u8(out, static_cast<uint8_t>(kKinds));
    for (uint64_t c : b.totals.events_by_kind) wire::put_u64(out, c);
    wire::put_u64(out, b.totals.output_bytes);
    wire::put_u64(out, b.totals.input_bytes);
    wire::put_u64(out, b.totals.suppressed_bytes);
    wire::put_u64(out, b.totals.gap_bytes);
    wire::put_u64(out, b.totals.frames);
  }
  return out;
}

bool decode_seal_body(std::string_view payload, bool is_end, SealBody& b,
                      std::string_view* signed_part, std::string_view* signature) {
  if (payload.size() < kSignatureLen) return false;
  *signed_part = payload.substr(0, payload.size() - kSignatureLen);
  *signature = payload.substr(payload.size() - kSignatureLen);
  wire::Reader r(*signed_part);
  std::string_view v;
  r.u64(b.seq);
  if (r.raw(32, v)) std::memcpy(b.head.data(), v.data(), 32);
  r.i64(b.wall_ns);
  r.u64(b.events);
  r.i64(b.last_time);
  r.u64(b.prev_seal);
  uint8_t idlen = 0;
  r.u8(idlen);
  if (idlen > kMaxKeyIdLen) return false;
  if (r.raw(idlen, v)) b.key_id.assign(v);
  uint32_t nf = 0;
  r.u32(nf);
  if (!r.ok() || nf > r.remaining() / 24) return false;
  b.frames.resize(nf);
  for (FrameEntry& f : b.frames) {
    r.u64(f.offset);
    r.u64(f.first_seq);
    r.i64(f.first_time);
  }
  uint32_t nk = 0;
  r.u32(nk);
  if (!r.ok() || nk > r.remaining() / 36) return false;
  b.keyframes.resize(nk);
  for (KeyframeEntry& k : b.keyframes) {
    r.u64(k.frame_offset);
    r.u32(k.in_frame_offset);
    r.u64(k.seq);
    r.u64(k.event_seq);
    r.i64(k.time);
  }
  if (is_end) {
    uint8_t kinds = 0;
    r.u8(kinds);
    for (uint8_t i = 0; i < kinds && r.ok(); ++i) {
      uint64_t c = 0;
      r.u64(c);
      if (i < kKinds) b.totals.events_by_kind[i] = c;
    }
    r.u64(b.totals.output_bytes);
    r.u64(b.totals.input_bytes);
    r.u64(b.totals.suppressed_bytes);
    r.u64(b.totals.gap_bytes);
    r.u64(b.totals.frames);
  }
  // Trailing bytes are reserved for later minor additions.
  return r.ok();
}

std::string seal_message(const Id128& file_id, RecordType type, std::string_view signed_part) {
  std::string m(kSealDomain);
  m.append(reinterpret_cast<const char*>(file_id.data()), 16);
  m.push_back(static_cast<char>(type));
  m.append(signed_part);
  return m;
}

std::array<char, kFooterLen> encode_footer(uint64_t end_offset, uint32_t end_payload_len) {
  std::string f;
  wire::put_u64(f, end_offset);
  wire::put_u32(f, end_payload_len);
  wire::put_u32(f, crc32c(0, f.data(), 12));
  f.append(kFooterMagic, 8);
  std::array<char, kFooterLen> out{};
  std::memcpy(out.data(), f.data(), kFooterLen);
  return out;
}

bool decode_footer(const char* b, uint64_t* end_offset, uint32_t* end_payload_len) {
  if (std::memcmp(b + 16, kFooterMagic, 8) != 0) return false;
  if (crc32c(0, b, 12) != wire::get_u32(b + 12)) return false;
  *end_offset = wire::get_u64(b);
  *end_payload_len = wire::get_u32(b + 8);
  return true;
}

}  // namespace tap::format::layout
