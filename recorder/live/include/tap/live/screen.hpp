// A terminal screen as the live protocol carries it: rows of styled spans, independent of the
// terminal model that produced it, so the `tap` client needs no emulator. The worker builds it
// from a tap::term::Terminal; the client renders it as framed text, ANSI, JSON, or as the
// repaint that starts `tap watch`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tap/support/cell_encoding.hpp"

namespace tap::live {

// A colour on the wire is the shared cell encoder's colour (default, palette index or RGB).
using Colour = CellColour;

struct Style {
  static constexpr uint16_t kBold = 1 << 0, kItalic = 1 << 1, kBlink = 1 << 2,
                            kReverse = 1 << 3, kConceal = 1 << 4, kStrike = 1 << 5;
  Colour fg, bg;
  uint16_t flags = 0;
  uint8_t underline = 0;  // 0 none, 1 single, 2 double, 3 curly

  bool operator==(const Style&) const = default;
  bool plain() const { return *this == Style{}; }
};

// Consecutive cells of one style. `text` is UTF-8 (a blank cell is a space); `cells` is how
// many columns the span covers (a wide character covers two).
struct Span {
  Style style;
  uint16_t cells = 0;
  std::string text;

  bool operator==(const Span&) const = default;
};

struct Screen {
  uint16_t cols = 0, rows = 0;
  uint16_t cursor_row = 0, cursor_col = 0;
  bool cursor_visible = true;
  bool alt_screen = false;
  std::string title;
  std::vector<std::vector<Span>> lines;  // `rows` lines

  bool operator==(const Screen&) const = default;

  // A line's text with trailing blanks removed (as `tmux capture-pane -p` prints it).
  std::string line_text(size_t row) const;
};

// `snapshot pty=N (RxC)` and the screen in a box, one line per row, padded to the width.
std::string render_framed_text(const Screen& s, uint32_t pty_index);
// The rows only, trailing blanks trimmed, one per line.
std::string render_plain_text(const Screen& s);
// Like the framed text, with each span's colours and attributes as SGR sequences.
std::string render_framed_ansi(const Screen& s, uint32_t pty_index);
// One JSON object: size, cursor, alt_screen, title, lines and styled spans.
std::string render_json(const Screen& s, uint32_t pty_index);
// Bytes that paint the screen on a terminal of the same size, from any state: clear, each
// row at its place with its styles, then the cursor (the first frame of `tap watch`).
std::string render_repaint(const Screen& s);
// SGR for a style from the default state ("\e[0;1;31m"); empty for the plain style.
std::string sgr(const Style& st);
// The style as the shared cell encoder takes it (tap/support/cell_encoding.hpp), which every
// renderer here uses for SGR and JSON.
CellStyle cell_style(const Style& st);

}  // namespace tap::live
