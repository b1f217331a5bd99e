// tap::term::Terminal — the terminal model every tap component renders with (docs/term.md).
//
// Built on libvterm's VTermState (parser + state machine) with a screen of our own: VTermScreen
// moves every row per scrolled line, ours scrolls in O(1). It keeps both buffers (primary and
// alternate), the pen, modes and everything else needed to save the whole state in a keyframe
// and continue exactly from it. Input of any size is fed in pieces of at most 64 KiB (libvterm
// 0.1.4 keeps a VLA of the input size on its stack).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tap/support/result.hpp"

namespace tap::term {

struct Color {
  enum class Kind : uint8_t { default_color = 0, indexed = 1, rgb = 2 };
  Kind kind = Kind::default_color;
  uint8_t index = 0;  // 0..255 when indexed (0..15: the ANSI palette)
  uint8_t r = 0, g = 0, b = 0;

  bool operator==(const Color&) const = default;
};

struct Pen {
  Color fg, bg;
  bool bold = false, italic = false, blink = false, reverse = false, conceal = false,
       strike = false;
  uint8_t underline = 0;  // 0 none, 1 single, 2 double, 3 curly
  uint8_t font = 0;       // SGR 10..19 alternative font

  bool operator==(const Pen&) const = default;
};

// One screen cell. A wide character occupies its cell (width 2) and the next (width 0).
struct Cell {
  static constexpr int kMaxChars = 6;     // base + combining marks, as libvterm
  std::array<char32_t, kMaxChars> chars{};  // 0-terminated; chars[0] == 0: blank
  uint8_t width = 1;
  Pen pen;

  bool operator==(const Cell&) const = default;
};

struct Cursor {
  int row = 0, col = 0;
  bool visible = true;

  bool operator==(const Cursor&) const = default;
};

enum class Buffer : uint8_t { primary = 0, alternate = 1 };

// Receives rendered lines as they leave the screen (tapgrep, text export). Row content is
// passed as UTF-8 with trailing blanks trimmed; `row` is the screen row it occupied.
class LineSink {
 public:
  virtual ~LineSink() = default;
  // A row scrolled out of the screen or of a scroll region (top line lost). `pad` is the number
  // of blank cells after the text up to the right edge (a row that continues on the next keeps
  // them as part of its line). `text` is valid only during the call.
  virtual void scrolled_out(Buffer buffer, int row, std::string_view text, int pad) = 0;
};

class Terminal {
 public:
  // A terminal of cols × rows (each 1..4096; larger or smaller is clamped).
  Terminal(int cols, int rows);
  ~Terminal();
  Terminal(Terminal&&) noexcept;
  Terminal& operator=(Terminal&&) noexcept;

  // Applies output bytes (any size, any content; never crashes).
  void feed(std::string_view bytes);
  // The pty was resized (TIOCSWINSZ).
  void resize(int cols, int rows);

  int cols() const;
  int rows() const;
  Cursor cursor() const;
  bool alt_screen() const;           // the alternate buffer is the one shown
  const std::string& title() const;  // OSC 0/2
  // A cell of the shown buffer, or of a given one.
  const Cell& cell(int row, int col) const;
  const Cell& cell(Buffer buffer, int row, int col) const;
  // A row of the shown buffer as UTF-8, trailing blanks trimmed.
  std::string row_text(int row) const;
  std::string row_text(Buffer buffer, int row) const;
  // The same into `out`, reusing its capacity (callers that read rows per event).
  void row_text(Buffer buffer, int row, std::string& out) const;

  // The blank cells at the end of a row (trimmed off its text): a row that continues on the
  // next keeps them as part of its line.
  int trailing_blanks(Buffer buffer, int row) const;

  // True when the row's text continues on row + 1: its last glyph was followed by an autowrap
  // onto the next row (a soft wrap, to be joined into one logical line). Follows the rows
  // through scrolling; cleared when row + 1 is erased or written from column 0 other than by
  // the wrap, and for every row when the width changes. False for the last row and outside.
  bool row_continues(Buffer buffer, int row) const;

  // Total lines scrolled off the top of any buffer since creation (keyframe rule input).
  uint64_t scrolled_lines() const;
  // Lines scrolled off the top of a buffer's whole screen (a scroll of the full width and
  // height; not of a smaller region) since creation or restore: rows that all moved up alike.
  uint64_t screen_scrolls(Buffer buffer) const;
  // Bumped for a row whenever its cells change; lets callers find rows that changed.
  uint64_t row_generation(Buffer buffer, int row) const;
  // Every row's generation, and whether it continues on the next (row_continues), from the top
  // (callers that look at every row after each event).
  void row_generations(Buffer buffer, std::vector<uint64_t>& out) const;
  void row_continuations(Buffer buffer, std::vector<char>& out) const;

  void set_line_sink(LineSink* sink);  // not owned; nullptr to stop

  // The whole state (both buffers, cursor, pen, modes, scroll region, charsets, saved
  // cursors, tab stops, title, pending wrap, parser state) as bytes: ≤ 64 KiB at 120×40.
  std::string save() const;
  // A terminal equal to the one that was saved; corrupt input is an error, never a crash.
  static Result<Terminal> restore(std::string_view state);

  // True when the state is fully captured by save() (the parser is between sequences).
  bool keyframe_safe() const;

  // Compares every visible and hidden part of the state (tests of the keyframe property).
  bool same_state(const Terminal& other, std::string* why = nullptr) const;

  struct Impl;  // the implementation (src/terminal_impl.hpp); not part of the API

 private:
  std::unique_ptr<Impl> impl_;
  explicit Terminal(std::unique_ptr<Impl> impl);
};

}  // namespace tap::term
