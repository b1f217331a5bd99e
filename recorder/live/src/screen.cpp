// Renderers of a live Screen for `tap snapshot` and `tap watch`.
#include "tap/live/screen.hpp"

#include <algorithm>
#include <string_view>

#include "tap/support/cell_encoding.hpp"
#include "tap/support/text.hpp"

namespace tap::live {

namespace {

// The box around a snapshot: light box-drawing characters, as on the product page.
constexpr std::string_view kTop = "\xe2\x94\x8c", kTopRight = "\xe2\x94\x90",
                           kBottom = "\xe2\x94\x94", kBottomRight = "\xe2\x94\x98",
                           kHoriz = "\xe2\x94\x80", kVert = "\xe2\x94\x82";

std::string header(const Screen& s, uint32_t pty_index) {
  std::string out = "snapshot pty=" + std::to_string(pty_index) + " (" +
                    std::to_string(s.rows) + "x" + std::to_string(s.cols) + ")";
  if (s.alt_screen) out += " alt-screen";
  out += " cursor=" + std::to_string(s.cursor_row) + "," + std::to_string(s.cursor_col);
  if (!s.cursor_visible) out += " hidden";
  if (!s.title.empty()) out += " title=\"" + escape_for_terminal(s.title) + "\"";
  out += "\n";
  return out;
}

std::string rule(const Screen& s, std::string_view left, std::string_view right) {
  std::string out(left);
  for (int i = 0; i < s.cols; ++i) out += kHoriz;
  out += right;
  out += "\n";
  return out;
}

// Span text made safe for a terminal. Cells hold printable characters only, but the screen
// came from untrusted bytes, so anything else is shown escaped rather than interpreted.
// Controls (C0, DEL, C1) become U+FFFD; everything printable, backslashes included, stays as
// the screen showed it, so the text equals what other emulators print for the same screen.
std::string safe(const std::string& text) {
  std::string out;
  append_safe_text(out, text);
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_string_body(out, s);
  out += '"';
}

// A row's spans as SGR-styled text, ending in the default style.
std::string ansi_row(const std::vector<Span>& line) {
  std::string out;
  bool styled = false;
  for (const auto& span : line) {
    if (!span.style.plain()) {
      append_sgr(out, cell_style(span.style));
      styled = true;
    } else if (styled) {
      out += "\x1b[0m";
      styled = false;
    }
    append_safe_text(out, span.text);
  }
  if (styled) out += "\x1b[0m";
  return out;
}

int line_cells(const std::vector<Span>& line) {
  int cells = 0;
  for (const auto& span : line) cells += span.cells;
  return cells;
}

}  // namespace

std::string Screen::line_text(size_t row) const {
  if (row >= lines.size()) return {};
  std::string out;
  for (const auto& span : lines[row]) out += span.text;
  size_t end = out.find_last_not_of(' ');
  out.resize(end == std::string::npos ? 0 : end + 1);
  return out;
}

CellStyle cell_style(const Style& st) {
  CellStyle out;
  out.fg = st.fg;
  out.bg = st.bg;
  out.bold = st.flags & Style::kBold;
  out.italic = st.flags & Style::kItalic;
  out.blink = st.flags & Style::kBlink;
  out.reverse = st.flags & Style::kReverse;
  out.conceal = st.flags & Style::kConceal;
  out.strike = st.flags & Style::kStrike;
  out.underline = st.underline;
  return out;
}

std::string sgr(const Style& st) {
  if (st.plain()) return {};
  return tap::sgr(cell_style(st));
}

std::string render_plain_text(const Screen& s) {
  std::string out;
  for (size_t r = 0; r < s.lines.size(); ++r) {
    out += safe(s.line_text(r));
    out += "\n";
  }
  return out;
}

std::string render_framed_text(const Screen& s, uint32_t pty_index) {
  std::string out = header(s, pty_index);
  out += rule(s, kTop, kTopRight);
  for (const auto& line : s.lines) {
    out += kVert;
    for (const auto& span : line) out += safe(span.text);
    out.append(static_cast<size_t>(std::max(0, s.cols - line_cells(line))), ' ');
    out += kVert;
    out += "\n";
  }
  out += rule(s, kBottom, kBottomRight);
  return out;
}

std::string render_framed_ansi(const Screen& s, uint32_t pty_index) {
  std::string out = header(s, pty_index);
  out += rule(s, kTop, kTopRight);
  for (const auto& line : s.lines) {
    out += kVert;
    out += ansi_row(line);
    out.append(static_cast<size_t>(std::max(0, s.cols - line_cells(line))), ' ');
    out += kVert;
    out += "\n";
  }
  out += rule(s, kBottom, kBottomRight);
  return out;
}

std::string render_json(const Screen& s, uint32_t pty_index) {
  std::string out = "{\"pty_index\":" + std::to_string(pty_index) +
                    ",\"cols\":" + std::to_string(s.cols) + ",\"rows\":" + std::to_string(s.rows) +
                    ",\"cursor\":{\"row\":" + std::to_string(s.cursor_row) +
                    ",\"col\":" + std::to_string(s.cursor_col) +
                    ",\"visible\":" + (s.cursor_visible ? "true" : "false") +
                    "},\"alt_screen\":" + (s.alt_screen ? "true" : "false") + ",\"title\":";
  append_json_string(out, s.title);
  out += ",\"lines\":[";
  for (size_t r = 0; r < s.lines.size(); ++r) {
    if (r) out += ',';
    append_json_string(out, s.line_text(r));
  }
  out += "],\"spans\":[";
  for (size_t r = 0; r < s.lines.size(); ++r) {
    if (r) out += ',';
    out += '[';
    int col = 0;
    bool first = true;
    for (const auto& span : s.lines[r]) {
      // Plain runs are implied by `lines`; only styled runs are listed.
      if (!span.style.plain()) {
        if (!first) out += ',';
        first = false;
        out += "{\"col\":" + std::to_string(col) + ",\"cells\":" + std::to_string(span.cells) +
               ",\"text\":";
        append_json_string(out, span.text);
        const CellStyle st = cell_style(span.style);
        out += ",\"fg\":";
        append_json_colour(out, st.fg);
        out += ",\"bg\":";
        append_json_colour(out, st.bg);
        append_json_attributes(out, st);
        out += '}';
      }
      col += span.cells;
    }
    out += ']';
  }
  out += "]}\n";
  return out;
}

std::string render_repaint(const Screen& s) {
  // Show the buffer the session shows, reset the pen and scroll region, clear, paint rows.
  std::string out = s.alt_screen ? "\x1b[?1049h" : "\x1b[?1049l";
  out += "\x1b[0m\x1b[r\x1b[H\x1b[2J";
  for (size_t r = 0; r < s.lines.size(); ++r) {
    if (s.lines[r].empty()) continue;
    out += "\x1b[" + std::to_string(r + 1) + ";1H";
    out += ansi_row(s.lines[r]);
  }
  out += "\x1b[" + std::to_string(s.cursor_row + 1) + ";" + std::to_string(s.cursor_col + 1) + "H";
  out += s.cursor_visible ? "\x1b[?25h" : "\x1b[?25l";
  return out;
}

}  // namespace tap::live
