// The bytes that draw a terminal's screen on a blank terminal of its size: what a part cut
// from the middle of a recording starts with (docs/convert.md §Time windows), and what
// tapplay paints after a jump (docs/tapplay.md).
#pragma once

#include <string>

#include "tap/support/cell_encoding.hpp"
#include "tap/term/terminal.hpp"

namespace tap::term {

// Styles and text go through tap::support's cell encoder (the one tapplay and `tap` render
// with). Clears the screen, then draws the title, the primary screen (rows with their colours and
// attributes; a soft-wrapped row continues into the next by an autowrap, as it did), the
// alternate screen over it when that is the one shown, and the cursor (position,
// visibility). Played on a blank terminal of the same size, the result shows what `t` shows.
// What tap::term's API does not expose is not set: scroll region, modes (origin, autowrap,
// keypad, mouse, bracketed paste), charsets, tab stops, the saved cursor, the current pen.
std::string redraw_screen(const Terminal& t);

// A pen and a colour as tap::support's cell encoder takes them (the same fields), for every
// renderer of a Terminal.
CellColour cell_colour(const Color& colour);
CellStyle cell_style(const Pen& pen);

}  // namespace tap::term
