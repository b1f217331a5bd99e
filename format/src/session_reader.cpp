// SessionReader for .tap files (docs/format.md §Reading).
#include "tap/format/session_reader.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "chain.hpp"
#include "crc32c.hpp"
#include "event_codec.hpp"
#include "layout.hpp"
#include "source.hpp"
#include "tap/format/segments.hpp"
#include "tap/support/c_deleter.hpp"
#include "wire.hpp"

namespace tap::format {
namespace {

using ZstdDCtx = CPtr<ZSTD_DCtx, &ZSTD_freeDCtx>;
using layout::FrameEntry;
using layout::KeyframeEntry;
using layout::RecordHeader;
using layout::RecordType;

// Decompressed bytes produced per step: bounds memory while an event is assembled.
constexpr size_t kDecodeStep = 64 * 1024;

std::string at(uint64_t record, uint64_t offset) {
  return "record " + std::to_string(record) + " at offset " + std::to_string(offset);
}

class FileReader final : public SessionReader {
 public:
  explicit FileReader(std::unique_ptr<Source> src) : src_(std::move(src)) {}

  Result<void> open() {
    std::string head;
    size_t n = static_cast<size_t>(std::min<uint64_t>(src_->size(), layout::kMaxHeaderLen));
    TAP_CHECK(src_->read(0, n, head));
    uint32_t len = 0;
    TAP_TRY(info_, layout::decode_file_header(head, &len));
    header_len_ = len;
    Chain chain;
    chain.start(std::string_view(head).substr(0, len));
    chain_start_ = chain.head();
    if (!load_end_index() && !load_seal_chain()) scan(header_len_, 0);
    status_.frames = frames_.size();
    rewind();
    return {};
  }

  const SessionInfo& info() const override { return info_; }
  const ReadStatus& status() const override { return status_; }
  Nanos duration() const override { return duration_; }
  uint64_t next_seq() const override { return peeked_ ? seq_ - 1 : seq_; }

  Result<const Event*> next() override {
    if (peeked_) {
      peeked_ = false;
      return &event_;
    }
    return next_event();
  }

  Result<void> seek(Nanos t) override {
    auto it = std::partition_point(frames_.begin(), frames_.end(),
                                   [&](const FrameEntry& f) { return f.first_time < t; });
    if (it == frames_.begin()) rewind();
    else position_at(*(it - 1));
    for (;;) {
      auto r = next_event();
      if (!r || *r == nullptr) return {};  // a fault is returned by the next call to next()
      if ((*r)->time >= t) {
        peeked_ = true;
        return {};
      }
    }
  }

  Result<bool> refresh() override {
    if (status_.complete || status_.fault) return false;
    const uint64_t before = src_->size();
    TAP_TRY(uint64_t size, src_->refresh());
    if (size == before) return false;
    // The tail seen before was the end of what had been written then, not a verdict.
    status_.torn_tail = false;
    status_.zero_tail = false;
    if (tail_warning_ < status_.warnings.size()) status_.warnings.resize(tail_warning_);
    tail_warning_ = SIZE_MAX;
    const uint64_t old_end = records_end_;
    if (!saw_end_) scan(records_end_, scan_record_);
    // After END only the footer can still be arriving; then the END index replaces the one
    // gathered so far (it lists the same frames and every keyframe).
    if (saw_end_ && !load_end_index()) after_end(records_end_);
    status_.frames = frames_.size();
    if (records_end_ == old_end && !status_.complete) return false;
    if (!status_.complete) keyframes_complete_ = false;
    if (done_ && !pending_error_) done_ = false;
    return true;
  }

  // Back to the first event (the session reader enters a segment this way).
  void restart() { rewind(); }

  // Whether `link` (a later segment's header) names a seal this file holds, or its chain start.
  // The reader knows the seals it located (END, the seal chain, the scanned tail); tapverify
  // checks the chain itself.
  bool links_here(const SegmentLink& link, std::string* why) const {
    if (link.previous_file_id != info_.file_id) {
      *why = "it links a different file";
      return false;
    }
    if (link.last_sealed_seq == 0 && link.last_sealed_head == chain_start_) return true;
    if (seals_.empty()) {
      *why = "it links a seal at record " + std::to_string(link.last_sealed_seq) +
             ", the previous segment has none";
      return false;
    }
    for (const auto& [seq, head] : seals_) {
      if (seq != link.last_sealed_seq) continue;
      if (head == link.last_sealed_head) return true;
      *why = "its link's chain head differs from the previous segment's seal at record " +
             std::to_string(seq);
      return false;
    }
    if (link.last_sealed_seq > seals_.back().first) {
      *why = "it links a seal at record " + std::to_string(link.last_sealed_seq) +
             ", the previous segment ends sealed at record " + std::to_string(seals_.back().first);
      return false;
    }
    return true;  // an earlier seal the reader did not locate (the END index path)
  }

  Result<std::optional<Keyframe>> seek_keyframe(Nanos t) override {
    if (!keyframes_complete_) collect_tail_keyframes();
    const KeyframeEntry* best = nullptr;
    for (const KeyframeEntry& k : keyframes_)
      if (k.time <= t && k.event_seq <= k.seq &&
          (best == nullptr || k.event_seq > best->event_seq ||
           (k.event_seq == best->event_seq && k.seq > best->seq)))
        best = &k;
    if (best == nullptr) {
      rewind();
      return std::optional<Keyframe>();
    }
    KeyframeEntry entry = *best;
    TAP_CHECK(position_to_seq(entry.seq));
    auto r = next();
    if (!r) return fail(std::move(r).error());
    const Keyframe* kf = *r ? (*r)->get<Keyframe>() : nullptr;
    if (kf == nullptr || next_seq() != entry.seq + 1)
      return fail(ErrorKind::corrupt, "index names keyframe event " + std::to_string(entry.seq) +
                                          ", which is not a keyframe");
    Keyframe result = *kf;
    TAP_CHECK(position_to_seq(entry.event_seq));
    return std::optional<Keyframe>(std::move(result));
  }

 private:
  // --- Locating records -------------------------------------------------------------------

  // Reads the END record through the footer (docs/format.md §Footer). False: no usable END.
  bool load_end_index() {
    const uint64_t size = src_->size();
    if (size < header_len_ + layout::kRecordHeaderLen + layout::kFooterLen) return false;
    char footer[layout::kFooterLen];
    if (!src_->read(size - layout::kFooterLen, layout::kFooterLen, footer)) return false;
    uint64_t end_off = 0;
    uint32_t end_len = 0;
    if (!layout::decode_footer(footer, &end_off, &end_len)) return false;
    if (end_off < header_len_ || end_len > layout::kMaxPayload ||
        end_off + layout::kRecordHeaderLen + end_len + layout::kFooterLen != size)
      return false;
    char hb[layout::kRecordHeaderLen];
    RecordHeader h;
    if (!src_->read(end_off, sizeof hb, hb)) return false;
    if (layout::decode_record_header(hb, h) != layout::HeaderCheck::ok ||
        h.type != RecordType::end || h.payload_len != end_len)
      return false;
    std::string payload;
    if (!src_->read(end_off + sizeof hb, end_len, payload)) return false;
    if (layout::record_crc(hb, payload) != h.crc) return false;
    layout::SealBody body;
    std::string_view signed_part, sig;
    if (!layout::decode_seal_body(payload, true, body, &signed_part, &sig)) return false;
    if (!index_is_sane(body, end_off)) return false;
    frames_ = std::move(body.frames);
    keyframes_ = std::move(body.keyframes);
    keyframes_complete_ = true;
    if (seals_.empty() || seals_.back().first < h.seq) seals_.emplace_back(h.seq, body.head);
    records_end_ = end_off;
    duration_ = body.last_time;
    status_.complete = true;
    status_.intact_bytes = size;
    return true;
  }

  bool index_is_sane(const layout::SealBody& body, uint64_t end_off) const {
    uint64_t prev_off = 0, prev_seq = 0;
    for (const FrameEntry& f : body.frames) {
      if (f.offset < header_len_ || f.offset >= end_off || f.offset < prev_off ||
          f.first_seq < prev_seq)
        return false;
      prev_off = f.offset;
      prev_seq = f.first_seq;
    }
    return true;
  }

  // Without END: finds the last SEAL by searching back from the end of the file, follows the
  // seals' back-links to collect the index they carry, then walks only the records after the
  // last seal (docs/format.md §Reading). False: no usable seal; the caller scans everything.
  bool load_seal_chain() {
    const uint64_t size = src_->size();
    uint64_t last = 0;
    RecordHeader last_h;
    layout::SealBody last_body;
    // The last seal lies within seal_interval of data from the end; past this, scanning forward
    // costs no more than searching back.
    constexpr uint64_t kBackSearch = 64u * 1024 * 1024;
    constexpr size_t kChunk = 64 * 1024;
    std::string buf;
    uint64_t hi = size;
    const uint64_t floor = std::max<uint64_t>(header_len_, size > kBackSearch ? size - kBackSearch : 0);
    while (last == 0 && hi > floor) {
      uint64_t lo = hi > floor + kChunk ? hi - kChunk : floor;
      uint64_t read_hi = std::min<uint64_t>(size, hi + 4);  // a magic may straddle chunks
      if (!src_->read(lo, static_cast<size_t>(read_hi - lo), buf)) return false;
      for (size_t i = buf.size() >= 5 ? buf.size() - 5 + 1 : 0; i-- > 0;) {
        if (buf[i] != 'T' || std::memcmp(buf.data() + i, layout::kRecordMagic, 4) != 0 ||
            buf[i + 4] != static_cast<char>(RecordType::seal))
          continue;
        if (read_seal(lo + i, last_h, last_body)) {
          last = lo + i;
          break;
        }
      }
      hi = lo;
    }
    if (last == 0) return false;
    // Follow the back-links; every seal must validate and lie before the one that named it.
    std::vector<layout::SealBody> chain{last_body};
    uint64_t at = last;
    uint64_t seq = last_h.seq;
    while (chain.back().prev_seal != 0) {
      uint64_t prev = chain.back().prev_seal;
      RecordHeader h;
      layout::SealBody body;
      if (prev >= at || prev < header_len_ || !read_seal(prev, h, body) || h.seq >= seq)
        return false;
      chain.push_back(std::move(body));
      at = prev;
      seq = h.seq;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      seals_.emplace_back(it->seq, it->head);
      for (const FrameEntry& f : it->frames)
        if (f.offset >= header_len_ && f.offset < last &&
            (frames_.empty() || (f.offset > frames_.back().offset &&
                                 f.first_seq >= frames_.back().first_seq)))
          frames_.push_back(f);
      for (const KeyframeEntry& k : it->keyframes)
        if (keyframes_.empty() || k.seq > keyframes_.back().seq) keyframes_.push_back(k);
    }
    keyframes_known_seq_ = last_body.events;
    duration_ = last_body.last_time;
    scan(last + layout::kRecordHeaderLen + last_h.payload_len, last_h.seq + 1);
    return true;
  }

  // Reads and checks a SEAL at `off`: header, CRC, body, and the body naming its own seq.
  bool read_seal(uint64_t off, RecordHeader& h, layout::SealBody& body) {
    char hb[layout::kRecordHeaderLen];
    if (off + sizeof hb > src_->size() || !src_->read(off, sizeof hb, hb)) return false;
    if (layout::decode_record_header(hb, h) != layout::HeaderCheck::ok ||
        h.type != RecordType::seal ||
        off + sizeof hb + h.payload_len > src_->size())
      return false;
    std::string payload;
    if (!src_->read(off + sizeof hb, h.payload_len, payload)) return false;
    if (layout::record_crc(hb, payload) != h.crc) return false;
    std::string_view signed_part, sig;
    return layout::decode_seal_body(payload, false, body, &signed_part, &sig) && body.seq == h.seq;
  }

  // Walks record headers (not payloads) from the file header on: frames come from FRAME_START
  // prefixes, keyframes from SEAL indexes; stops at a torn or zeroed tail or garbage.
  void scan(uint64_t off, uint64_t record) {
    const uint64_t size = src_->size();
    char hb[layout::kRecordHeaderLen];
    std::string payload;
    while (off < size) {
      if (size - off < layout::kRecordHeaderLen) {
        tail(off, "the file ends inside a record header");
        break;
      }
      (void)src_->read(off, sizeof hb, hb);
      RecordHeader h;
      auto check = layout::decode_record_header(hb, h);
      if (check == layout::HeaderCheck::zero) {
        tail(off, "");
        break;
      }
      if (check != layout::HeaderCheck::ok) {
        set_fault(ErrorKind::corrupt, at(record, off) + ": " +
                                          (check == layout::HeaderCheck::bad_magic
                                               ? "not a record (bad magic)"
                                               : "impossible record length"));
        break;
      }
      const uint64_t end = off + layout::kRecordHeaderLen + h.payload_len;
      if (end > size) {
        tail(off, "the file ends inside record " + std::to_string(record));
        break;
      }
      if (h.seq != record) {
        set_fault(ErrorKind::corrupt, at(record, off) + ": sequence number " +
                                          std::to_string(h.seq) + " (records missing or reordered)");
        break;
      }
      if (end == size && last_record_is_torn(off, hb, h, record, payload)) break;
      if (h.type == RecordType::data && (h.flags & layout::kDataFrameStart) &&
          h.payload_len >= layout::kFrameStartPrefix) {
        char p[layout::kFrameStartPrefix];
        (void)src_->read(off + layout::kRecordHeaderLen, sizeof p, p);
        FrameEntry f{off, wire::get_u64(p), static_cast<int64_t>(wire::get_u64(p + 8))};
        if (frames_.empty() || (f.offset > frames_.back().offset &&
                                f.first_seq >= frames_.back().first_seq))
          frames_.push_back(f);
      } else if (h.type == RecordType::seal || h.type == RecordType::end) {
        (void)src_->read(off + layout::kRecordHeaderLen, h.payload_len, payload);
        layout::SealBody body;
        std::string_view signed_part, sig;
        if (layout::record_crc(hb, payload) == h.crc &&
            layout::decode_seal_body(payload, h.type == RecordType::end, body, &signed_part,
                                     &sig)) {
          if (h.type == RecordType::end) keyframes_.clear();
          for (const KeyframeEntry& k : body.keyframes)
            if (keyframes_.empty() || k.seq > keyframes_.back().seq) keyframes_.push_back(k);
          keyframes_known_seq_ = body.events;
          if (h.type == RecordType::end) keyframes_complete_ = true;
          if (seals_.empty() || seals_.back().first < h.seq) seals_.emplace_back(h.seq, body.head);
        }
        // A SEAL that fails its CRC is reported when next() reaches it.
      }
      if (h.type == RecordType::data || h.type == RecordType::end) duration_ = std::max(duration_, h.time);
      off = end;
      ++record;
      if (h.type == RecordType::end) {
        saw_end_ = true;
        after_end(off);
        break;
      }
    }
    records_end_ = std::min(off, size);
    scan_record_ = record;
    status_.intact_bytes = records_end_;
  }

  // What follows END: exactly the footer, else a warning.
  void after_end(uint64_t off) {
    const uint64_t size = src_->size();
    if (size - off < layout::kFooterLen) {
      status_.torn_tail = true;
      tail_warning_ = status_.warnings.size();
      status_.warnings.push_back("torn tail: the footer after END is cut short");
    } else if (size - off > layout::kFooterLen) {
      status_.warnings.push_back(std::to_string(size - off - layout::kFooterLen) +
                                 " bytes after the footer ignored");
    }
  }

  // The last record of the file, complete in length and ending exactly at its end, whose CRC
  // fails: what a crash can leave of the record being written (docs/integrity.md §A bad CRC
  // on the last record). Nothing follows it and no seal covers it, so it is a torn tail, not
  // corruption. True when it is (the record is then dropped).
  bool last_record_is_torn(uint64_t off, const char* hb, const RecordHeader& h, uint64_t record,
                           std::string& payload) {
    if (!src_->read(off + layout::kRecordHeaderLen, h.payload_len, payload)) return false;
    if (layout::record_crc(hb, payload) == h.crc) return false;
    records_end_ = off;
    status_.torn_tail = true;
    tail_warning_ = status_.warnings.size();
    status_.warnings.push_back("torn tail at offset " + std::to_string(off) + ": the last record (" +
                               std::to_string(record) +
                               ") fails its CRC and ends at the end of the file, an incomplete "
                               "write (" + std::to_string(layout::kRecordHeaderLen + h.payload_len) +
                               " bytes dropped)");
    return true;
  }

  // The file stops being records at `off`: a zero tail, a torn tail, or (zeros followed by data)
  // corruption.
  void tail(uint64_t off, const std::string& why) {
    records_end_ = off;
    const uint64_t size = src_->size();
    bool zeros = true;
    std::string buf;
    for (uint64_t p = off; p < size && zeros; p += buf.size()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(size - p, 64 * 1024));
      if (!src_->read(p, n, buf)) break;
      zeros = std::all_of(buf.begin(), buf.end(), [](char c) { return c == 0; });
    }
    if (zeros || !why.empty()) tail_warning_ = status_.warnings.size();
    if (zeros) {
      status_.zero_tail = true;
      status_.warnings.push_back("zero tail: " + std::to_string(size - off) +
                                 " zero bytes at offset " + std::to_string(off) +
                                 " (the recording stopped there)");
    } else if (!why.empty()) {
      status_.torn_tail = true;
      status_.warnings.push_back("torn tail at offset " + std::to_string(off) + ": " + why +
                                 " (" + std::to_string(size - off) + " bytes dropped)");
    } else {
      set_fault(ErrorKind::corrupt,
                "zero bytes followed by data at offset " + std::to_string(off));
    }
  }

  void set_fault(ErrorKind kind, std::string message) {
    if (!status_.fault) status_.fault = Error(kind, std::move(message));
  }

  // Decodes the frames after the last SEAL to find keyframes no index lists yet. Event times
  // are kept in a ring so each keyframe gets the exact time of the event it names; an older
  // event falls back to the keyframe's own time, an upper bound that keeps seek_keyframe right.
  void collect_tail_keyframes() {
    keyframes_complete_ = true;
    auto it = std::partition_point(frames_.begin(), frames_.end(), [&](const FrameEntry& f) {
      return f.first_seq <= keyframes_known_seq_;
    });
    if (it == frames_.begin()) rewind();
    else position_at(*(it - 1));
    constexpr size_t kRing = 1 << 14;
    std::vector<Nanos> times(kRing, 0);
    const uint64_t first = seq_;
    uint64_t last = keyframes_.empty() ? 0 : keyframes_.back().seq + 1;
    std::vector<size_t> unresolved;
    for (;;) {
      auto r = next_event();
      if (!r || *r == nullptr) break;
      const uint64_t seq = seq_ - 1;
      times[seq & (kRing - 1)] = (*r)->time;
      const Keyframe* k = (*r)->get<Keyframe>();
      if (k == nullptr || seq < last || k->event_seq > seq) continue;
      Nanos described = 0;
      if (k->event_seq > 0) {
        uint64_t prev = k->event_seq - 1;
        if (prev >= first && seq - prev < kRing) described = times[prev & (kRing - 1)];
        else {
          described = (*r)->time;  // an upper bound until resolved below
          unresolved.push_back(keyframes_.size());
        }
      }
      keyframes_.push_back(KeyframeEntry{frame_offset_, 0, seq, k->event_seq, described});
      last = seq + 1;
    }
    // Keyframes naming events before the pass started: one frame decode each, for at most
    // kMaxResolved of them (a crafted file could name early events from every keyframe); the
    // rest keep their own time, an upper bound.
    constexpr size_t kMaxResolved = 64;
    if (unresolved.size() > kMaxResolved) unresolved.resize(kMaxResolved);
    for (size_t i : unresolved) {
      KeyframeEntry& k = keyframes_[i];
      if (!position_to_seq(k.event_seq - 1)) continue;
      auto r = next_event();
      if (r && *r) k.time = (*r)->time;
    }
    rewind();
  }

  // --- Decoding ----------------------------------------------------------------------------

  void reset_decoder() {
    frame_active_ = false;
    frame_done_ = false;
    decoder_full_ = false;
    buf_.clear();
    buf_pos_ = 0;
    payload_.clear();
    payload_pos_ = 0;
    peeked_ = false;
    done_ = false;
    pending_error_.reset();
  }

  void rewind() {
    reset_decoder();
    rec_off_ = header_len_;
    record_ = 0;
    seq_ = 0;
    sequential_ = true;
  }

  void position_at(const FrameEntry& f) {
    reset_decoder();
    rec_off_ = f.offset;
    record_ = 0;
    seq_ = f.first_seq;
    sequential_ = false;
  }

  // Positions the reader so next() returns event `target` (or the end).
  Result<void> position_to_seq(uint64_t target) {
    auto it = std::partition_point(frames_.begin(), frames_.end(),
                                   [&](const FrameEntry& f) { return f.first_seq <= target; });
    if (it == frames_.begin()) rewind();
    else position_at(*(it - 1));
    while (seq_ < target) {
      auto r = next_event();
      if (!r) return fail(std::move(r).error());
      if (*r == nullptr) return {};
    }
    return {};
  }

  Result<const Event*> fault(ErrorKind kind, std::string message) {
    set_fault(kind, message);
    done_ = true;
    pending_error_ = Error(kind, std::move(message));
    return fail(*pending_error_);
  }

  Result<const Event*> next_event() {
    if (done_) {
      if (pending_error_) return fail(*pending_error_);
      return static_cast<const Event*>(nullptr);
    }
    for (;;) {
      if (buf_pos_ < buf_.size()) {
        uint64_t delta = 0;
        uint8_t kind = 0;
        std::string_view body;
        size_t used = 0;
        auto p = codec::parse_event(std::string_view(buf_).substr(buf_pos_), &delta, &kind, &body,
                                    &used);
        if (p == codec::Parse::corrupt)
          return fault(ErrorKind::corrupt, "frame at offset " + std::to_string(frame_offset_) +
                                               ": malformed event " + std::to_string(seq_));
        if (p == codec::Parse::ok) {
          buf_pos_ += used;
          if (delta > static_cast<uint64_t>(INT64_MAX - time_))
            return fault(ErrorKind::corrupt, "event " + std::to_string(seq_) + ": impossible time");
          time_ += static_cast<int64_t>(delta);
          ++seq_;
          auto b = codec::decode_body(kind, body, event_);
          if (b == codec::Body::unknown_kind) continue;  // a newer kind: skipped, still counted
          if (b == codec::Body::corrupt)
            return fault(ErrorKind::corrupt, "event " + std::to_string(seq_ - 1) + ": malformed " +
                                                 std::string(kind_name(static_cast<EventKind>(kind))) +
                                                 " body");
          event_.time = time_;
          return static_cast<const Event*>(&event_);
        }
      }
      // Need more decompressed bytes.
      if (frame_active_ && !frame_done_ && (payload_pos_ < payload_.size() || decoder_full_)) {
        auto r = decompress_step();
        if (!r) return fail(std::move(r).error());
        continue;
      }
      auto r = read_record();
      if (!r) return fail(std::move(r).error());
      if (!*r) {
        done_ = true;
        if (status_.fault && rec_off_ >= records_end_ && !pending_error_) {
          pending_error_ = *status_.fault;
          return fail(*pending_error_);
        }
        return static_cast<const Event*>(nullptr);
      }
    }
  }

  Result<void> decompress_step() {
    if (buf_pos_ > 0) {
      buf_.erase(0, buf_pos_);
      buf_pos_ = 0;
    }
    size_t old = buf_.size();
    buf_.resize(old + kDecodeStep);
    ZSTD_inBuffer in{payload_.data(), payload_.size(), payload_pos_};
    ZSTD_outBuffer out{buf_.data() + old, kDecodeStep, 0};
    size_t rc = ZSTD_decompressStream(dctx_.get(), &out, &in);
    buf_.resize(old + out.pos);
    payload_pos_ = in.pos;
    // A full output buffer may leave decoded bytes inside zstd with all input consumed.
    decoder_full_ = out.pos == kDecodeStep;
    if (ZSTD_isError(rc)) {
      auto e = fault(ErrorKind::corrupt, "frame at offset " + std::to_string(frame_offset_) +
                                             ": zstd: " + ZSTD_getErrorName(rc));
      return fail(std::move(e).error());
    }
    frame_bytes_ += out.pos;
    if (frame_bytes_ > layout::kMaxFrameBytes) {
      auto e = fault(ErrorKind::corrupt, "frame at offset " + std::to_string(frame_offset_) +
                                             ": larger than any writer makes");
      return fail(std::move(e).error());
    }
    if (rc == 0) {
      frame_done_ = true;
      if (payload_pos_ != payload_.size()) {
        auto e = fault(ErrorKind::corrupt,
                       "frame at offset " + std::to_string(frame_offset_) + ": data after its end");
        return fail(std::move(e).error());
      }
    }
    return {};
  }

  // Reads the record at rec_off_; false at the end of the records.
  Result<bool> read_record() {
    // A frame that was marked ended must have been decoded completely.
    if (frame_active_ && frame_end_flag_ && payload_pos_ == payload_.size() && !decoder_full_) {
      if (!frame_done_ || buf_pos_ != buf_.size()) {
        auto e = fault(ErrorKind::corrupt, "frame at offset " + std::to_string(frame_offset_) +
                                               ": ends inside an event");
        return fail(std::move(e).error());
      }
      frame_active_ = false;
    }
    if (rec_off_ >= records_end_) return false;
    const uint64_t off = rec_off_;
    char hb[layout::kRecordHeaderLen];
    if (records_end_ - off < layout::kRecordHeaderLen || !src_->read(off, sizeof hb, hb))
      return bad(off, "record header runs past the last intact record");
    RecordHeader h;
    auto check = layout::decode_record_header(hb, h);
    if (check != layout::HeaderCheck::ok)
      return bad(off, check == layout::HeaderCheck::bad_length ? "impossible record length"
                                                                : "not a record (bad magic)");
    const uint64_t end = off + layout::kRecordHeaderLen + h.payload_len;
    if (end > records_end_) return bad(off, "record runs past the last intact record");
    if (sequential_ && h.seq != record_)
      return bad(off, "sequence number " + std::to_string(h.seq) + " (records missing or reordered)");
    record_ = h.seq + 1;
    sequential_ = true;
    rec_off_ = end;
    if (h.type != RecordType::data) {
      if (h.raw_type < layout::kFirstSkippableType && h.type != RecordType::seal &&
          h.type != RecordType::end) {
        auto e = fault(ErrorKind::unsupported_version,
                       at(h.seq, off) + ": record type " + std::to_string(h.raw_type) +
                           " needs a newer reader");
        return fail(std::move(e).error());
      }
      // SEAL, END and skippable records carry nothing next() returns; their CRC is still
      // checked so a damaged one stops the reader like any other.
      if (!src_->read(off + layout::kRecordHeaderLen, h.payload_len, payload_))
        return bad(off, "unreadable payload");
      if (layout::record_crc(hb, payload_) != h.crc) return bad(off, "bad CRC");
      payload_.clear();
      payload_pos_ = 0;
      return true;
    }
    if (!src_->read(off + layout::kRecordHeaderLen, h.payload_len, payload_))
      return bad(off, "unreadable payload");
    if (layout::record_crc(hb, payload_) != h.crc) return bad(off, "bad CRC");
    payload_pos_ = 0;
    if (h.flags & layout::kDataFrameStart) {
      if (frame_active_ && (!frame_done_ || buf_pos_ != buf_.size()))
        return bad(off, "a new frame starts before the previous one ended");
      if (h.payload_len < layout::kFrameStartPrefix) return bad(off, "frame start too short");
      uint64_t first = wire::get_u64(payload_.data());
      int64_t base = static_cast<int64_t>(wire::get_u64(payload_.data() + 8));
      if (first != seq_) return bad(off, "frame starts at event " + std::to_string(first) +
                                             ", expected " + std::to_string(seq_));
      payload_pos_ = layout::kFrameStartPrefix;
      if (!dctx_) {
        dctx_.reset(ZSTD_createDCtx());
        if (!dctx_) return fail(ErrorKind::internal, "ZSTD_createDCtx failed");
        // A window larger than any writer uses is refused, bounding decoder memory.
        ZSTD_DCtx_setParameter(dctx_.get(), ZSTD_d_windowLogMax, layout::kMaxWindowLog);
      }
      ZSTD_DCtx_reset(dctx_.get(), ZSTD_reset_session_only);
      frame_active_ = true;
      frame_done_ = false;
      decoder_full_ = false;
      frame_offset_ = off;
      frame_bytes_ = 0;
      time_ = base;
      buf_.clear();
      buf_pos_ = 0;
    } else if (!frame_active_) {
      return bad(off, "continues a frame that never started");
    } else if (frame_done_ && payload_pos_ < payload_.size()) {
      return bad(off, "continues a frame that already ended");
    }
    frame_end_flag_ = (h.flags & layout::kDataFrameEnd) != 0;
    return true;
  }

  Result<bool> bad(uint64_t off, const std::string& why) {
    auto e = fault(ErrorKind::corrupt, "record at offset " + std::to_string(off) + ": " + why);
    return fail(std::move(e).error());
  }

  std::unique_ptr<Source> src_;
  SessionInfo info_;
  Hash256 chain_start_{};
  ReadStatus status_;
  // Seals located (seq, chain head before it), ascending: what a later segment's link names.
  std::vector<std::pair<uint64_t, Hash256>> seals_;
  uint64_t scan_record_ = 0;            // the record number the scan stopped at
  size_t tail_warning_ = SIZE_MAX;      // the tail's warning in status_.warnings, if any
  bool saw_end_ = false;
  uint32_t header_len_ = 0;
  uint64_t records_end_ = 0;
  Nanos duration_ = 0;
  std::vector<FrameEntry> frames_;
  std::vector<KeyframeEntry> keyframes_;
  bool keyframes_complete_ = false;
  uint64_t keyframes_known_seq_ = 0;

  // Decoder position.
  ZstdDCtx dctx_;
  uint64_t rec_off_ = 0;
  uint64_t record_ = 0;
  bool sequential_ = true;
  std::string payload_;
  size_t payload_pos_ = 0;
  std::string buf_;
  size_t buf_pos_ = 0;
  bool frame_active_ = false;
  bool frame_done_ = false;
  bool frame_end_flag_ = false;
  bool decoder_full_ = false;
  uint64_t frame_offset_ = 0;
  uint64_t frame_bytes_ = 0;
  uint64_t seq_ = 0;
  Nanos time_ = 0;
  Event event_;
  bool peeked_ = false;
  bool done_ = false;
  std::optional<Error> pending_error_;
};

// The segments of one session as one stream (docs/format.md §Reading segments). Each segment
// has its own FileReader; `base` is the number of session events before it, known once the
// segments before it have been counted.
class SessionSetReader final : public SessionReader {
 public:
  Result<void> open(const std::filesystem::path& path) {
    std::vector<std::filesystem::path> paths = segment_paths(path);
    base_path_ = segment_base(path);
    named_ = base_path_ != path;
    TAP_TRY(auto first, open_file(paths.front()));
    segs_.push_back(Segment{paths.front(), std::move(first), 0});
    for (size_t k = 1; k < paths.size(); ++k)
      if (!add(paths[k])) break;
    return {};
  }

  const SessionInfo& info() const override { return segs_.front().reader->info(); }
  size_t segment_count() const override { return segs_.size(); }
  size_t current_segment() const override { return cur_; }

  Result<const Event*> next() override {
    for (;;) {
      Segment& s = segs_[cur_];
      TAP_TRY(const Event* e, s.reader->next());
      if (e != nullptr) {
        const Keyframe* kf = e->get<Keyframe>();
        if (kf == nullptr || *s.base == 0) return e;
        // Keyframes name events by session-wide number, as next_seq() counts them.
        keyframe_event_ = *e;
        std::get<Keyframe>(keyframe_event_.body).event_seq += *s.base;
        return static_cast<const Event*>(&keyframe_event_);
      }
      if (cur_ + 1 == segs_.size()) {
        if (link_fault_) return fail(*link_fault_);
        return static_cast<const Event*>(nullptr);
      }
      Segment& n = segs_[cur_ + 1];
      if (!n.base) n.base = *s.base + s.reader->next_seq();
      ++cur_;
      n.reader->restart();
    }
  }

  uint64_t next_seq() const override {
    return *segs_[cur_].base + segs_[cur_].reader->next_seq();
  }

  Result<void> seek(Nanos t) override {
    const size_t k = segment_for(t);
    TAP_CHECK(count_before(k));
    cur_ = k;
    return segs_[k].reader->seek(t);
  }

  Result<std::optional<Keyframe>> seek_keyframe(Nanos t) override {
    const size_t k = segment_for(t);
    TAP_CHECK(count_before(k));
    // The keyframe may lie in an earlier segment: the screen then carries across the restart.
    for (size_t j = k + 1; j-- > 0;) {
      TAP_TRY(std::optional<Keyframe> kf, segs_[j].reader->seek_keyframe(t));
      if (kf) {
        cur_ = j;
        kf->event_seq += *segs_[j].base;
        return kf;
      }
    }
    cur_ = 0;
    segs_.front().reader->restart();
    return std::optional<Keyframe>();
  }

  Nanos duration() const override {
    Nanos d = 0;
    for (const Segment& s : segs_) d = std::max(d, s.reader->duration());
    return d;
  }

  const ReadStatus& status() const override {
    // Rebuilt on each call: a segment's status changes as it is read or refreshed.
    const ReadStatus& last = segs_.back().reader->status();
    status_ = ReadStatus{};
    status_.complete = last.complete && !link_fault_;
    status_.torn_tail = last.torn_tail;
    status_.zero_tail = last.zero_tail;
    for (const Segment& s : segs_) {
      const ReadStatus& st = s.reader->status();
      status_.intact_bytes += st.intact_bytes;
      status_.frames += st.frames;
      if (st.fault && !status_.fault)
        status_.fault = Error(*st.fault).context(s.path.filename().string());
      for (const std::string& w : st.warnings)
        status_.warnings.push_back(segs_.size() > 1 ? s.path.filename().string() + ": " + w : w);
    }
    if (link_fault_ && !status_.fault) status_.fault = link_fault_;
    if (status_.fault) status_.complete = false;  // the stream ends before the END
    return status_;
  }

  Result<bool> refresh() override {
    TAP_TRY(bool grew, segs_.back().reader->refresh());
    // A restarted recorder continues the session in the next segment file.
    while (named_ && !link_fault_) {
      auto p = segment_path(base_path_, segs_.back().reader->info().segment + 1);
      std::error_code ec;
      if (!std::filesystem::exists(p, ec)) break;
      if (!add(p)) {
        grew = true;  // the link fault is news too
        break;
      }
      grew = true;
    }
    return grew;
  }

 private:
  struct Segment {
    std::filesystem::path path;
    std::unique_ptr<FileReader> reader;
    std::optional<uint64_t> base;
  };

  static Result<std::unique_ptr<FileReader>> open_file(const std::filesystem::path& path) {
    TAP_TRY(auto src, Source::open_file(path));
    auto r = std::make_unique<FileReader>(std::move(src));
    if (auto ok = r->open(); !ok) return fail(std::move(ok).error().context(path.string()));
    return r;
  }

  // Opens the segment after the last one and checks its link; false (and link_fault_) when it
  // is unusable or does not link the one before.
  bool add(const std::filesystem::path& path) {
    auto r = open_file(path);
    if (!r) {
      link_fault_ = r.error();
      return false;
    }
    const FileReader& prev = *segs_.back().reader;
    const SessionInfo& info = (*r)->info();
    std::string why;
    bool ok = false;
    if (info.session_id != prev.info().session_id) why = "it belongs to another session";
    else if (info.segment != prev.info().segment + 1)
      why = "its header says segment " + std::to_string(info.segment) + ", expected " +
            std::to_string(prev.info().segment + 1);
    else if (!info.previous) why = "it has no link to the previous segment";
    else ok = prev.links_here(*info.previous, &why);
    if (!ok) {
      link_fault_ = Error(ErrorKind::tampered, path.string() + ": broken segment link: " + why);
      return false;
    }
    segs_.push_back(Segment{path, std::move(r).value(), std::nullopt});
    return true;
  }

  // The segment holding time t: the first whose events reach t, else the last.
  size_t segment_for(Nanos t) const {
    for (size_t k = 0; k < segs_.size(); ++k)
      if (segs_[k].reader->duration() >= t) return k;
    return segs_.size() - 1;
  }

  // Makes the base of segment k known: counts the events of the segments before it whose
  // count is not known yet (one frame decoded each: the last).
  Result<void> count_before(size_t k) {
    for (size_t j = 0; j < k; ++j) {
      if (segs_[j + 1].base) continue;
      TAP_CHECK(segs_[j].reader->seek(std::numeric_limits<Nanos>::max()));
      segs_[j + 1].base = *segs_[j].base + segs_[j].reader->next_seq();
    }
    return {};
  }

  std::filesystem::path base_path_;
  bool named_ = false;
  std::vector<Segment> segs_;
  size_t cur_ = 0;
  std::optional<Error> link_fault_;
  Event keyframe_event_;
  mutable ReadStatus status_;
};

}  // namespace

Result<std::unique_ptr<SessionReader>> SessionReader::open(const std::filesystem::path& path) {
  TAP_TRY(auto src, Source::open_file(path));
  auto r = std::make_unique<FileReader>(std::move(src));
  if (auto ok = r->open(); !ok) return fail(std::move(ok).error().context(path.string()));
  return std::unique_ptr<SessionReader>(std::move(r));
}

Result<std::unique_ptr<SessionReader>> SessionReader::open_session(
    const std::filesystem::path& path) {
  // A later segment cut off from segment 0 (one between is missing) is read alone: the
  // session's run of segments does not reach it, and reading segment 0 instead would answer
  // for another file than the one named.
  const std::vector<std::filesystem::path> files = segment_paths(path);
  if (std::find(files.begin(), files.end(), path) == files.end()) return open(path);
  auto r = std::make_unique<SessionSetReader>();
  TAP_CHECK(r->open(path));
  return std::unique_ptr<SessionReader>(std::move(r));
}

Result<std::unique_ptr<SessionReader>> SessionReader::open_buffer(std::string bytes) {
  auto r = std::make_unique<FileReader>(Source::from_buffer(std::move(bytes)));
  TAP_CHECK(r->open());
  return std::unique_ptr<SessionReader>(std::move(r));
}

}  // namespace tap::format
