#include "tap/replay/render.hpp"

#include <cstdio>
#include <vector>

#include "tap/support/cell_encoding.hpp"
#include "tap/support/text.hpp"
#include "tap/support/time_spec.hpp"
#include "tap/term/redraw.hpp"

namespace tap::replay {
namespace {

using term::Cell;
using term::Color;
using term::Pen;
using term::Terminal;
using term::cell_style;

// The theme of HTML and SVG output: xterm's defaults on a black background.
constexpr uint32_t kDefaultFg = 0xe5e5e5;
constexpr uint32_t kDefaultBg = 0x000000;
constexpr int kCellW = 9;   // SVG units per column
constexpr int kCellH = 18;  // SVG units per row
constexpr int kFontSize = 15;
constexpr int kBaseline = 14;

constexpr uint32_t kAnsi16[16] = {0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
                                  0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
                                  0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff};

// The text of one cell as UTF-8: base character and combining marks; a blank is a space.
void append_cell_text(std::string& out, const Cell& cell) {
  if (cell.chars[0] == 0) {
    out += ' ';
    return;
  }
  for (char32_t c : cell.chars) {
    if (c == 0) break;
    append_code_point(out, c);  // controls, surrogates, non-characters: U+FFFD
  }
}

bool is_blank(const Cell& cell) { return cell.chars[0] == 0 || cell.chars[0] == U' '; }

// A blank that shows nothing: no background, no reverse video, no line through or under it.
bool is_invisible_blank(const Cell& cell) {
  const Pen& p = cell.pen;
  return is_blank(cell) && p.bg.kind == Color::Kind::default_color && !p.reverse &&
         p.underline == 0 && !p.strike;
}

// Columns [0, end) of `row` hold everything visible; later cells are invisible blanks.
int visible_end(const Terminal& t, int row) {
  int end = t.cols();
  while (end > 0) {
    const Cell& c = t.cell(row, end - 1);
    if (c.width == 0 && end >= 2) {
      // The right half of a wide character: the character decides.
      if (!is_invisible_blank(t.cell(row, end - 2))) break;
    } else if (!is_invisible_blank(c)) {
      break;
    }
    --end;
  }
  return end;
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out.append(buf, static_cast<size_t>(n));
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  out.append(buf, static_cast<size_t>(n));
}

void append_hex_rgb(std::string& out, uint32_t rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%06x", rgb & 0xffffffu);
  out += buf;
}

// One row with SGR changes, up to its last visible cell.
void append_ansi_row(std::string& out, const Terminal& t, int row) {
  const int end = visible_end(t, row);
  Pen current;
  for (int col = 0; col < end; ++col) {
    const Cell& cell = t.cell(row, col);
    if (cell.width == 0) continue;
    if (!(cell.pen == current)) {
      append_sgr(out, cell_style(cell.pen));  // from any state: it starts with a reset
      current = cell.pen;
    }
    append_cell_text(out, cell);
  }
  if (!(current == Pen{})) out += "\x1b[0m";
}

void append_xml_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

// Text from the recording (titles, file names) made safe for XML: escaped for the terminal
// first (controls and invalid UTF-8 become visible escapes), then XML-escaped.
void append_xml_text(std::string& out, std::string_view untrusted) {
  append_xml_escaped(out, escape_for_terminal(untrusted));
}

struct Colors {
  uint32_t fg, bg;
};

// What a pen shows as: reverse swaps, conceal hides the glyph in the background colour.
Colors resolve_colors(const Pen& pen) {
  Colors c{color_rgb(pen.fg, kDefaultFg), color_rgb(pen.bg, kDefaultBg)};
  if (pen.reverse) std::swap(c.fg, c.bg);
  return c;
}

void append_css_text_style(std::string& out, const Pen& pen) {
  if (pen.bold) out += "font-weight:bold;";
  if (pen.italic) out += "font-style:italic;";
  if (pen.underline != 0 || pen.strike) {
    out += "text-decoration:";
    if (pen.underline != 0) out += "underline";
    if (pen.strike) out += pen.underline != 0 ? " line-through" : "line-through";
    if (pen.underline == 2) out += " double";
    if (pen.underline == 3) out += " wavy";
    out += ';';
  }
}

std::string moment_label(const RenderContext& ctx) {
  std::string label;
  if (ctx.time_ns) label += format_offset(*ctx.time_ns);
  if (ctx.wall_ns) {
    if (!label.empty()) label += " (";
    label += format_wall_time(*ctx.wall_ns, ctx.utc_offset_s);
    if (ctx.time_ns) label += ")";
  }
  return label;
}

std::string document_title(const RenderContext& ctx) {
  std::string title = ctx.source.empty() ? std::string("terminal") : ctx.source;
  std::string moment = moment_label(ctx);
  if (!moment.empty()) title += " @ " + moment;
  return title;
}

void append_json_string(std::string& out, std::string_view bytes) {
  out += '"';
  append_json_string_body(out, bytes);
  out += '"';
}

void append_json_color(std::string& out, const char* key, const CellColour& c) {
  if (c.kind == CellColour::Kind::default_colour) return;
  out += ",\"";
  out += key;
  out += "\":";
  append_json_colour(out, c);
}

void append_json_writer(std::string& out, const std::optional<format::WriterChange>& w) {
  if (!w) {
    out += "null";
    return;
  }
  out += "{\"pid\":";
  append_uint(out, w->pid);
  out += ",\"uid\":";
  append_uint(out, w->uid);
  out += ",\"euid\":";
  append_uint(out, w->euid);
  out += ",\"loginuid\":";
  if (w->loginuid == format::WriterChange::kNoLoginUid) {
    out += "null";
  } else {
    append_uint(out, w->loginuid);
  }
  out += ",\"comm\":";
  append_json_string(out, w->comm);
  out += '}';
}

void append_json_opener(std::string& out, const std::optional<format::Opener>& o) {
  if (!o) {
    out += "null";
    return;
  }
  out += "{\"uid\":";
  append_uint(out, o->uid);
  out += ",\"pid\":";
  append_uint(out, o->pid);
  out += ",\"user\":";
  append_json_string(out, o->user);
  out += ",\"source\":";
  append_json_string(out, format::opener_source_name(o->source));
  out += '}';
}

}  // namespace

Result<RenderFormat> parse_render_format(std::string_view name) {
  if (name == "text") return RenderFormat::text;
  if (name == "ansi") return RenderFormat::ansi;
  if (name == "html") return RenderFormat::html;
  if (name == "svg") return RenderFormat::svg;
  if (name == "json") return RenderFormat::json;
  return fail(ErrorKind::invalid_argument,
              "unknown format '" + escape_for_terminal(name) + "' (text, ansi, html, svg, json)");
}

std::string_view render_format_name(RenderFormat format) {
  switch (format) {
    case RenderFormat::text: return "text";
    case RenderFormat::ansi: return "ansi";
    case RenderFormat::html: return "html";
    case RenderFormat::svg: return "svg";
    case RenderFormat::json: return "json";
  }
  return "text";
}

uint32_t color_rgb(const term::Color& color, uint32_t default_rgb) {
  switch (color.kind) {
    case Color::Kind::default_color:
      return default_rgb;
    case Color::Kind::rgb:
      return (uint32_t{color.r} << 16) | (uint32_t{color.g} << 8) | color.b;
    case Color::Kind::indexed:
      break;
  }
  const unsigned i = color.index;
  if (i < 16) return kAnsi16[i];
  if (i < 232) {
    // The 6×6×6 cube: levels 0, 95, 135, 175, 215, 255.
    const unsigned n = i - 16;
    auto level = [](unsigned v) -> uint32_t { return v == 0 ? 0 : 55 + 40 * v; };
    return (level(n / 36) << 16) | (level((n / 6) % 6) << 8) | level(n % 6);
  }
  const uint32_t gray = 8 + 10 * (i - 232);
  return (gray << 16) | (gray << 8) | gray;
}

std::string render_text(const Terminal& t) {
  std::string out;
  out.reserve(static_cast<size_t>(t.rows()) * (t.cols() + 1));
  for (int row = 0; row < t.rows(); ++row) {
    std::string line;
    for (int col = 0; col < t.cols(); ++col) {
      const Cell& cell = t.cell(row, col);
      if (cell.width == 0) continue;
      append_cell_text(line, cell);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

std::string render_ansi(const Terminal& t) {
  std::string out;
  for (int row = 0; row < t.rows(); ++row) {
    append_ansi_row(out, t, row);
    out += '\n';
  }
  return out;
}

std::string render_ansi_repaint(const Terminal& t) {
  // Back on the primary buffer first (a repaint may come while an earlier moment showed the
  // alternate one), with the scroll region and charsets the redraw relies on; then the screen
  // as tapconv's time windows start (both buffers when the alternate one is shown, so the
  // recording's own later switch back finds the primary screen right).
  std::string out = "\x1b[?1049l\x1b[r\x1b(B\x1b)0\x0f";
  out += term::redraw_screen(t);
  return out;
}

std::string render_html(const Terminal& t, const RenderContext& ctx) {
  std::string out;
  out += "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>";
  append_xml_text(out, document_title(ctx));
  out += "</title>\n<style>\n";
  out += ".tap{display:inline-block;margin:0;padding:4px;font-family:\"DejaVu Sans Mono\","
         "\"Liberation Mono\",monospace;font-size:15px;line-height:18px;color:";
  append_hex_rgb(out, kDefaultFg);
  out += ";background:";
  append_hex_rgb(out, kDefaultBg);
  out += ";}\n.tap .w{display:inline-block;width:2ch;}\n"
         ".tap .cursor{outline:1px solid #e5e5e5;outline-offset:-1px;}\n"
         ".tap .blink{text-decoration-line:blink;}\n</style>\n</head>\n<body>\n<pre class=\"tap\">";
  const term::Cursor cur = t.cursor();
  for (int row = 0; row < t.rows(); ++row) {
    const int end = std::max(visible_end(t, row), cur.visible && cur.row == row ? cur.col + 1 : 0);
    int col = 0;
    while (col < end) {
      const Cell& first = t.cell(row, col);
      if (first.width == 0) {
        ++col;
        continue;
      }
      // A run: cells with the same pen, none of them wide, none the cursor's.
      const bool cursor_here = cur.visible && cur.row == row && cur.col == col;
      const bool wide = first.width == 2;
      int stop = col + 1;
      if (!cursor_here && !wide) {
        while (stop < end) {
          const Cell& c = t.cell(row, stop);
          if (c.width != 1 || !(c.pen == first.pen) ||
              (cur.visible && cur.row == row && cur.col == stop)) {
            break;
          }
          ++stop;
        }
      }
      const Pen& pen = first.pen;
      const Colors colors = resolve_colors(pen);
      std::string style;
      if (colors.fg != kDefaultFg || pen.conceal) {
        style += "color:";
        append_hex_rgb(style, pen.conceal ? colors.bg : colors.fg);
        style += ';';
      }
      if (colors.bg != kDefaultBg) {
        style += "background:";
        append_hex_rgb(style, colors.bg);
        style += ';';
      }
      append_css_text_style(style, pen);
      std::string classes;
      if (wide) classes += "w";
      if (cursor_here) classes += classes.empty() ? "cursor" : " cursor";
      if (pen.blink) classes += classes.empty() ? "blink" : " blink";
      const bool span = !style.empty() || !classes.empty();
      if (span) {
        out += "<span";
        if (!classes.empty()) out += " class=\"" + classes + "\"";
        if (!style.empty()) out += " style=\"" + style + "\"";
        out += '>';
      }
      std::string text;
      for (int c = col; c < stop; ++c) append_cell_text(text, t.cell(row, c));
      append_xml_escaped(out, text);
      if (span) out += "</span>";
      col = stop;
    }
    out += '\n';
  }
  out += "</pre>\n</body>\n</html>\n";
  return out;
}

std::string render_svg(const Terminal& t, const RenderContext& ctx) {
  const int width = t.cols() * kCellW;
  const int height = t.rows() * kCellH;
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"";
  append_int(out, width);
  out += "\" height=\"";
  append_int(out, height);
  out += "\" viewBox=\"0 0 ";
  append_int(out, width);
  out += ' ';
  append_int(out, height);
  out += "\" font-family=\"DejaVu Sans Mono, Liberation Mono, monospace\" font-size=\"";
  append_int(out, kFontSize);
  out += "\" xml:space=\"preserve\">\n<title>";
  append_xml_text(out, document_title(ctx));
  out += "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"";
  append_hex_rgb(out, kDefaultBg);
  out += "\"/>\n";

  // Backgrounds first, as runs of cells with the same colour, so glyphs draw over them.
  for (int row = 0; row < t.rows(); ++row) {
    int col = 0;
    while (col < t.cols()) {
      const uint32_t bg = resolve_colors(t.cell(row, col).pen).bg;
      int stop = col + 1;
      while (stop < t.cols() && resolve_colors(t.cell(row, stop).pen).bg == bg) ++stop;
      if (bg != kDefaultBg) {
        out += "<rect x=\"";
        append_int(out, col * kCellW);
        out += "\" y=\"";
        append_int(out, row * kCellH);
        out += "\" width=\"";
        append_int(out, (stop - col) * kCellW);
        out += "\" height=\"";
        append_int(out, kCellH);
        out += "\" fill=\"";
        append_hex_rgb(out, bg);
        out += "\"/>\n";
      }
      col = stop;
    }
  }
  // Glyphs: one <text> per run of equal pens, each glyph at its own cell through the x list,
  // so wide characters and fonts of any width stay on the grid.
  for (int row = 0; row < t.rows(); ++row) {
    const int end = visible_end(t, row);
    int col = 0;
    while (col < end) {
      const Cell& first = t.cell(row, col);
      if (first.width == 0 || is_blank(first)) {
        ++col;
        continue;
      }
      // SVG gives each character of a <text> the next x of the list, so a cell whose text is
      // more than one BMP character (combining marks, astral planes) gets a <text> of its own.
      auto simple = [](const Cell& c) { return c.chars[1] == 0 && c.chars[0] < 0x10000; };
      std::string xs;
      std::string text;
      int stop = col;
      while (stop < end) {
        const Cell& c = t.cell(row, stop);
        if (!(c.pen == first.pen)) break;
        if (stop > col && !simple(c)) break;
        if (c.width != 0 && !is_blank(c)) {
          if (!xs.empty()) xs += ' ';
          append_int(xs, stop * kCellW);
          std::string cell_text;
          append_cell_text(cell_text, c);
          append_xml_escaped(text, cell_text);
        }
        ++stop;
        if (!simple(c)) break;
      }
      const Pen& pen = first.pen;
      const Colors colors = resolve_colors(pen);
      out += "<text x=\"";
      out += xs;
      out += "\" y=\"";
      append_int(out, row * kCellH + kBaseline);
      out += "\" fill=\"";
      append_hex_rgb(out, pen.conceal ? colors.bg : colors.fg);
      out += '"';
      if (pen.bold) out += " font-weight=\"bold\"";
      if (pen.italic) out += " font-style=\"italic\"";
      if (pen.underline != 0 || pen.strike) {
        out += " text-decoration=\"";
        if (pen.underline != 0) out += "underline";
        if (pen.strike) out += pen.underline != 0 ? " line-through" : "line-through";
        out += '"';
      }
      out += '>';
      out += text;
      out += "</text>\n";
      col = stop;
    }
  }
  const term::Cursor cur = t.cursor();
  if (cur.visible && cur.row >= 0 && cur.row < t.rows() && cur.col >= 0 && cur.col < t.cols()) {
    out += "<rect x=\"";
    append_int(out, cur.col * kCellW);
    out += "\" y=\"";
    append_int(out, cur.row * kCellH);
    out += "\" width=\"";
    append_int(out, kCellW * (t.cell(cur.row, cur.col).width == 2 ? 2 : 1));
    out += "\" height=\"";
    append_int(out, kCellH);
    out += "\" fill=\"none\" stroke=\"";
    append_hex_rgb(out, kDefaultFg);
    out += "\"/>\n";
  }
  out += "</svg>\n";
  return out;
}

std::string render_json(const Terminal& t, const RenderContext& ctx) {
  std::string out;
  out.reserve(static_cast<size_t>(t.rows()) * t.cols() * 16);
  out += "{\"version\":1,\"cols\":";
  append_int(out, t.cols());
  out += ",\"rows\":";
  append_int(out, t.rows());
  out += ",\"time\":";
  if (ctx.time_ns) {
    append_json_string(out, format_offset(*ctx.time_ns));
    out += ",\"time_ns\":";
    append_int(out, *ctx.time_ns);
  } else {
    out += "null,\"time_ns\":null";
  }
  out += ",\"wall_time\":";
  if (ctx.wall_ns) {
    append_json_string(out, format_wall_time(*ctx.wall_ns, ctx.utc_offset_s));
  } else {
    out += "null";
  }
  out += ",\"alt_screen\":";
  out += t.alt_screen() ? "true" : "false";
  const term::Cursor cur = t.cursor();
  out += ",\"cursor\":{\"row\":";
  append_int(out, cur.row);
  out += ",\"col\":";
  append_int(out, cur.col);
  out += ",\"visible\":";
  out += cur.visible ? "true" : "false";
  out += "},\"title\":";
  append_json_string(out, t.title());
  out += ",\"writer\":";
  append_json_writer(out, ctx.writer);
  out += ",\"opener\":";
  append_json_opener(out, ctx.opener);

  out += ",\"lines\":[";
  const std::string text = render_text(t);
  size_t start = 0;
  for (int row = 0; row < t.rows(); ++row) {
    const size_t nl = text.find('\n', start);
    if (row > 0) out += ',';
    append_json_string(out, std::string_view(text).substr(start, nl - start));
    start = nl + 1;
  }
  out += "],\"cells\":[";
  for (int row = 0; row < t.rows(); ++row) {
    if (row > 0) out += ",\n";
    out += '[';
    for (int col = 0; col < t.cols(); ++col) {
      const Cell& cell = t.cell(row, col);
      if (col > 0) out += ',';
      out += "{\"t\":";
      std::string cell_text;
      if (cell.width != 0) append_cell_text(cell_text, cell);
      append_json_string(out, cell_text);
      out += ",\"w\":";
      append_uint(out, cell.width);
      const CellStyle st = cell_style(cell.pen);
      append_json_color(out, "fg", st.fg);
      append_json_color(out, "bg", st.bg);
      append_json_attributes(out, st);
      out += '}';
    }
    out += ']';
  }
  out += "]}\n";
  return out;
}

std::string render(const Terminal& terminal, RenderFormat format, const RenderContext& context) {
  switch (format) {
    case RenderFormat::text: return render_text(terminal);
    case RenderFormat::ansi: return render_ansi(terminal);
    case RenderFormat::html: return render_html(terminal, context);
    case RenderFormat::svg: return render_svg(terminal, context);
    case RenderFormat::json: return render_json(terminal, context);
  }
  return render_text(terminal);
}

}  // namespace tap::replay
