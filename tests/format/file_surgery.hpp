// Byte-level edits of .tap files for the corrupt inputs and the tamper table: record
// boundaries, CRC and chain recomputation (docs/format.md §Records, docs/integrity.md §Chain).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "chain.hpp"
#include "crc32c.hpp"
#include "layout.hpp"
#include "tap/format/keys.hpp"
#include "wire.hpp"

namespace tap::format::surgery {

struct Span {
  size_t offset = 0;  // of the record header
  size_t size = 0;    // header + payload
  uint8_t type = 0;
  uint8_t flags = 0;
};

inline uint32_t header_len(const std::string& f) { return wire::get_u32(f.data() + 12); }

// Every complete record of `f`, in order (stops at the footer or anything else).
inline std::vector<Span> records(const std::string& f) {
  std::vector<Span> out;
  size_t off = header_len(f);
  while (off + 32 <= f.size() && std::memcmp(f.data() + off, "TAPR", 4) == 0) {
    size_t len = wire::get_u32(f.data() + off + 8);
    if (off + 32 + len > f.size()) break;
    out.push_back({off, 32 + len, static_cast<uint8_t>(f[off + 4]), static_cast<uint8_t>(f[off + 5])});
    off += 32 + len;
  }
  return out;
}

inline void fix_crc(std::string& f, const Span& r) {
  uint32_t crc = crc32c(0, f.data() + r.offset, 28);
  crc = crc32c(crc, f.data() + r.offset + 32, r.size - 32);
  std::string c;
  wire::put_u32(c, crc);
  f.replace(r.offset + 28, 4, c);
}

inline void fix_header_crc(std::string& f) {
  uint32_t n = header_len(f);
  std::string c;
  wire::put_u32(c, crc32c(0, f.data(), n - 4));
  f.replace(n - 4, 4, c);
}

// Renumbers records, recomputes every seal's chain head (and signature with `key`, or the
// original key id with a zero signature when null), CRCs and the footer: what an attacker
// holding `key` would do after editing the records.
inline std::string reseal(std::string f, const SigningKey* key, bool keep_footer = true) {
  auto recs = records(f);
  Chain chain;
  chain.start(std::string_view(f).substr(0, header_len(f)));
  Id128 file_id;
  std::memcpy(file_id.data(), f.data() + 32, 16);
  std::string out = f.substr(0, header_len(f));
  uint64_t seq = 0;
  uint64_t end_off = 0, end_len = 0;
  for (const Span& r : recs) {
    std::string rec = f.substr(r.offset, r.size);
    std::string s;
    wire::put_u64(s, seq);
    rec.replace(12, 8, s);
    if (r.type == 2 || r.type == 3) {
      std::string payload = rec.substr(32);
      payload.replace(0, 8, s);
      std::memcpy(payload.data() + 8, chain.head().data(), 32);
      std::string body = payload.substr(0, payload.size() - 64);
      if (key) {
        auto sig = key->sign(layout::seal_message(file_id, static_cast<layout::RecordType>(r.type), body));
        payload = body + std::string(reinterpret_cast<const char*>(sig.data()), 64);
        rec[5] = static_cast<char>(rec[5] | layout::kSealSigned);
      }
      rec = rec.substr(0, 32) + payload;
    }
    Span local{0, rec.size(), r.type, r.flags};
    fix_crc(rec, local);
    if (r.type == 3) {
      end_off = out.size();
      end_len = rec.size() - 32;
    }
    chain.add(std::string_view(rec).substr(0, 32), std::string_view(rec).substr(32));
    out += rec;
    ++seq;
  }
  if (keep_footer && end_len > 0) {
    auto footer = layout::encode_footer(end_off, static_cast<uint32_t>(end_len));
    out.append(footer.data(), footer.size());
  }
  return out;
}

// Replaces the key id in the header and in every seal body (then reseal() to sign).
inline std::string set_key_id(std::string f, const std::string& old_id, const std::string& new_id) {
  // Header: the key id is a varint-prefixed string; same length ids (16 hex) swap in place.
  size_t hl = header_len(f);
  size_t pos = std::string_view(f).substr(0, hl).find(old_id);
  if (pos != std::string::npos) f.replace(pos, old_id.size(), new_id);
  fix_header_crc(f);
  for (const Span& r : records(f)) {
    if (r.type != 2 && r.type != 3) continue;
    size_t p = r.offset + 32 + 8 + 32 + 8 + 8 + 8 + 8 + 1;
    if (f.compare(p, old_id.size(), old_id) == 0) f.replace(p, old_id.size(), new_id);
  }
  return f;
}

}  // namespace tap::format::surgery
