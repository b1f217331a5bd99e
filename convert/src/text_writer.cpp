// tap events → rendered text: the lines the screen showed, in the order they left it, on
// tap::term's rendered-line engine (the one tapgrep searches; docs/tapgrep.md §Rendered lines,
// docs/convert.md §Rendered text). Like asciinema's txt output, but a line that was replaced
// in place (a readline edit, a repainted status line, a full-screen program's screen) is
// written too, not only what scrolled.
#include <string>

#include "encoder_base.hpp"
#include "tap/term/rendered_lines.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

class TextEncoder final : public BufferedEncoder, private term::LineConsumer {
 public:
  explicit TextEncoder(Sink& out) : BufferedEncoder(out), lines_(*this) {}

  Result<void> begin(const Header& h) override {
    // The header's size is the screen the first output lands on (a .tap or .cast also states
    // it as a resize at time 0, which then changes nothing).
    if (h.cols != 0 && h.rows != 0) lines_.resize(0, h.cols, h.rows);
    return {};
  }

  Result<void> event(const Event& e) override {
    switch (e.kind()) {
      case format::EventKind::output:
        ++stats_.events;
        [[fallthrough]];
      case format::EventKind::resize:
      case format::EventKind::keyframe:
        lines_.apply(e);
        return maybe_flush();
      default:
        return {};
    }
  }

  Result<void> end(Nanos end_time) override {
    lines_.finish(end_time);
    return flush();
  }

 private:
  void line(std::string_view text, Nanos) override {
    buf_ += text;
    buf_ += '\n';
  }

  term::RenderedLines lines_;
};

}  // namespace

std::unique_ptr<Encoder> make_text_encoder(Sink& out) { return std::make_unique<TextEncoder>(out); }

}  // namespace tap::convert
