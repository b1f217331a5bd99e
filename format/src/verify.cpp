// tapverify's checks (docs/integrity.md §Verifying).
#include "tap/format/verify.hpp"

#include <algorithm>

#include "chain.hpp"
#include "layout.hpp"
#include "source.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_reader.hpp"
#include "wire.hpp"

namespace tap::format {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::complete: return "complete";
    case Verdict::sealed_prefix: return "sealed-prefix";
    case Verdict::io_error: return "io-error";
    case Verdict::tampered: return "tampered";
    case Verdict::untrusted: return "untrusted";
  }
  return "unknown";
}

namespace {

using layout::RecordHeader;
using layout::RecordType;

std::string hex(const Hash256& h, size_t n = 8) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(d[h[i] >> 4]);
    s.push_back(d[h[i] & 15]);
  }
  return s;
}

class Verifier {
 public:
  Verifier(Source& src, const Keyring* keyring) : src_(src), keyring_(keyring) {}

  VerifyReport run() {
    r_.file_bytes = src_.size();
    std::string head;
    size_t n = static_cast<size_t>(std::min<uint64_t>(src_.size(), layout::kMaxHeaderLen));
    if (!src_.read(0, n, head)) return io("cannot read the file header");
    uint32_t hlen = 0;
    auto info = layout::decode_file_header(head, &hlen);
    if (!info) {
      if (info.error().kind() == ErrorKind::truncated) {
        r_.verdict = Verdict::sealed_prefix;
        r_.torn_tail = true;
        r_.summary = "torn: " + info.error().what() + " (nothing sealed)";
        return r_;
      }
      return bad(std::nullopt, 0, info.error().what());
    }
    info_ = *info;
    r_.key_id = info_.key_id;
    chain_.start(std::string_view(head).substr(0, hlen));
    r_.chain_start = chain_.head();
    r_.sealed_bytes = hlen;
    walk(hlen);
    return finish();
  }

 private:
  VerifyReport io(const std::string& why) {
    r_.verdict = Verdict::io_error;
    r_.summary = why;
    return r_;
  }

  VerifyReport bad(std::optional<uint64_t> record, uint64_t offset, const std::string& why) {
    r_.verdict = Verdict::tampered;
    r_.bad_record = record;
    r_.bad_offset = offset;
    r_.summary = (record ? "record " + std::to_string(*record) + " at offset " +
                               std::to_string(offset) + ": "
                         : std::string()) +
                 why;
    return r_;
  }

  bool failed() const { return r_.verdict == Verdict::tampered; }

  void walk(uint64_t off) {
    const uint64_t size = src_.size();
    uint64_t seq = 0;
    char hb[layout::kRecordHeaderLen];
    std::string payload;
    while (off < size) {
      if (size - off < layout::kRecordHeaderLen) {
        tail(off, seq);
        return;
      }
      (void)src_.read(off, sizeof hb, hb);
      RecordHeader h;
      auto check = layout::decode_record_header(hb, h);
      if (check == layout::HeaderCheck::zero) {
        tail(off, seq);
        return;
      }
      if (check != layout::HeaderCheck::ok) {
        bad(seq, off, check == layout::HeaderCheck::bad_magic ? "not a record (bad magic)"
                                                              : "impossible record length");
        return;
      }
      const uint64_t end = off + layout::kRecordHeaderLen + h.payload_len;
      if (end > size) {
        r_.torn_tail = true;
        r_.notes.push_back("torn tail at offset " + std::to_string(off) + ": record " +
                           std::to_string(seq) + " is cut short (" +
                           std::to_string(size - off) + " bytes dropped)");
        return;
      }
      if (!src_.read(off + layout::kRecordHeaderLen, h.payload_len, payload)) {
        io("read error at offset " + std::to_string(off));
        return;
      }
      if (layout::record_crc(hb, payload) != h.crc) {
        if (end == size) {
          // The last record, ending exactly at the end of the file and covered by no seal: a
          // crash can leave the record being written like this (docs/integrity.md §A bad CRC
          // on the last record). Anything after it, or a seal over it, makes it corruption.
          r_.torn_tail = true;
          r_.notes.push_back("torn tail at offset " + std::to_string(off) + ": the last record (" +
                             std::to_string(seq) +
                             ") fails its CRC and ends at the end of the file, an incomplete "
                             "write (" + std::to_string(size - off) + " bytes dropped)");
          return;
        }
        bad(seq, off, "bad CRC (the record was altered or damaged)");
        return;
      }
      if (h.seq != seq) {
        bad(seq, off, "sequence number " + std::to_string(h.seq) + ", expected " +
                          std::to_string(seq) + " (a record was removed, inserted or reordered)");
        return;
      }
      if (h.type == RecordType::seal || h.type == RecordType::end) {
        if (!check_seal(h, seq, off, payload)) return;
      } else if (h.type != RecordType::data && h.raw_type < layout::kFirstSkippableType) {
        bad(seq, off, "record type " + std::to_string(h.raw_type) + " unknown to this version");
        return;
      }
      chain_.add(std::string_view(hb, sizeof hb), payload);
      ++seq;
      ++r_.records;
      off = end;
      if (h.type == RecordType::seal || h.type == RecordType::end) {
        r_.sealed_records = seq;
        r_.sealed_bytes = off;
        r_.sealed_time = h.time;
      }
      if (h.type == RecordType::end) {
        r_.has_end = true;
        end_offset_ = off - layout::kRecordHeaderLen - h.payload_len;
        end_len_ = h.payload_len;
        check_footer(off);
        return;
      }
    }
  }

  bool check_seal(const RecordHeader& h, uint64_t seq, uint64_t off, const std::string& payload) {
    const bool is_end = h.type == RecordType::end;
    layout::SealBody body;
    std::string_view signed_part, sig;
    if (!layout::decode_seal_body(payload, is_end, body, &signed_part, &sig)) {
      bad(seq, off, "malformed seal");
      return false;
    }
    if (body.seq != seq || body.head != chain_.head()) {
      bad(seq, off, std::string(is_end ? "END" : "SEAL") +
                        " does not match the hash chain (records before it were altered)");
      return false;
    }
    ++r_.seals;
    r_.last_sealed_head = body.head;
    r_.last_sealed_seq = seq;
    if (body.key_id != info_.key_id) {
      bad(seq, off, "seal names key " + body.key_id + " but the header names " + info_.key_id);
      return false;
    }
    if (!(h.flags & layout::kSealSigned)) {
      untrusted_ = true;
      return true;
    }
    const PublicKey* key = keyring_ ? keyring_->find(body.key_id) : nullptr;
    if (key == nullptr) {
      untrusted_ = true;
      return true;
    }
    if (!key->verify(layout::seal_message(info_.file_id, h.type, signed_part), sig)) {
      bad(seq, off, "bad signature by trusted key " + body.key_id);
      return false;
    }
    ++r_.signed_seals;
    return true;
  }

  void check_footer(uint64_t off) {
    const uint64_t size = src_.size();
    if (size - off < layout::kFooterLen) {
      r_.torn_tail = true;
      r_.notes.push_back("the footer after END is missing or cut short");
      return;
    }
    char f[layout::kFooterLen];
    (void)src_.read(off, sizeof f, f);
    uint64_t end_off = 0;
    uint32_t len = 0;
    if (!layout::decode_footer(f, &end_off, &len) || end_off != end_offset_ || len != end_len_) {
      bad(std::nullopt, off, "footer at offset " + std::to_string(off) + " does not point at END");
      return;
    }
    if (size - off != layout::kFooterLen)
      bad(std::nullopt, off + layout::kFooterLen,
          std::to_string(size - off - layout::kFooterLen) + " bytes after the footer");
  }

  void tail(uint64_t off, uint64_t seq) {
    std::string buf;
    const uint64_t size = src_.size();
    for (uint64_t p = off; p < size; p += buf.size()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(size - p, 64 * 1024));
      if (!src_.read(p, n, buf)) break;
      if (!std::all_of(buf.begin(), buf.end(), [](char c) { return c == 0; })) {
        if (size - off < layout::kRecordHeaderLen && p == off) {
          r_.torn_tail = true;
          r_.notes.push_back("torn tail at offset " + std::to_string(off) +
                             ": the file ends inside a record header");
        } else {
          bad(seq, off, "zero bytes followed by data");
        }
        return;
      }
    }
    r_.zero_tail = true;
    r_.notes.push_back("zero tail: " + std::to_string(size - off) + " zero bytes at offset " +
                       std::to_string(off));
  }

  VerifyReport finish() {
    if (r_.verdict != Verdict::complete) return r_;
    r_.unsealed_records = r_.records - std::min(r_.records, r_.sealed_records);
    r_.key_trusted = !untrusted_ && r_.signed_seals > 0;
    if (r_.seals == 0) {
      // Cut before its first seal: nothing is signed yet. A header naming a trusted key makes
      // it an empty sealed prefix (a crash in the first seconds); otherwise nobody vouches.
      const bool trusted = keyring_ && !info_.key_id.empty() && keyring_->find(info_.key_id);
      if (!trusted) untrusted_ = true;
      else {
        r_.key_trusted = true;
        r_.signed_seals = 0;
        r_.verdict = Verdict::sealed_prefix;
        r_.summary = "sealed prefix: nothing sealed yet (cut before the first seal); " +
                     std::to_string(r_.records) + " unsealed records" +
                     (r_.torn_tail ? " and a torn tail" : "");
        return r_;
      }
    }
    const bool whole = r_.has_end && !r_.torn_tail && r_.unsealed_records == 0;
    const std::string state =
        whole ? "chain intact and complete (END)"
              : "chain intact through record " + std::to_string(r_.sealed_records) + ", then " +
                    std::to_string(r_.unsealed_records) + " unsealed records" +
                    (r_.torn_tail ? " and a torn tail" : "") + (r_.zero_tail ? " and a zero tail" : "");
    if (untrusted_ || r_.signed_seals == 0) {
      r_.verdict = Verdict::untrusted;
      if (info_.key_id.empty())
        r_.summary = "no trusted key: the file is not signed; " + state;
      else
        r_.summary = "no trusted key: key " + info_.key_id + " is not in the keyring; " + state;
      return r_;
    }
    if (whole) {
      r_.summary = "complete: " + std::to_string(r_.records) + " records, " +
                   std::to_string(r_.signed_seals) + " seals signed by " + info_.key_id +
                   ", chain head " + hex(r_.last_sealed_head);
      return r_;
    }
    r_.verdict = Verdict::sealed_prefix;
    r_.summary = "sealed prefix: records 0-" + std::to_string(r_.sealed_records - 1) +
                 " sealed by " + info_.key_id + "; " + std::to_string(r_.unsealed_records) +
                 " unsealed records" + (r_.torn_tail ? " and a torn tail" : "") +
                 (r_.zero_tail ? " and a zero tail" : "") + " after offset " +
                 std::to_string(r_.sealed_bytes);
    return r_;
  }

  Source& src_;
  const Keyring* keyring_;
  SessionInfo info_;
  Chain chain_;
  VerifyReport r_;
  bool untrusted_ = false;
  uint64_t end_offset_ = 0;
  uint32_t end_len_ = 0;
};

VerifyReport with_events(VerifyReport report, Result<std::unique_ptr<SessionReader>> reader) {
  if (report.verdict == Verdict::tampered || report.verdict == Verdict::io_error || !reader)
    return report;
  for (;;) {
    auto e = (*reader)->next();
    if (!e) {
      report.verdict = Verdict::tampered;
      report.summary = "events: " + e.error().what();
      return report;
    }
    if (*e == nullptr) break;
    ++report.events;
  }
  return report;
}

}  // namespace

// A later segment names the last seal of the one before it: when that file is at hand, its
// seals must reach the linked one with the same chain head. This is what tells a file cut after
// a seal from a crash (docs/integrity.md §What a lone file cannot tell).
static VerifyReport with_previous_segment(VerifyReport report, const std::filesystem::path& path,
                                   const Keyring* keyring) {
  if (report.verdict == Verdict::tampered || report.verdict == Verdict::io_error) return report;
  auto reader = SessionReader::open(path);
  if (!reader || !(*reader)->info().previous || (*reader)->info().segment == 0) return report;
  const SessionInfo& info = (*reader)->info();
  const SegmentLink& link = *info.previous;
  auto prev_path = segment_path(segment_base(path), info.segment - 1);
  std::error_code ec;
  if (!std::filesystem::exists(prev_path, ec)) {
    report.notes.push_back("previous segment " + prev_path.filename().string() + " not found");
    return report;
  }
  auto prev_src = Source::open_file(prev_path);
  if (!prev_src) return report;
  VerifyReport prev = Verifier(**prev_src, keyring).run();
  auto prev_reader = SessionReader::open(prev_path);
  bool same_file = prev_reader && (*prev_reader)->info().file_id == link.previous_file_id;
  if (!same_file) {
    report.notes.push_back("previous segment " + prev_path.filename().string() +
                           " is not the file this one links to");
    return report;
  }
  // A link to record 0 with the previous file's chain start vouches for its header only: what a
  // recorder restarted before the first seal writes (docs/format.md §Segments).
  const bool to_start = link.last_sealed_seq == 0 && link.last_sealed_head == prev.chain_start;
  if (!to_start &&
      (prev.last_sealed_seq < link.last_sealed_seq || prev.seals == 0 ||
       (prev.last_sealed_seq == link.last_sealed_seq &&
        prev.last_sealed_head != link.last_sealed_head))) {
    report.verdict = Verdict::tampered;
    report.summary = "previous segment " + prev_path.filename().string() +
                     " was cut or altered: this segment links its seal at record " +
                     std::to_string(link.last_sealed_seq) + ", it now ends sealed at record " +
                     std::to_string(prev.last_sealed_seq);
    return report;
  }
  report.notes.push_back("links previous segment " + prev_path.filename().string() +
                         (to_start && prev.seals == 0
                              ? std::string(" at its chain start (it had no seal)")
                              : " at its seal on record " + std::to_string(link.last_sealed_seq)));
  return report;
}

VerifyReport verify_file(const std::filesystem::path& path, const Keyring* keyring) {
  auto src = Source::open_file(path);
  if (!src) {
    VerifyReport r;
    r.verdict = Verdict::io_error;
    r.summary = src.error().what();
    return r;
  }
  VerifyReport report = Verifier(**src, keyring).run();
  report = with_events(std::move(report), SessionReader::open(path));
  return with_previous_segment(std::move(report), path, keyring);
}

VerifyReport verify_buffer(std::string bytes, const Keyring* keyring) {
  auto src = Source::from_buffer(bytes);
  VerifyReport report = Verifier(*src, keyring).run();
  return with_events(std::move(report), SessionReader::open_buffer(std::move(bytes)));
}

}  // namespace tap::format
