#include "tap_io.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/term/keyframer.hpp"
#include "tap/support/version.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

class TapDecoder final : public Decoder {
 public:
  TapDecoder(std::unique_ptr<format::SessionReader> reader, std::string name)
      : reader_(std::move(reader)), name_(std::move(name)) {
    facts_.format = "tap";
    facts_.duration = reader_->duration();
  }
  const format::SessionInfo& info() const override { return reader_->info(); }
  const SourceFacts& facts() const override { return facts_; }
  Result<const Event*> next() override {
    auto r = reader_->next();
    if (!r.ok()) return std::move(r).error().context(name_);
    if (*r) last_ = (*r)->time;
    return *r;
  }
  // A .tap is read by records, not bytes: progress is the share of its duration.
  uint64_t bytes_consumed() const override { return static_cast<uint64_t>(last_ < 0 ? 0 : last_); }
  uint64_t bytes_total() const override {
    return static_cast<uint64_t>(facts_.duration.value_or(0) < 0 ? 0 : *facts_.duration);
  }
  const format::ReadStatus& status() const { return reader_->status(); }
  format::SessionReader& reader() { return *reader_; }

 private:
  std::unique_ptr<format::SessionReader> reader_;
  std::string name_;
  SourceFacts facts_;
  Nanos last_ = 0;
};

void random_id(format::Id128& id) {
  size_t got = 0;
  while (got < id.size()) {
    ssize_t n = ::getrandom(id.data() + got, id.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
}

class TapEncoder final : public Encoder {
 public:
  TapEncoder(std::filesystem::path path, bool keyframes) : path_(std::move(path)), keyframes_(keyframes) {}

  Result<void> begin(const Header& h) override {
    format::SessionInfo info = h.info;
    random_id(info.file_id);
    if (!h.info.imported || info.session_id == format::Id128{}) random_id(info.session_id);
    if (!info.imported) {
      // A .tap rewritten (cut by time) is no longer the recorder's file: its provenance is
      // the source, and its seals and segment links do not carry over.
      info.imported = true;
      info.recorder = std::string("tapconv ") + kVersion + " (from " +
                      (info.recorder.empty() ? std::string("tap") : info.recorder) + ")";
    }
    info.previous.reset();
    info.key_id.clear();
    info.segment = 0;
    TAP_TRY(writer_, format::SessionWriter::create(path_, info));
    if (keyframes_) kw_.emplace(*writer_);
    return {};
  }

  Result<void> event(const Event& e) override {
    switch (e.kind()) {
      case format::EventKind::keyframe:
        return {};  // the source's keyframes name its sequence numbers: new ones are made
      case format::EventKind::end:
        end_ = *e.get<format::SessionEnd>();
        break;  // appended at its own time; finish() then does not append another
      default:
        break;
    }
    if (kw_) {
      TAP_TRY(uint64_t seq, kw_->append(e));
      (void)seq;
    } else {
      TAP_TRY(uint64_t seq, writer_->append(e));
      (void)seq;
    }
    ++stats_.events;
    return {};
  }

  Result<void> end(Nanos end_time) override {
    format::SessionEnd end = end_.value_or(format::SessionEnd{format::SessionEnd::Reason::source_ended, -1});
    if (!end_) {
      // The session's end time (a cut, a stated duration) is kept as the END event's time.
      Event e{end_time, end};
      if (kw_) {
        TAP_TRY(uint64_t seq, kw_->append(e));
        (void)seq;
      } else {
        TAP_TRY(uint64_t seq, writer_->append(e));
        (void)seq;
      }
    }
    if (kw_) return kw_->finish(end);
    return writer_->finish(end);
  }

 private:
  std::filesystem::path path_;
  bool keyframes_;
  std::unique_ptr<format::SessionWriter> writer_;
  std::optional<term::KeyframingWriter> kw_;
  std::optional<format::SessionEnd> end_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> open_tap_decoder(const std::string& path, std::string head) {
  std::unique_ptr<format::SessionReader> reader;
  if (path == "-") {
    std::string bytes = std::move(head);
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::from_errno("read standard input", errno);
      if (n == 0) break;
      bytes.append(buf, static_cast<size_t>(n));
    }
    TAP_TRY(reader, format::SessionReader::open_buffer(std::move(bytes)));
  } else {
    // The whole session the file belongs to: every later segment beside it, restart gaps
    // included (docs/format.md §Reading segments). A later segment cut off from segment 0 (one
    // between is missing) is read alone. The readers' errors name the file.
    auto r = format::SessionReader::open_session(path);
    if (!r.ok()) return std::move(r).error();
    reader = std::move(*r);
  }
  return std::unique_ptr<Decoder>(std::make_unique<TapDecoder>(std::move(reader), path));
}

std::unique_ptr<Encoder> make_tap_encoder(std::filesystem::path path, bool keyframes) {
  return std::make_unique<TapEncoder>(std::move(path), keyframes);
}

Result<std::optional<term::Terminal>> seek_screen_before(Decoder& d, Nanos t) {
  auto* tap = dynamic_cast<TapDecoder*>(&d);
  if (tap == nullptr || t <= 0) return std::optional<term::Terminal>();
  // Strictly before t: events at t itself belong to the part, so none may be folded into
  // the keyframe's state.
  auto kf = tap->reader().seek_keyframe(t - 1);
  if (!kf.ok()) return std::move(kf).error();
  if (!*kf) return std::optional<term::Terminal>();
  auto restored = term::Terminal::restore((*kf)->state);
  if (restored.ok()) return std::optional<term::Terminal>(std::move(restored).value());
  // A keyframe the model cannot read: replay from the start instead (slower, the same screen).
  auto rewound = tap->reader().seek(0);
  if (!rewound.ok()) return std::move(rewound).error();
  return std::optional<term::Terminal>();
}

// tapconv warns about a torn tail the way the other readers do.
std::optional<std::string> tap_status_warning(const Decoder& d) {
  const auto* t = dynamic_cast<const TapDecoder*>(&d);
  if (t == nullptr) return std::nullopt;
  const auto& s = t->status();
  if (s.torn_tail) return "the recording ends in a torn record after byte " + std::to_string(s.intact_bytes) +
                          " (cut off while being written); converted what was intact";
  return std::nullopt;
}

}  // namespace tap::convert
