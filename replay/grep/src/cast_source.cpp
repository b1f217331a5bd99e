// asciicast files (v1, v2, v3) through tap::convert's decoder: the same events as a .tap.
#include <memory>

#include "tap/convert/cast_reader.hpp"
#include "tap/grep/event_source.hpp"

namespace tap::grep {

namespace {

class CastSource final : public EventSource {
 public:
  explicit CastSource(std::unique_ptr<convert::Decoder> decoder) : decoder_(std::move(decoder)) {}
  const format::SessionInfo& info() const override { return decoder_->info(); }
  Result<const format::Event*> next() override { return decoder_->next(); }
  std::optional<format::Nanos> duration() const override { return decoder_->facts().duration; }
  std::vector<std::string> warnings() const override { return {}; }

 private:
  std::unique_ptr<convert::Decoder> decoder_;
};

}  // namespace

Result<std::unique_ptr<EventSource>> open_cast_source(const std::filesystem::path& path) {
  TAP_TRY(auto decoder, convert::open_cast_reader(path));
  return std::unique_ptr<EventSource>(std::make_unique<CastSource>(std::move(decoder)));
}

}  // namespace tap::grep
