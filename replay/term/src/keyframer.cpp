#include "tap/term/keyframer.hpp"

#include <algorithm>
#include <variant>

namespace tap::term {

Keyframer::Keyframer(KeyframeRule rule, int cols, int rows) : rule_(rule), terminal_(cols, rows) {}

Keyframer::Keyframer(KeyframeRule rule, Terminal terminal)
    : rule_(rule), terminal_(std::move(terminal)), scrolled_at_last_(terminal_.scrolled_lines()) {}

std::optional<format::Keyframe> Keyframer::observe(uint64_t seq, const format::Event& event) {
  if (const auto* out = event.get<format::Output>()) return output(seq, out->data);
  if (const auto* rs = event.get<format::Resize>()) return resize(seq, rs->cols, rs->rows);
  return std::nullopt;  // nothing else changes the screen
}

std::optional<format::Keyframe> Keyframer::output(uint64_t seq, std::string_view bytes,
                                                  bool last) {
  terminal_.feed(bytes);
  output_since_ += bytes.size();
  return last ? due(seq) : std::nullopt;
}

std::optional<format::Keyframe> Keyframer::resize(uint64_t seq, int cols, int rows) {
  // A 0×0 size (a pty nobody sized) leaves the screen as it is.
  if (cols > 0 && rows > 0) terminal_.resize(cols, rows);
  return due(seq);
}

std::optional<format::Keyframe> Keyframer::due(uint64_t seq) {
  // Scrolled lines cost replay time in proportion to the screen's area: 4,096 at 120 × 40.
  const uint64_t area = static_cast<uint64_t>(terminal_.cols()) * terminal_.rows();
  const uint64_t line_budget = std::max<uint64_t>(1, rule_.scrolled_lines * 4800 / area);
  const uint64_t scrolled = terminal_.scrolled_lines() - scrolled_at_last_;
  if (output_since_ < rule_.output_bytes && scrolled < line_budget) return std::nullopt;
  if (!terminal_.keyframe_safe()) return std::nullopt;  // due: taken at the next safe boundary
  output_since_ = 0;
  scrolled_at_last_ = terminal_.scrolled_lines();
  return format::Keyframe{seq + 1, terminal_.save()};
}

KeyframingWriter::KeyframingWriter(format::SessionWriter& out, KeyframeRule rule)
    : out_(out), keyframer_(rule) {}  // the initial size arrives as the first resize event

Result<uint64_t> KeyframingWriter::append(const format::Event& event) {
  if (event.get<format::Keyframe>() != nullptr) return out_.append(event);
  TAP_TRY(uint64_t seq, out_.append(event));
  if (auto kf = keyframer_.observe(seq, event)) {
    TAP_CHECK(out_.append(format::Event{event.time, std::move(*kf)}));
  }
  return seq;
}

Result<void> KeyframingWriter::finish(const format::SessionEnd& end) { return out_.finish(end); }

}  // namespace tap::term
