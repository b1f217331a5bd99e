// Renderers: a Terminal's screen as text, ANSI, HTML, SVG or JSON (docs/tapplay.md §Formats).
//
// Used by `tapplay --at`, the live client's `tap snapshot` and converters. A recording is
// untrusted input: every renderer escapes what it emits (control code points in cells become
// U+FFFD, HTML/SVG are XML-escaped, JSON strings are JSON-escaped), so a rendered screen can
// be printed, opened in a browser or parsed without the recording taking control of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tap/format/event.hpp"
#include "tap/support/result.hpp"
#include "tap/term/terminal.hpp"

namespace tap::replay {

enum class RenderFormat { text, ansi, html, svg, json };

// "text", "ansi", "html", "svg", "json".
Result<RenderFormat> parse_render_format(std::string_view name);
std::string_view render_format_name(RenderFormat format);

// What the renderers say about the moment besides the cells (JSON fields, HTML/SVG titles).
struct RenderContext {
  std::optional<int64_t> time_ns;           // offset from the session start
  std::optional<int64_t> wall_ns;           // wall-clock time of the moment (Unix epoch)
  int32_t utc_offset_s = 0;                 // zone the wall time is shown in
  std::optional<format::WriterChange> writer;  // who was writing to the terminal then
  std::optional<format::Opener> opener;     // who opened the session
  std::string source;                       // file name, shown in HTML/SVG titles
};

// Rows of the shown buffer, each with trailing blanks trimmed, '\n' after every row.
std::string render_text(const term::Terminal& terminal);
// The same rows with SGR sequences that reproduce every cell's attributes exactly; the pen is
// reset at the end of each row that changed it.
std::string render_ansi(const term::Terminal& terminal);
// Repaints a real terminal to show `terminal` (the player's seeks): back to the primary
// buffer, then tap::term::redraw_screen (the primary screen, the alternate one over it when
// shown, the cursor and its visibility).
std::string render_ansi_repaint(const term::Terminal& terminal);
// A self-contained HTML page (inline CSS, no scripts, no external resources).
std::string render_html(const term::Terminal& terminal, const RenderContext& context);
// A self-contained SVG image: one cell is 9 × 18 units, every glyph placed on its cell.
std::string render_svg(const term::Terminal& terminal, const RenderContext& context);
// One JSON object (docs/tapplay.md §JSON): size, cursor, alt-screen flag, title, time, writer,
// opener, "lines" (row texts) and "cells" (per row, per column: text, width, attributes).
std::string render_json(const term::Terminal& terminal, const RenderContext& context);

std::string render(const term::Terminal& terminal, RenderFormat format,
                   const RenderContext& context);

// The colour a Color shows as (xterm's default palette), as 0xRRGGBB; default colours map to
// `default_rgb`.
uint32_t color_rgb(const term::Color& color, uint32_t default_rgb);

}  // namespace tap::replay
