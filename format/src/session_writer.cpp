// SessionWriter for .tap files (docs/format.md; policy in docs/format.md §Writing).
#include "tap/format/session_writer.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "chain.hpp"
#include "event_codec.hpp"
#include "layout.hpp"
#include "sodium_init.hpp"
#include "tap/format/keys.hpp"
#include "tap/support/c_deleter.hpp"
#include "tap/support/fd.hpp"

namespace tap::format {
namespace {

using ZstdCCtx = CPtr<ZSTD_CCtx, &ZSTD_freeCCtx>;

// Events whose times a late keyframe can still look up exactly (a power of two); older ones
// fall back to the keyframe's own time, an upper bound (docs/format.md §Index).
constexpr size_t kTimeRing = 1 << 12;  // 32 KiB while active; freed when the session idles
// A slot of the time ring whose event time is not known (the ring was freed while idle).
constexpr int64_t kUnknownTime = -1;
// Encoded events are handed to zstd in batches of this size: one call per event costs more
// than the compression of a small event.
constexpr size_t kCompressBatch = 64 * 1024;
constexpr size_t kZbufSize = 128 * 1024;  // ZSTD_CStreamOutSize(): one block and its header

int window_log_for(size_t frame_bytes) {
  int log = 10;
  while (log < layout::kMaxWindowLog && (size_t{1} << log) < frame_bytes) ++log;
  return log;
}

bool is_zero(const Id128& id) {
  return std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; });
}

class FileWriter final : public SessionWriter {
 public:
  FileWriter(Fd fd, SessionInfo info, const WriterOptions& options)
      : fd_(std::move(fd)), info_(std::move(info)), options_(options), times_(kTimeRing, kUnknownTime) {}

  Result<void> start(const std::filesystem::path& path) {
    std::string header = layout::encode_file_header(info_);
    chain_.start(header);
    if (auto r = write_bytes(header, "", ""); !r)
      return fail(std::move(r).error().context("write header of " + path.string()));
    if (::fdatasync(fd_.get()) != 0) return fail(Error::from_errno("fdatasync " + path.string(), errno));
    // The new name must survive a crash too.
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) ::fsync(dfd.get());
    return {};
  }

  Result<uint64_t> append(const Event& event) override {
    if (finished_) return fail(ErrorKind::invalid_argument, "append after finish");
    if (failed_) return fail(ErrorKind::io, "writer failed earlier");
    if (event.time < last_time_)
      return fail(ErrorKind::invalid_argument, "event time " + std::to_string(event.time) +
                                                   " is before the previous event's " +
                                                   std::to_string(last_time_));
    const uint64_t seq = next_seq_;
    if (!frame_open_) open_frame(seq, event.time);
    if (const Keyframe* kf = event.get<Keyframe>()) {
      if (kf->event_seq > seq)
        return fail(ErrorKind::invalid_argument,
                    "keyframe names event " + std::to_string(kf->event_seq) +
                        ", which is not yet appended");
      Nanos described = 0;
      if (kf->event_seq > 0) {
        uint64_t prev = kf->event_seq - 1;
        // A keyframe's time is when the event it describes happened; when that is no longer
        // known, the keyframe's own (later) time is safe: seeks then use it for fewer times.
        described = event.time;
        if (seq - prev <= kTimeRing && !times_.empty() && times_[prev & (kTimeRing - 1)] != kUnknownTime)
          described = times_[prev & (kTimeRing - 1)];
      }
      pending_keyframes_.push_back(layout::KeyframeEntry{
          0, static_cast<uint32_t>(frame_in_bytes_), seq, kf->event_seq, described});
    }
    size_t before = in_.size();
    codec::encode_event(in_, event.time - frame_last_time_, event);
    frame_in_bytes_ += in_.size() - before;
    frame_last_time_ = event.time;
    last_time_ = event.time;
    last_append_ = event.time;
    if (times_.empty()) times_.assign(kTimeRing, kUnknownTime);
    times_[seq & (kTimeRing - 1)] = event.time;
    if (oldest_pending_ < 0) oldest_pending_ = event.time;
    count(event);
    ++next_seq_;
    if (event.kind() == EventKind::end) end_appended_ = true;

    if (frame_in_bytes_ >= options_.frame_bytes) {
      TAP_CHECK(compress(ZSTD_e_end));
      TAP_CHECK(write_data(true));
    } else if (in_.size() >= kCompressBatch) {
      TAP_CHECK(compress(ZSTD_e_continue));
      if (out_.size() >= layout::kMaxWrittenDataPayload) TAP_CHECK(write_data(false));
    }
    return seq;
  }

  Result<void> tick(Nanos now) override {
    if (finished_) return {};
    if (oldest_pending_ >= 0 && now - oldest_pending_ >= options_.flush_interval) TAP_CHECK(flush());
    if (frame_open_ && oldest_pending_ < 0 && now - last_append_ >= options_.idle_release) {
      // An idle session gives its compression context back (DESIGN §7 memory budget).
      TAP_CHECK(close_frame());
      cctx_.reset();
      zbuf_.reset();
      std::string().swap(in_);
      std::string().swap(out_);
      std::vector<int64_t>().swap(times_);
    }
    if (records_since_seal_ && now - last_seal_ >= options_.seal_interval) {
      TAP_CHECK(flush());
      TAP_CHECK(write_seal(layout::RecordType::seal, now));
    }
    if (unsynced_ && now - last_sync_ >= options_.sync_interval) TAP_CHECK(sync(now));
    return {};
  }

  Result<void> flush() override {
    if (finished_ || !frame_open_ || oldest_pending_ < 0) return {};
    TAP_CHECK(compress(ZSTD_e_flush));
    return write_data(false);
  }

  Result<void> finish(const SessionEnd& end) override {
    if (finished_) return {};
    if (!end_appended_) {
      auto r = append(Event{last_time_, end});
      if (!r) return fail(std::move(r).error());
    }
    TAP_CHECK(close_frame());
    cctx_.reset();
    TAP_CHECK(write_seal(layout::RecordType::end, last_time_));
    if (::fdatasync(fd_.get()) != 0) return fail(Error::from_errno("fdatasync", errno));
    finished_ = true;
    fd_.reset();
    return {};
  }

  const SessionInfo& info() const override { return info_; }
  uint64_t next_seq() const override { return next_seq_; }
  uint64_t bytes_written() const override { return offset_; }

 private:
  void open_frame(uint64_t seq, Nanos time) {
    frame_open_ = true;
    frame_on_disk_ = false;
    frame_first_seq_ = seq;
    frame_base_time_ = time;
    frame_last_time_ = time;
    frame_in_bytes_ = 0;
  }

  Result<void> ensure_cctx() {
    if (cctx_) return {};
    cctx_.reset(ZSTD_createCCtx());
    if (!cctx_) return fail(ErrorKind::internal, "ZSTD_createCCtx failed");
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, options_.level);
    // The window need not exceed the frame: a 256 KiB window keeps the context at ~1.8 MB.
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_windowLog, window_log_for(options_.frame_bytes));
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_contentSizeFlag, 0);
    // 4 bytes per frame let a reader catch damage a recomputed CRC would hide.
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1);
    return {};
  }

  Result<void> compress(ZSTD_EndDirective mode) {
    TAP_CHECK(ensure_cctx());
    if (!zbuf_) zbuf_ = std::make_unique<char[]>(kZbufSize);
    ZSTD_inBuffer in{in_.data(), in_.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{zbuf_.get(), kZbufSize, 0};
      size_t rc = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
      if (ZSTD_isError(rc))
        return fail(ErrorKind::internal, std::string("zstd: ") + ZSTD_getErrorName(rc));
      out_.append(zbuf_.get(), out.pos);
      if (mode == ZSTD_e_continue ? in.pos == in.size : rc == 0) break;
    }
    in_.clear();
    if (mode != ZSTD_e_continue) oldest_pending_ = -1;
    if (mode == ZSTD_e_end) frame_open_ = false;
    return {};
  }

  Result<void> close_frame() {
    if (!frame_open_) return {};
    TAP_CHECK(compress(ZSTD_e_end));
    return write_data(true);
  }

  // Writes out_ as DATA records of at most 1 MiB; the last carries FRAME_END when `frame_end`.
  Result<void> write_data(bool frame_end) {
    std::string_view rest = out_;
    while (!rest.empty()) {
      size_t n = std::min<size_t>(rest.size(), layout::kMaxWrittenDataPayload);
      std::string_view chunk = rest.substr(0, n);
      rest.remove_prefix(n);
      uint8_t flags = 0;
      std::string prefix;
      if (!frame_on_disk_) {
        flags |= layout::kDataFrameStart;
        wire_prefix(prefix);
        frames_.push_back(layout::FrameEntry{offset_, frame_first_seq_, frame_base_time_});
        ++totals_.frames;
        for (auto& k : pending_keyframes_) k.frame_offset = offset_;
        frame_on_disk_ = true;
      }
      if (frame_end && rest.empty()) flags |= layout::kDataFrameEnd;
      TAP_CHECK(write_record(static_cast<uint8_t>(layout::RecordType::data), flags, last_time_,
                             prefix, chunk));
    }
    out_.clear();
    keyframes_.insert(keyframes_.end(), pending_keyframes_.begin(), pending_keyframes_.end());
    pending_keyframes_.clear();
    return {};
  }

  void wire_prefix(std::string& prefix) {
    char b[16];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(frame_first_seq_ >> (8 * i));
    for (int i = 0; i < 8; ++i)
      b[8 + i] = static_cast<char>(static_cast<uint64_t>(frame_base_time_) >> (8 * i));
    prefix.assign(b, 16);
  }

  Result<void> write_record(uint8_t type, uint8_t flags, Nanos time, std::string_view prefix,
                            std::string_view payload) {
    auto hdr = layout::encode_record_header(type, flags, record_seq_, time, prefix, payload);
    std::string_view h(hdr.data(), hdr.size());
    TAP_CHECK(write_bytes(h, prefix, payload));
    chain_.add(h, prefix, payload);
    ++record_seq_;
    records_since_seal_ = true;
    return {};
  }

  // One writev for a record (and, for END, the footer after it).
  Result<void> write_bytes(std::string_view a, std::string_view b, std::string_view c,
                           std::string_view d = {}) {
    iovec iov[4] = {{const_cast<char*>(a.data()), a.size()},
                    {const_cast<char*>(b.data()), b.size()},
                    {const_cast<char*>(c.data()), c.size()},
                    {const_cast<char*>(d.data()), d.size()}};
    size_t total = a.size() + b.size() + c.size() + d.size();
    size_t done = 0;
    int first = 0;
    while (done < total) {
      ssize_t n = ::writev(fd_.get(), iov + first, 4 - first);
      if (n < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        return fail(Error::from_errno("write", errno));
      }
      done += static_cast<size_t>(n);
      // A short write on a regular file (disk full): continue after what was written.
      size_t left = static_cast<size_t>(n);
      while (first < 4 && left >= iov[first].iov_len) left -= iov[first++].iov_len;
      if (first < 4) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
    offset_ += total;
    unsynced_ = true;
    return {};
  }

  Result<void> write_seal(layout::RecordType type, Nanos now) {
    const bool is_end = type == layout::RecordType::end;
    layout::SealBody body;
    body.seq = record_seq_;
    body.head = chain_.head();
    body.wall_ns = info_.start_wall_ns + now;
    body.events = next_seq_;
    body.last_time = last_time_;
    body.prev_seal = last_seal_offset_;
    body.key_id = info_.key_id;
    if (is_end) {
      body.frames = frames_;
      body.keyframes = keyframes_;
      body.totals = totals_;
    } else {
      body.frames.assign(frames_.begin() + static_cast<ptrdiff_t>(sealed_frames_), frames_.end());
      body.keyframes.assign(keyframes_.begin() + static_cast<ptrdiff_t>(sealed_keyframes_),
                            keyframes_.end());
    }
    std::string payload = layout::encode_seal_body(body, is_end);
    uint8_t flags = 0;
    if (options_.key) {
      Signature sig = options_.key->sign(layout::seal_message(info_.file_id, type, payload));
      payload.append(reinterpret_cast<const char*>(sig.data()), sig.size());
      flags |= layout::kSealSigned;
    } else {
      payload.append(layout::kSignatureLen, '\0');
    }
    if (is_end) {
      uint64_t end_offset = offset_;
      auto hdr = layout::encode_record_header(static_cast<uint8_t>(type), flags, record_seq_,
                                              now, "", payload);
      auto footer = layout::encode_footer(end_offset, static_cast<uint32_t>(payload.size()));
      std::string_view h(hdr.data(), hdr.size());
      TAP_CHECK(write_bytes(h, payload, std::string_view(footer.data(), footer.size())));
      chain_.add(h, payload);
      ++record_seq_;
    } else {
      last_seal_offset_ = offset_;
      TAP_CHECK(write_record(static_cast<uint8_t>(type), flags, now, "", payload));
      if (::fdatasync(fd_.get()) != 0) return fail(Error::from_errno("fdatasync", errno));
      unsynced_ = false;
      last_sync_ = now;
    }
    sealed_frames_ = frames_.size();
    sealed_keyframes_ = keyframes_.size();
    records_since_seal_ = false;
    last_seal_ = now;
    return {};
  }

  Result<void> sync(Nanos now) {
    if (::fdatasync(fd_.get()) != 0) return fail(Error::from_errno("fdatasync", errno));
    unsynced_ = false;
    last_sync_ = now;
    return {};
  }

  void count(const Event& e) {
    auto k = static_cast<size_t>(e.kind()) - 1;
    if (k < layout::kKinds) ++totals_.events_by_kind[k];
    if (const auto* o = e.get<Output>()) totals_.output_bytes += o->data.size();
    if (const auto* i = e.get<Input>()) totals_.input_bytes += i->data.size();
    if (const auto* s = e.get<InputSuppressed>()) totals_.suppressed_bytes += s->length;
    if (const auto* g = e.get<Gap>()) totals_.gap_bytes += g->bytes;
  }

  Fd fd_;
  SessionInfo info_;
  WriterOptions options_;
  ZstdCCtx cctx_;
  std::unique_ptr<char[]> zbuf_;  // compressor output, freed with the context when idle
  Chain chain_;
  std::string in_;   // encoded events not yet given to zstd
  std::string out_;  // compressed bytes not yet written
  std::vector<int64_t> times_;
  std::vector<layout::FrameEntry> frames_;
  std::vector<layout::KeyframeEntry> keyframes_;
  std::vector<layout::KeyframeEntry> pending_keyframes_;  // frame not yet on disk
  size_t sealed_frames_ = 0;
  size_t sealed_keyframes_ = 0;
  layout::Totals totals_;
  uint64_t next_seq_ = 0;
  uint64_t record_seq_ = 0;
  uint64_t offset_ = 0;
  bool frame_open_ = false;
  bool frame_on_disk_ = false;
  uint64_t frame_first_seq_ = 0;
  Nanos frame_base_time_ = 0;
  Nanos frame_last_time_ = 0;
  uint64_t frame_in_bytes_ = 0;
  Nanos last_time_ = 0;
  Nanos last_append_ = 0;
  Nanos oldest_pending_ = -1;
  Nanos last_seal_ = 0;
  uint64_t last_seal_offset_ = 0;
  Nanos last_sync_ = 0;
  bool records_since_seal_ = false;
  bool unsynced_ = false;
  bool end_appended_ = false;
  bool finished_ = false;
  bool failed_ = false;
};

}  // namespace

Result<std::unique_ptr<SessionWriter>> SessionWriter::create(const std::filesystem::path& path,
                                                             const SessionInfo& info,
                                                             const WriterOptions& options) {
  if (options.level < 1 || options.level > 19)
    return fail(ErrorKind::invalid_argument, "zstd level must be 1..19");
  if (options.frame_bytes < 1024 || options.frame_bytes > 64 * 1024 * 1024)
    return fail(ErrorKind::invalid_argument, "frame size must be 1 KiB..64 MiB");
  ensure_sodium();
  SessionInfo full = info;
  if (is_zero(full.file_id)) randombytes_buf(full.file_id.data(), full.file_id.size());
  if (is_zero(full.session_id)) full.session_id = full.file_id;
  full.key_id = options.key ? options.key->id() : std::string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
                  options.file_mode);
  if (fd < 0) {
    int err = errno;
    Error e = Error::from_errno("create " + path.string(), err);
    if (err == EEXIST) return fail(ErrorKind::exists, e.what());
    if (err == ENOENT) return fail(ErrorKind::not_found, e.what());
    if (err == EACCES || err == EPERM) return fail(ErrorKind::permission, e.what());
    return fail(std::move(e));
  }
  auto w = std::make_unique<FileWriter>(Fd(fd), std::move(full), options);
  TAP_CHECK(w->start(path));
  return std::unique_ptr<SessionWriter>(std::move(w));
}

}  // namespace tap::format
