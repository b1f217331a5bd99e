#include "tap/term/redraw.hpp"

#include <algorithm>

#include "tap/support/cell_encoding.hpp"

namespace tap::term {
namespace {


void append_uint(std::string& out, unsigned v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out += digits[--n];
}

// SGR that sets exactly `p` from any pen, through the shared cell encoder (which keeps each
// sequence within libvterm's 16 parameters).
void append_pen(std::string& out, const Pen& p) { append_sgr(out, cell_style(p)); }

// A cell that shows nothing and would show nothing if left unwritten.
bool empty_cell(const Cell& c) {
  return (c.chars[0] == 0 || (c.chars[0] == U' ' && c.chars[1] == 0)) && c.pen == Pen{};
}

// Columns of `row` to write: up to its last cell that shows something, or the whole row when
// it continues on the next (writing the last column is what makes the autowrap).
int drawn_width(const Terminal& t, Buffer b, int row) {
  if (t.row_continues(b, row)) return t.cols();
  int end = t.cols();
  while (end > 0 && empty_cell(t.cell(b, row, end - 1))) --end;
  return end;
}

// Draws the rows of buffer `b` from the top-left corner of a cleared screen. Returns with the
// cursor after the last row drawn.
void append_rows(std::string& out, const Terminal& t, Buffer b, Pen& pen) {
  int last = t.rows() - 1;
  while (last >= 0 && drawn_width(t, b, last) == 0) --last;
  for (int row = 0; row <= last; ++row) {
    const int width = drawn_width(t, b, row);
    int at = 0;  // the column the next character lands in
    for (int col = 0; col < width; ++col) {
      const Cell& c = t.cell(b, row, col);
      if (col < at) continue;  // the right half of the wide character just written
      if (!(c.pen == pen)) {
        append_pen(out, c.pen);
        pen = c.pen;
      }
      if (c.chars[0] == 0 || c.width == 0 || (c.width == 2 && col + 1 == t.cols())) {
        // Blank; or the right half of a wide character whose left half was overwritten, or a
        // wide character pushed into the last column (insert and delete can do both): a
        // terminal shows a blank there, and writing the character would wrap it.
        out += ' ';
        ++at;
        continue;
      }
      for (char32_t ch : c.chars) {
        if (ch == 0) break;
        append_code_point(out, ch);  // a recording is untrusted: no control passes
      }
      // A wide character covers the next cell, even when insert or delete left something
      // else there (the terminal model keeps it; a terminal cannot be made to).
      at = col + (c.width == 2 ? 2 : 1);
    }
    // A soft-wrapped row goes on by the autowrap of its last column, when the next row has
    // something to write; a row that ended goes on by a line break (never from the last row:
    // that would scroll).
    if (row < last && !(t.row_continues(b, row) && width == t.cols() && drawn_width(t, b, row + 1) > 0))
      out += "\r\n";
  }
}

void append_cup(std::string& out, int row, int col) {
  out += "\x1b[";
  append_uint(out, static_cast<unsigned>(row + 1));
  out += ';';
  append_uint(out, static_cast<unsigned>(col + 1));
  out += 'H';
}

}  // namespace

CellColour cell_colour(const Color& c) {
  CellColour out;
  out.kind = static_cast<CellColour::Kind>(c.kind);
  out.index = c.index;
  out.r = c.r;
  out.g = c.g;
  out.b = c.b;
  return out;
}

CellStyle cell_style(const Pen& p) {
  CellStyle st;
  st.fg = cell_colour(p.fg);
  st.bg = cell_colour(p.bg);
  st.bold = p.bold;
  st.italic = p.italic;
  st.blink = p.blink;
  st.reverse = p.reverse;
  st.conceal = p.conceal;
  st.strike = p.strike;
  st.underline = p.underline;
  st.font = p.font;
  return st;
}

std::string redraw_screen(const Terminal& t) {
  std::string out = "\x1b[0m\x1b[H\x1b[2J";
  if (!t.title().empty()) {
    // The title came from the recording: no control may end the OSC early or start another.
    out += "\x1b]2;";
    append_safe_text(out, t.title());
    out += '\a';
  }
  Pen pen;
  append_rows(out, t, Buffer::primary, pen);
  if (t.alt_screen()) {
    // The primary screen stays under the alternate one, as it did; the cursor a program
    // saved on switching is not known, so it is left below the primary screen's last line.
    int last = t.rows() - 1;
    while (last >= 0 && drawn_width(t, Buffer::primary, last) == 0) --last;
    if (!(pen == Pen{})) out += "\x1b[0m";
    pen = Pen{};
    if (last >= 0 && last + 1 < t.rows()) out += "\r\n";  // read as a line break by `strip`
    else append_cup(out, std::min(last + 1, t.rows() - 1), 0);
    out += "\x1b[?1049h\x1b[H\x1b[2J";
    append_rows(out, t, Buffer::alternate, pen);
  }
  if (!(pen == Pen{})) out += "\x1b[0m";
  const Cursor cur = t.cursor();
  append_cup(out, cur.row, cur.col);
  if (!cur.visible) out += "\x1b[?25l";
  return out;
}

}  // namespace tap::term
