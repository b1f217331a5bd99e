// Terminal::Impl, shared by terminal.cpp (feeding, callbacks) and state_codec.cpp (keyframes).
#pragma once

#include <vterm.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "screen.hpp"
#include "shadow.hpp"
#include "tap/support/c_deleter.hpp"
#include "tap/term/terminal.hpp"

namespace tap::term {

// The glyph libvterm would attach a following combining mark to (it keeps it privately).
struct LastGlyph {
  bool valid = false;
  int row = 0, col = 0, width = 1;
  std::array<char32_t, Cell::kMaxChars> chars{};

  bool operator==(const LastGlyph&) const = default;
};

struct Props {
  bool visible = true, blink = true, reverse = false;
  int shape = 1, mouse = 0;
  bool operator==(const Props&) const = default;
};

struct Terminal::Impl final : detail::ShadowHost {
  Impl(int cols, int rows);

  // ShadowHost
  void sync(size_t end) override;
  void skip(size_t end) override {
    if (end > pending_) pending_ = end;
  }
  void cancel() override { vterm_input_write(vt_.get(), "\x18", 1); }
  void cursor(int& row, int& col) override;
  void capture_saved(detail::SavedCursor& saved) override;
  int cols() const override { return cols_; }
  int rows() const override { return rows_; }
  void text(size_t from, size_t to) override;
  bool can_repeat() const override { return glyph_.valid && glyph_.width > 0; }
  size_t fed() const override { return pending_; }
  void confine_cursor() override;
  void alignment(size_t end) override;
  void repeat(size_t end) override;

  void feed_piece(const char* p, size_t n);
  void do_resize(int cols, int rows);
  detail::Screen& shown() { return screens_[alt_ ? 1 : 0]; }
  const detail::Screen& screen(Buffer b) const { return screens_[static_cast<int>(b)]; }
  Cell erase_blank() const;

  // libvterm state callbacks
  static int on_putglyph(VTermGlyphInfo* info, VTermPos pos, void* user);
  static int on_movecursor(VTermPos pos, VTermPos oldpos, int visible, void* user);
  static int on_scrollrect(VTermRect rect, int downward, int rightward, void* user);
  static int on_moverect(VTermRect dest, VTermRect src, void* user);
  static int on_erase(VTermRect rect, int selective, void* user);
  static int on_initpen(void* user);
  static int on_setpenattr(VTermAttr attr, VTermValue* val, void* user);
  static int on_settermprop(VTermProp prop, VTermValue* val, void* user);
  static int on_resize(int rows, int cols, VTermPos* delta, void* user);
  static int on_setlineinfo(int row, const VTermLineInfo* newinfo, const VTermLineInfo* oldinfo,
                            void* user);
  void move_cells(VTermRect dest, VTermRect src);
  void put_ascii(detail::Row& row, int col, const char* s, int n);
  bool no_line_attrs();
  bool any_line_attrs() const;
  void erase_rect(VTermRect rect);

  CPtr<VTerm, &vterm_free> vt_;
  VTermState* state_ = nullptr;
  int cols_, rows_;
  std::array<detail::Screen, 2> screens_;
  bool alt_ = false;
  Pen pen_;
  Props props_;
  std::string title_, icon_;
  uint64_t scrolled_ = 0;
  // Lines scrolled off the top of the whole screen, per buffer (not of a smaller region).
  std::array<uint64_t, 2> screen_scrolls_{};
  uint64_t gen_ = 0;
  LineSink* sink_ = nullptr;
  bool restoring_ = false;  // callbacks do not touch the screens while a keyframe is restored
  LastGlyph glyph_;
  bool glyph_left_ = true;  // the cursor moved off the last glyph since it was printed
  // Autowrap tracking for Row::wrapped: the row the last glyph is on now (following scrolls),
  // and whether the cursor still sits right after it (a wide glyph that does not fit there
  // wraps early, without a pending wrap).
  int wrap_row_ = -2;
  bool at_run_end_ = false;
  // The cursor is where a wide glyph would wrap early: restore() cannot put that back.
  bool early_wrap_possible() const;
  int glyph_edge() const;
  // The cursor may sit in libvterm's pending-wrap state (it does not say): the last glyph
  // reached the right edge and the cursor has not left it since.
  bool phantom() const;
  // A DECDWL/DECDHL line may be on a screen: plain text then goes through libvterm, which
  // moves line attributes on scrolls we would not tell it about.
  bool line_attrs_ = false;
  // libvterm 0.1.4 keeps one table of line attributes for both buffers, and a resize keeps it
  // by row number while rows leave our screens through the top: it may hold an attribute no
  // row of ours shows. Set when it reports one; cleared once its table has none.
  mutable bool vterm_line_attrs_ = false;
  // A REP was the last to put glyphs: libvterm's combining base is still the glyph it repeated,
  // ours the last repeated cell (until the next glyph of text puts both in the same place).
  bool repeated_ = false;
  // A resize made rows leave through the top while a last glyph was kept: libvterm moves its
  // cursor up with them but keeps its combining base by row number, so the base is no longer
  // the glyph glyph_ follows (and may lie below the screen). Cleared by the next glyph.
  bool base_left_behind_ = false;
  bool vterm_line_attrs() const;
  detail::Shadow shadow_;
  std::vector<Cell> tmp_;   // scratch row for moves, kept to avoid per-event allocation
  std::string line_;        // scratch text of a row handed to the line sink
  std::vector<char> pend_buf_;  // text() scratch: the bytes of rows not yet in cells

  // Piece being fed: bytes [pending_, piece_end_) of piece_ are not yet given to libvterm.
  const char* piece_ = nullptr;
  size_t pending_ = 0;
  size_t piece_len_ = 0;
};

}  // namespace tap::term
