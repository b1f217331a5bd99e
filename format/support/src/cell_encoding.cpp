#include "tap/support/cell_encoding.hpp"

#include <charconv>

namespace tap {

namespace {

void append_uint(std::string& out, unsigned v) {
  char buf[12];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_sgr_colour(std::string& out, const CellColour& c, bool background) {
  switch (c.kind) {
    case CellColour::Kind::default_colour:
      return;
    case CellColour::Kind::indexed:
      out += ';';
      if (c.index < 8) {
        append_uint(out, (background ? 40u : 30u) + c.index);
      } else if (c.index < 16) {
        append_uint(out, (background ? 100u : 90u) + (c.index - 8u));
      } else {
        out += background ? "48;5;" : "38;5;";
        append_uint(out, c.index);
      }
      return;
    case CellColour::Kind::rgb:
      out += background ? ";48;2;" : ";38;2;";
      append_uint(out, c.r);
      out += ';';
      append_uint(out, c.g);
      out += ';';
      append_uint(out, c.b);
      return;
  }
}

// libvterm 0.1.4 (CSI_ARGS_MAX) and other emulators drop a whole CSI with more than 16
// parameters and sub-parameters; every attribute with two RGB colours comes to 20.
constexpr size_t kMaxCsiArgs = 16;

}  // namespace

void append_sgr(std::string& out, const CellStyle& st) {
  const size_t at = out.size();
  out += "\x1b[0";
  if (st.bold) out += ";1";
  if (st.italic) out += ";3";
  if (st.underline == 1) out += ";4";
  if (st.underline == 2) out += ";21";
  if (st.underline == 3) out += ";4:3";
  if (st.blink) out += ";5";
  if (st.reverse) out += ";7";
  if (st.conceal) out += ";8";
  if (st.strike) out += ";9";
  if (st.font > 0 && st.font < 10) {
    out += ';';
    append_uint(out, 10u + st.font);
  }
  append_sgr_colour(out, st.fg, false);
  const size_t bg_at = out.size();
  append_sgr_colour(out, st.bg, true);
  size_t args = 1;
  for (size_t i = at + 2; i < out.size(); ++i) args += out[i] == ';' || out[i] == ':';
  if (args > kMaxCsiArgs) {
    // The background goes in a sequence of its own (at most 15 before it: every attribute
    // and an RGB foreground); bg_at is the ';' that starts it.
    out.insert(bg_at, "m\x1b[");
    out.erase(bg_at + 3, 1);
  }
  out += 'm';
}

std::string sgr(const CellStyle& style) {
  std::string out;
  append_sgr(out, style);
  return out;
}

void append_json_colour(std::string& out, const CellColour& c) {
  switch (c.kind) {
    case CellColour::Kind::default_colour:
      out += "null";
      return;
    case CellColour::Kind::indexed:
      append_uint(out, c.index);
      return;
    case CellColour::Kind::rgb: {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\"#";
      for (uint8_t v : {c.r, c.g, c.b}) {
        out += kHex[v >> 4];
        out += kHex[v & 15];
      }
      out += '"';
      return;
    }
  }
}

void append_json_attributes(std::string& out, const CellStyle& st) {
  if (st.bold) out += ",\"bold\":true";
  if (st.italic) out += ",\"italic\":true";
  if (st.underline != 0) {
    out += ",\"underline\":";
    append_uint(out, st.underline);
  }
  if (st.blink) out += ",\"blink\":true";
  if (st.reverse) out += ",\"reverse\":true";
  if (st.conceal) out += ",\"conceal\":true";
  if (st.strike) out += ",\"strike\":true";
  if (st.font != 0) {
    out += ",\"font\":";
    append_uint(out, st.font);
  }
}

char32_t safe_code_point(char32_t c) {
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 0xfffd;
  if (c >= 0xd800 && c <= 0xdfff) return 0xfffd;
  if (c == 0xfffe || c == 0xffff || c > 0x10ffff) return 0xfffd;
  return c;
}

void append_code_point(std::string& out, char32_t c) {
  c = safe_code_point(c);
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

void append_safe_text(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\xef\xbf\xbd";
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += "\xef\xbf\xbd";  // a C1 control (U+0080..U+009F)
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace tap
