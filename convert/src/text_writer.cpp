// tap events → rendered text: the lines the screen showed, in the order they left it
// (scrolled off the top, or wiped by a clear screen), then the final screen
// (docs/convert.md §text). Like asciinema's txt output, on tap::term's model.
#include <string>

#include "encoder_base.hpp"
#include "tap/term/terminal.hpp"

namespace tap::convert {
namespace {

using format::Event;
using format::Nanos;

class TextEncoder final : public BufferedEncoder, private term::LineSink {
 public:
  explicit TextEncoder(Sink& out) : BufferedEncoder(out), terminal_(80, 24) {}

  Result<void> begin(const Header& h) override {
    terminal_ = term::Terminal(h.cols ? h.cols : 80, h.rows ? h.rows : 24);
    terminal_.set_line_sink(this);
    return {};
  }

  Result<void> event(const Event& e) override {
    if (const auto* o = e.get<format::Output>()) {
      feed(o->data);
      ++stats_.events;
    } else if (const auto* r = e.get<format::Resize>()) {
      terminal_.resize(r->cols, r->rows);
    }
    return maybe_flush();
  }

  Result<void> end(Nanos) override {
    dump_screen();
    terminal_.set_line_sink(nullptr);
    return flush();
  }

 private:
  void scrolled_out(term::Buffer buffer, int, std::string_view text) override {
    // Full-screen programs scroll inside the alternate buffer; that is redraw, not history.
    if (buffer != term::Buffer::primary) return;
    buf_ += text;
    buf_ += '\n';
  }

  // Rows of the primary screen down to the last non-blank one.
  void dump_screen() {
    if (terminal_.alt_screen()) return;
    int last = terminal_.rows() - 1;
    while (last >= 0 && terminal_.row_text(term::Buffer::primary, last).empty()) --last;
    for (int r = 0; r <= last; ++r) {
      buf_ += terminal_.row_text(term::Buffer::primary, r);
      buf_ += '\n';
    }
  }

  // A clear of the whole screen (ED 2, ED 3, RIS) replaces its lines: they are written out
  // first, so text that never scrolled is not lost.
  void feed(std::string_view data) {
    for (;;) {
      size_t at = find_clear(data);
      if (at == std::string_view::npos) break;
      terminal_.feed(data.substr(0, at));
      dump_screen();
      size_t len = data[at + 1] == 'c' ? 2 : 4;
      terminal_.feed(data.substr(at, len));
      data.remove_prefix(at + len);
    }
    terminal_.feed(data);
  }
  static size_t find_clear(std::string_view d) {
    for (size_t p = d.find('\x1b'); p != std::string_view::npos; p = d.find('\x1b', p + 1)) {
      std::string_view s = d.substr(p);
      if (s.substr(0, 2) == "\x1b" "c" || s.substr(0, 4) == "\x1b[2J" || s.substr(0, 4) == "\x1b[3J") return p;
    }
    return std::string_view::npos;
  }

  term::Terminal terminal_;
};

}  // namespace

std::unique_ptr<Encoder> make_text_encoder(Sink& out) { return std::make_unique<TextEncoder>(out); }

}  // namespace tap::convert
