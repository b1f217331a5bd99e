#include "tap/grep/event_source.hpp"


#include "tap/format/session_reader.hpp"

namespace tap::grep {

namespace {

class TapSource final : public EventSource {
 public:
  explicit TapSource(std::unique_ptr<format::SessionReader> reader) : reader_(std::move(reader)) {}
  const format::SessionInfo& info() const override { return reader_->info(); }
  Result<const format::Event*> next() override { return reader_->next(); }
  std::optional<format::Nanos> duration() const override {
    // The END index or the SEAL entries give the length without decoding (docs/format.md).
    return reader_->duration();
  }
  std::vector<std::string> warnings() const override {
    const format::ReadStatus& st = reader_->status();
    std::vector<std::string> out = st.warnings;
    if (out.empty() && st.torn_tail) out.push_back("torn tail after byte " + std::to_string(st.intact_bytes));
    return out;
  }

 private:
  std::unique_ptr<format::SessionReader> reader_;
};

class MemorySource final : public EventSource {
 public:
  MemorySource(format::SessionInfo info, std::vector<format::Event> events)
      : info_(std::move(info)), events_(std::move(events)) {}
  const format::SessionInfo& info() const override { return info_; }
  Result<const format::Event*> next() override {
    if (pos_ >= events_.size()) return static_cast<const format::Event*>(nullptr);
    return &events_[pos_++];
  }
  std::optional<format::Nanos> duration() const override {
    return events_.empty() ? 0 : events_.back().time;
  }
  std::vector<std::string> warnings() const override { return {}; }

 private:
  format::SessionInfo info_;
  std::vector<format::Event> events_;
  size_t pos_ = 0;
};

}  // namespace

SourceFormat source_format(const std::filesystem::path& path) {
  return path.extension() == ".cast" ? SourceFormat::cast : SourceFormat::tap;
}

#ifdef TAP_GREP_HAVE_CAST
Result<std::unique_ptr<EventSource>> open_cast_source(const std::filesystem::path& path);
#endif

Result<std::unique_ptr<EventSource>> open_event_source(const std::filesystem::path& path) {
  if (source_format(path) == SourceFormat::cast) {
#ifdef TAP_GREP_HAVE_CAST
    return open_cast_source(path);
#else
    return fail(ErrorKind::unsupported, "asciicast files need tap::convert, not in this build");
#endif
  }
  // Every segment of the session, as one stream in session time (docs/format.md §Reading
  // segments); the walk gives each session once, by its first file. A segment cut off from
  // segment 0 (one between is missing) is read alone, not as segment 0's session.
  TAP_TRY(auto reader, format::SessionReader::open_session(path));
  return std::unique_ptr<EventSource>(std::make_unique<TapSource>(std::move(reader)));
}

std::unique_ptr<EventSource> memory_event_source(format::SessionInfo info,
                                                 std::vector<format::Event> events) {
  return std::make_unique<MemorySource>(std::move(info), std::move(events));
}

}  // namespace tap::grep
