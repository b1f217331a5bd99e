// One encoder of terminal cells for every renderer: a cell's style as an SGR sequence or as
// JSON fields, and its text as safe UTF-8. tapplay's renderers (tap::replay, over tap::term
// cells) and `tap` (tap::live, over the screens the term worker sends) both use it, so a
// style reads the same everywhere; it needs no terminal model, so `tap` stays without libvterm.
//
// A recording is untrusted input: text leaves here with control characters, surrogates and
// non-characters replaced by U+FFFD, so a rendered cell cannot act on the reader's terminal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tap {

struct CellColour {
  enum class Kind : uint8_t { default_colour = 0, indexed = 1, rgb = 2 };
  Kind kind = Kind::default_colour;
  uint8_t index = 0;       // indexed: 0-255 (0-7 ANSI, 8-15 bright, 16-255 xterm's palette)
  uint8_t r = 0, g = 0, b = 0;  // rgb

  bool operator==(const CellColour&) const = default;
};

// Everything SGR can say about a cell.
struct CellStyle {
  CellColour fg, bg;
  bool bold = false, italic = false, blink = false, reverse = false, conceal = false,
       strike = false;
  uint8_t underline = 0;  // 0 none, 1 single, 2 double, 3 curly
  uint8_t font = 0;       // SGR 10..19: 0 the primary font, 1..9 an alternative one

  bool operator==(const CellStyle&) const = default;
  bool plain() const { return *this == CellStyle{}; }
};

// The SGR sequence that sets exactly `style` from any state: "\e[0" (reset), then bold 1,
// italic 3, underline 4 / 21 / 4:3, blink 5, reverse 7, conceal 8, strike 9, font 11-19,
// foreground and background (30-37, 90-97, 38;5;N, 38;2;R;G;B and the 40s), then 'm'.
// Default colours add nothing (the reset sets them).
void append_sgr(std::string& out, const CellStyle& style);
std::string sgr(const CellStyle& style);

// A colour as a JSON value: its palette index (a number) or "#rrggbb"; `null` for the default.
void append_json_colour(std::string& out, const CellColour& colour);
// A style's attributes as JSON object members, each preceded by a comma, only those set, in
// this order: "bold", "italic", "underline" (1-3), "blink", "reverse", "conceal", "strike",
// "font" (1-9) — true for the flags. Colours are the caller's (their keys differ by format).
void append_json_attributes(std::string& out, const CellStyle& style);

// The code point a renderer may emit for `c`: C0 and C1 controls, DEL, surrogates, U+FFFE,
// U+FFFF and values past U+10FFFF become U+FFFD.
char32_t safe_code_point(char32_t c);
// Appends safe_code_point(c) as UTF-8.
void append_code_point(std::string& out, char32_t c);
// Appends UTF-8 text (a cell's or a span's) with C0 controls, DEL and C1 controls (U+0080-
// U+009F) replaced by U+FFFD; everything else passes as it is.
void append_safe_text(std::string& out, std::string_view utf8);

}  // namespace tap
