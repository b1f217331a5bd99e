// One buffer of the terminal (primary or alternate): a ring of rows, so a full-screen scroll
// moves no cells (VTermScreen moves every row per scrolled line), and rows whose tail is blank
// store only their used prefix, so a new or erased line costs O(1), not O(cols).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tap/term/terminal.hpp"

namespace tap::term::detail {

struct Row {
  std::vector<Cell> cells;  // cols entries; only [0, len) are meaningful
  Cell blank;               // what every cell from len on reads as (an erase's pen)
  int len = 0;
  uint64_t gen = 0;
  uint8_t line_info = 0;    // bit 0: DECDWL/DECDHL line; bits 1-2: DECDHL half (1 top, 2 bottom)
  // The row began by an autowrap from the row above (its text continues that row's). Kept on
  // the continuation row, as libvterm's later VTermLineInfo.continuation: it moves with the
  // row's content, not with the row's position as line_info does in 0.1.4.
  bool wrapped = false;
  // While plain text is applied (Terminal::Impl::text): the row was blank and has received only
  // text from column 0 on, kept as bytes in a scratch line `pend` (-1: none) of `pend_len`
  // bytes rather than in cells; a row that scrolls out like that never touches its cells.
  int pend = -1;
  int pend_len = 0;
  // The row's text as bytes, kept by the plain-text path: while `ascii_gen == gen`, cell c
  // (c < ascii.size()) holds the one printable ASCII byte ascii[c] and every cell from
  // ascii.size() on is blank. Any other change to the row bumps `gen`, which retires it.
  std::string ascii;
  uint64_t ascii_gen = ~uint64_t{0};

  const Cell& at(int col) const { return col < len ? cells[col] : blank; }
  // Makes cells [len, upto) real copies of `blank` so they can be written.
  void materialize(int upto) {
    for (int c = len; c < upto; ++c) cells[c] = blank;
    if (upto > len) len = upto;
  }
};

class Screen {
 public:
  void init(int cols, int rows, uint64_t gen);
  int rows() const { return static_cast<int>(rows_.size()); }
  int cols() const { return cols_; }

  Row& row(int r) { return rows_[slot(r)]; }
  const Row& row(int r) const { return rows_[slot(r)]; }

  // Content of rows [top, bottom) moves up by n (n > 0; the top n rows are dropped) or down by
  // -n; the vacated rows become blank with `blank`. Rows keep their identity (and gen).
  void scroll_rows(int top, int bottom, int n, const Cell& blank, uint64_t& gen);
  // scroll_rows(0, rows(), 1, a blank with background `bg`), without the general bookkeeping.
  void scroll_up_one(const Color& bg, uint64_t& gen) {
    const int last = rows() - 1;
    const uint8_t li = row(last).line_info;  // libvterm leaves the vacated row's attribute
    Row& r = row(0);
    r.len = 0;
    r.wrapped = false;
    Pen pen;
    pen.bg = bg;
    if (!(r.blank.pen == pen) || r.blank.chars[0] != 0 || r.blank.width != 1) {
      static const Cell kBlank{};  // usually the row's blank is already this one
      r.blank = kBlank;
      r.blank.pen.bg = bg;
    }
    r.gen = ++gen;
    r.ascii.clear();  // blank: its (empty) text is known
    r.ascii_gen = r.gen;
    base_ = slot(1);
    row(last).line_info = li;
  }
  // Resizes, keeping content anchored top-left; `drop_top` rows are removed from the top first.
  void resize(int cols, int rows, int drop_top, uint64_t& gen);
  void clear(const Cell& blank, uint64_t& gen);

  // UTF-8 text of a row, trailing blanks trimmed.
  std::string text(int r) const;
  // The same into `out` (its capacity reused); returns the number of blank cells after the
  // text up to the right edge.
  int text_into(int r, std::string& out) const;
  // The same without a copy when the row's bytes are kept (Row::ascii); else in `scratch`.
  // Valid until the row or `scratch` changes.
  std::string_view text_view(int r, std::string& scratch, int& pad) const;
  // The blank cells at the end of a row (what text() trims), as text_into() counts them.
  int trailing_blanks(int r) const;

 private:
  int slot(int r) const {
    int i = base_ + r;
    return i >= static_cast<int>(rows_.size()) ? i - static_cast<int>(rows_.size()) : i;
  }
  void reset_row(Row& row, const Cell& blank, uint64_t& gen);

  std::vector<Row> rows_;
  int base_ = 0;  // ring position of screen row 0
  int cols_ = 0;
  std::vector<uint8_t> vacated_li_;  // scratch for scroll_rows
};

void append_utf8(std::string& out, char32_t cp);

}  // namespace tap::term::detail
