#include <algorithm>
#include <cstring>
#include <utility>

#include "terminal_impl.hpp"

namespace tap::term {
namespace {

// libvterm 0.1.4 keeps a VLA of the input size on its stack (state.c on_text): feed it pieces.
constexpr size_t kMaxPiece = 64 * 1024;
constexpr int kMaxSide = 4096;

Color to_color(const VTermColor& c, bool fg) {
  if (fg ? VTERM_COLOR_IS_DEFAULT_FG(&c) : VTERM_COLOR_IS_DEFAULT_BG(&c)) return Color{};
  Color out;
  if (VTERM_COLOR_IS_INDEXED(&c)) {
    out.kind = Color::Kind::indexed;
    out.index = c.indexed.idx;
  } else {
    out.kind = Color::Kind::rgb;
    out.r = c.rgb.red;
    out.g = c.rgb.green;
    out.b = c.rgb.blue;
  }
  return out;
}

void discard_output(const char*, size_t, void*) {}

const VTermStateCallbacks kCallbacks = {
    &Terminal::Impl::on_putglyph,   &Terminal::Impl::on_movecursor,
    &Terminal::Impl::on_scrollrect, &Terminal::Impl::on_moverect,
    &Terminal::Impl::on_erase,      &Terminal::Impl::on_initpen,
    &Terminal::Impl::on_setpenattr, &Terminal::Impl::on_settermprop,
    nullptr,                        &Terminal::Impl::on_resize,
    &Terminal::Impl::on_setlineinfo,
};

const Cell kOutside{};

}  // namespace

Terminal::Impl::Impl(int cols, int rows)
    : vt_(vterm_new(rows, cols)), cols_(cols), rows_(rows) {
  vterm_set_utf8(vt_.get(), 1);
  // Answers to queries (DA, DSR) go nowhere: a recording is replayed, not talked to.
  vterm_output_set_callback(vt_.get(), &discard_output, nullptr);
  state_ = vterm_obtain_state(vt_.get());
  vterm_state_set_callbacks(state_, &kCallbacks, this);
  screens_[0].init(cols, rows, 0);
  screens_[1].init(cols, rows, 0);
  shadow_.hidden.reset(cols);
  vterm_state_reset(state_, 1);
  tmp_.reserve(cols);
}

void Terminal::Impl::sync(size_t end) {
  if (end > pending_) {
    vterm_input_write(vt_.get(), piece_ + pending_, end - pending_);
    pending_ = end;
  }
}

namespace {

// "ESC [ row ; col H" (1-based) into out; returns its length.
int put_cup(char* out, int row, int col) {
  char* p = out;
  *p++ = '\x1b';
  *p++ = '[';
  auto num = [&p](int v) {
    char digits[12];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0);
    while (n > 0) *p++ = digits[--n];
  };
  num(row + 1);
  *p++ = ';';
  num(col + 1);
  *p++ = 'H';
  return static_cast<int>(p - out);
}

}  // namespace

bool Terminal::Impl::no_line_attrs() {
  if (!line_attrs_) return true;
  for (const detail::Screen& scr : screens_)
    for (int r = 0; r < scr.rows(); ++r)
      if (scr.row(r).line_info != 0) return false;
  line_attrs_ = false;
  return true;
}

bool Terminal::Impl::any_line_attrs() const {
  if (!line_attrs_) return false;
  for (const detail::Screen& scr : screens_)
    for (int r = 0; r < scr.rows(); ++r)
      if (scr.row(r).line_info != 0) return true;
  return false;
}

// Cells [col, end) are about to be written: a wide glyph they cut in half (its left half
// before `col`, or its right half at `end`) loses its other half, which becomes a blank.
namespace {

void blank_split_halves(detail::Row& row, int col, int end) {
  auto blank = [&row](int c) {
    row.cells[c] = row.blank;
    row.cells[c].chars = {};
    row.cells[c].width = 1;
  };
  if (col < row.len && row.cells[col].width == 0 && col > 0 && row.cells[col - 1].width == 2)
    blank(col - 1);
  if (end < row.len && row.cells[end].width == 0 && row.cells[end - 1].width == 2) blank(end);
}

}  // namespace

// Writes n printable ASCII glyphs at one row from `col` (col + n <= cols_), exactly as n calls
// of on_putglyph would leave the cells.
void Terminal::Impl::put_ascii(detail::Row& row, int col, const char* s, int n) {
  const int end = col + n;
  if (col > row.len) row.materialize(col);
  blank_split_halves(row, col, end);  // only the ends of the run can split a wide glyph
  const int len_before = row.len;
  if (end > row.len) row.len = end;
  Cell* cell = row.cells.data() + col;
  const Pen pen = pen_;
  for (int i = 0; i < n; ++i, ++cell) {
    cell->chars = {static_cast<char32_t>(static_cast<unsigned char>(s[i]))};
    cell->width = 1;
    cell->pen = pen;
  }
  // Keep the row's text as bytes (Row::ascii) when it was kept before this write, or when this
  // write covers all the row held.
  const size_t at = static_cast<size_t>(col), upto = static_cast<size_t>(end);
  if (row.ascii_gen == row.gen) {
    if (row.ascii.size() < upto) row.ascii.resize(upto, ' ');  // blank cells in between read as ' '
    std::memcpy(row.ascii.data() + at, s, static_cast<size_t>(n));
    row.gen = ++gen_;
    row.ascii_gen = row.gen;
  } else if (col == 0 && n >= len_before) {
    row.ascii.assign(s, static_cast<size_t>(n));
    row.gen = ++gen_;
    row.ascii_gen = row.gen;
  } else {
    row.gen = ++gen_;
  }
}

// Plain text (printable ASCII, CR, LF) in the simple modes is applied here without libvterm,
// which spends most of its time on text (UTF-8 decoding, a width and combining lookup and a
// callback per glyph). libvterm is then told what it would know after those bytes: the cursor,
// the last glyph (kept for combining marks and REP) and a pending wrap, by printing that glyph
// again where it went and moving the cursor. Its other state (pen, modes, charsets) is not
// changed by such text. Scrolls here are full-screen only, with no line attributes anywhere,
// which is all libvterm would have tracked of them.
void Terminal::Impl::text(size_t from, size_t to) {
  const detail::Hidden& h = shadow_.hidden;
  if (restoring_ || h.decom || h.declrmm || h.irm || h.lnm || h.single_shift || h.gl != 0 ||
      h.g[0] != 'B' || h.top != 0 || h.bottom >= 0)
    return;
  // A combining mark after the run belongs to its last glyph: libvterm joins the two only
  // when they arrive in one write, so that glyph is left to it.
  if (to < piece_len_ && static_cast<unsigned char>(piece_[to]) >= 0x80) --to;
  sync(from);  // libvterm's state (line attributes, pen, cursor) up to the text
  // phantom: libvterm may wait to wrap; let it. It may also with the cursor one column short of
  // the edge right after the last glyph: a REP that ends there sets its pending wrap (0.1.4).
  // libvterm's own line table may hold a double-width line none of our rows shows (a resize).
  if (!no_line_attrs() || vterm_line_attrs() || phantom() || early_wrap_possible()) return;
  VTermPos pos;
  vterm_state_get_cursorpos(state_, &pos);
  int row = pos.row, col = pos.col;
  if (row < 0 || row >= rows_ || col < 0 || col >= cols_) return;
  detail::Screen& scr = shown();
  const Buffer buffer = alt_ ? Buffer::alternate : Buffer::primary;
  const bool awm = h.decawm;
  const int cols = cols_, last_row = rows_ - 1;
  const char* k = piece_ + from;
  const char* const e = piece_ + to;
  bool at_edge = false;  // the last glyph went into the last column under autowrap
  bool printed = false;
  int glyph_row = 0, glyph_col = 0, scrolls = 0, scrolls_after = 0;
  char glyph_ch = 0;
  // Rows that go blank by a scroll here keep their text as bytes (Row::pend) until the end of
  // the call: in a flood most of them scroll out again before it, and never touch their cells.
  const size_t line_bytes = static_cast<size_t>(cols);
  if (pend_buf_.size() < line_bytes * static_cast<size_t>(rows_))
    pend_buf_.resize(line_bytes * static_cast<size_t>(rows_));
  int pend_next = 0;  // pending rows are made and scroll out in order: slots are reused FIFO
  bool any_pend = false;
  auto pend_line = [&](const detail::Row& r) { return pend_buf_.data() + static_cast<size_t>(r.pend) * line_bytes; };
  // libvterm cancels a pending wrap only when the cursor moves: a line feed on the last row
  // (a scroll) keeps it, and the next glyph wraps after all.
  auto linefeed = [&] {
    if (row < last_row) {
      ++row;
      at_edge = false;
      return;
    }
    detail::Row& top = scr.row(0);
    if (sink_ != nullptr) {
      if (top.pend >= 0) {
        const char* p = pend_line(top);
        int n = top.pend_len;
        while (n > 0 && p[n - 1] == ' ') --n;
        sink_->scrolled_out(buffer, 0, std::string_view(p, static_cast<size_t>(n)), cols - n);
      } else {
        int pad = 0;
        const std::string_view text = scr.text_view(0, line_, pad);
        sink_->scrolled_out(buffer, 0, text, pad);
      }
    }
    ++scrolled_;
    ++screen_scrolls_[alt_ ? 1 : 0];
    scr.scroll_up_one(pen_.bg, gen_);
    detail::Row& bottom = scr.row(last_row);  // the row that was on top, now blank
    bottom.pend = pend_next;
    bottom.pend_len = 0;
    pend_next = pend_next + 1 == rows_ ? 0 : pend_next + 1;
    any_pend = true;
    ++scrolls;
    ++scrolls_after;
  };
  while (k < e) {
    const unsigned char c = static_cast<unsigned char>(*k);
    if (c >= 0x20 && c < 0x7F) {
      bool by_wrap = false;
      if (at_edge) {
        // A continuation as on_putglyph sees one: the row right below the last glyph's.
        by_wrap = scrolls_after == 0;
        linefeed();
        col = 0;
        at_edge = false;
      }
      const char* const start = k;
      const char* const stop = k + std::min<ptrdiff_t>(e - k, cols - col);
      while (k < stop && static_cast<unsigned char>(*k) >= 0x20 &&
             static_cast<unsigned char>(*k) < 0x7F)
        ++k;
      const int n = static_cast<int>(k - start);
      detail::Row& r = scr.row(row);
      if (col == 0) r.wrapped = by_wrap;
      if (r.pend >= 0 && col <= r.pend_len) {
        std::memcpy(pend_line(r) + col, start, static_cast<size_t>(n));
        r.pend_len = std::max(r.pend_len, col + n);
      } else {
        if (r.pend >= 0) {  // text after a gap: the row takes its cells now
          put_ascii(r, 0, pend_line(r), r.pend_len);
          r.pend = -1;
        }
        put_ascii(r, col, start, n);
      }
      printed = true;
      glyph_row = row;
      glyph_col = col + n - 1;
      glyph_ch = start[n - 1];
      scrolls_after = 0;
      col += n;
      if (col >= cols) {
        col = cols - 1;  // libvterm keeps the cursor on the last column
        at_edge = awm;
      }
    } else if (c == '\r') {
      if (col != 0) at_edge = false;
      col = 0;
      ++k;
    } else if (c == '\n') {
      linefeed();
      ++k;
    } else {
      break;
    }
  }
  if (any_pend) {
    // The rows still on screen take their cells: exactly what put_ascii per run would leave
    // (they were blank, written from column 0 on without gaps, all with the one pen).
    for (int i = 0; i < rows_; ++i) {
      detail::Row& r = scr.row(i);
      if (r.pend < 0) continue;
      if (r.pend_len > 0) put_ascii(r, 0, pend_line(r), r.pend_len);
      r.pend = -1;
    }
  }
  if (k == piece_ + from) return;
  char seq[64];
  int len = 0;
  if (printed) {
    len += put_cup(seq + len, glyph_row, glyph_col);  // where libvterm printed it
    seq[len++] = glyph_ch;
  }
  if (!at_edge) len += put_cup(seq + len, row, col);
  restoring_ = true;  // the callbacks follow the glyph and cursor but leave the cells alone
  vterm_input_write(vt_.get(), seq, static_cast<size_t>(len));
  restoring_ = false;
  pending_ = static_cast<size_t>(k - piece_);
  if (printed) {
    wrap_row_ = glyph_row - scrolls_after;  // the row its content is on now
    if (wrap_row_ < 0) wrap_row_ = -2;
  } else if (wrap_row_ >= 0) {
    wrap_row_ -= scrolls;
    if (wrap_row_ < 0) wrap_row_ = -2;
  }
}

void Terminal::Impl::cursor(int& row, int& col) {
  VTermPos pos;
  vterm_state_get_cursorpos(state_, &pos);
  row = pos.row;
  col = pos.col;
}

void Terminal::Impl::confine_cursor() {
  VTermPos pos;
  vterm_state_get_cursorpos(state_, &pos);
  if (pos.row < rows_ && pos.col < cols_) return;
  // A DEC mode set without a mode changes nothing but ends, like every CSI in libvterm 0.1.4,
  // by bounding the cursor (to the margins under DECOM, to the screen otherwise).
  vterm_input_write(vt_.get(), "\x1b[?h", 4);
}

void Terminal::Impl::repeat(size_t end) {
  sync(end);
  repeated_ = true;
}

void Terminal::Impl::alignment(size_t end) {
  sync(end - 1);  // what came before the final byte (text among it) is tracked as usual
  const LastGlyph glyph = glyph_;
  const bool left = glyph_left_, run_end = at_run_end_, repeated = repeated_,
             behind = base_left_behind_;
  const int wrap_row = wrap_row_;
  sync(end);
  glyph_ = glyph;
  glyph_left_ = left;
  at_run_end_ = run_end;
  repeated_ = repeated;
  base_left_behind_ = behind;
  wrap_row_ = wrap_row;
  // Every row was written from its first column, none by an autowrap.
  detail::Screen& scr = shown();
  for (int r = 0; r < rows_; ++r) scr.row(r).wrapped = false;
}

void Terminal::Impl::capture_saved(detail::SavedCursor& saved) {
  saved.valid = true;
  cursor(saved.row, saved.col);
  saved.pen = pen_;
  saved.visible = props_.visible;
  saved.blink = props_.blink;
  saved.shape = props_.shape;
}

void Terminal::Impl::feed_piece(const char* p, size_t n) {
  piece_ = p;
  piece_len_ = n;
  pending_ = 0;
  shadow_.scan(p, n, *this);
  sync(n);
  piece_ = nullptr;
}

bool Terminal::Impl::phantom() const {
  if (!glyph_.valid || glyph_left_) return false;
  if (glyph_.row < 0 || glyph_.row >= rows_) return true;  // cannot tell: say so
  // A double-width line holds half the columns; DECLRMM adds the right margin.
  const bool dwl = (screens_[alt_ ? 1 : 0].row(glyph_.row).line_info & 1) != 0;
  const int edge = dwl ? cols_ / 2 : cols_;
  const int reach = glyph_.col + glyph_.width;
  const detail::Hidden& h = shadow_.hidden;
  return reach >= edge || (h.declrmm && reach >= h.region_right(cols_));
}

// The column a glyph wraps at on the last glyph's row (half the columns on a double-width
// line). Margins are left out: the shadow scanner's view of them runs ahead of libvterm's
// inside a write, and the callbacks must not depend on it (continuations after a wrap at a
// DECLRMM margin are not tracked).
int Terminal::Impl::glyph_edge() const {
  const bool dwl = glyph_.row >= 0 && glyph_.row < rows_ &&
                   (screens_[alt_ ? 1 : 0].row(glyph_.row).line_info & 1) != 0;
  return dwl ? cols_ / 2 : cols_;
}

bool Terminal::Impl::early_wrap_possible() const {
  if (!glyph_.valid || !at_run_end_ || glyph_.row < 0 || glyph_.row >= rows_) return false;
  return glyph_.col + glyph_.width == glyph_edge() - 1;
}

Cell Terminal::Impl::erase_blank() const {
  Cell c;
  c.pen.bg = pen_.bg;
  return c;
}

int Terminal::Impl::on_putglyph(VTermGlyphInfo* info, VTermPos pos, void* user) {
  // Hot path: once per printed character.
  auto* self = static_cast<Impl*>(user);
  LastGlyph& g = self->glyph_;
  // Did libvterm reach this glyph by an autowrap from the last one? Only a glyph at the start
  // of the row below the last glyph's row can be one.
  int wrap = 0;  // 0 not at column 0, 1 at column 0 (a redraw), 2 wrapped there
  if (pos.col == 0) {
    wrap = 1;
    if (g.valid && pos.row == self->wrap_row_ + 1 &&
        ((!self->glyph_left_ && g.col + g.width >= self->glyph_edge()) ||
         (info->width == 2 && self->early_wrap_possible())))
      wrap = 2;
  }
  self->wrap_row_ = pos.row;
  self->at_run_end_ = true;
  g.valid = true;
  g.row = pos.row;
  g.col = pos.col;
  g.width = info->width < 0 ? 0 : info->width;  // libvterm says -1 for C1 controls it prints
  int n = 0;
  while (n < Cell::kMaxChars && info->chars[n] != 0) {
    // libvterm 0.1.4 decodes 5- and 6-byte UTF-8 forms to values past Unicode's last code
    // point: they are shown (and kept in keyframes) as U+FFFD.
    g.chars[n] = info->chars[n] <= 0x10FFFF ? info->chars[n] : 0xFFFD;
    ++n;
  }
  if (n < Cell::kMaxChars) std::fill(g.chars.begin() + n, g.chars.end(), 0);
  self->glyph_left_ = false;
  self->repeated_ = false;
  self->base_left_behind_ = false;
  const int cols = self->cols_;
  if (self->restoring_ || static_cast<unsigned>(pos.row) >= static_cast<unsigned>(self->rows_) ||
      static_cast<unsigned>(pos.col) >= static_cast<unsigned>(cols))
    return 1;

  detail::Row& row = self->shown().row(pos.row);
  if (wrap != 0) row.wrapped = wrap == 2;
  const int c = pos.col;
  const int w = info->width == 2 ? 2 : 1;
  const int end = std::min(cols, c + w);
  // Cells from len on are blanks (width 1): only cells before it can be halves of a wide glyph.
  if (c > row.len) row.materialize(c);
  blank_split_halves(row, c, end);
  if (end > row.len) row.len = end;
  Cell& cell = row.cells[c];
  cell.chars = g.chars;
  cell.width = static_cast<uint8_t>(w);
  cell.pen = self->pen_;
  if (w == 2 && c + 1 < cols) {
    Cell& next = row.cells[c + 1];
    next.chars = {};
    next.width = 0;
    next.pen = self->pen_;
  }
  // An ASCII glyph keeps the row's bytes (Row::ascii) up to date; anything else retires them.
  const bool kept = row.ascii_gen == row.gen;
  row.gen = ++self->gen_;
  if (kept && g.chars[0] >= 0x20 && g.chars[0] < 0x7F && g.chars[1] == 0 && w == 1) {
    std::string& bytes = row.ascii;
    const auto at = static_cast<size_t>(c);
    const auto ch = static_cast<char>(g.chars[0]);
    if (at < bytes.size()) {
      bytes[at] = ch;
    } else {
      if (at > bytes.size()) bytes.append(at - bytes.size(), ' ');  // blank cells read as ' '
      bytes.push_back(ch);
    }
    row.ascii_gen = row.gen;
  }
  return 1;
}

int Terminal::Impl::on_movecursor(VTermPos pos, VTermPos, int, void* user) {
  auto* self = static_cast<Impl*>(user);
  const LastGlyph& g = self->glyph_;
  // libvterm moves the cursor onto the last glyph of a run that ended at the right margin and
  // stays in pending-wrap there; any other move cancels the pending wrap.
  if (!(pos.row == g.row && pos.col >= g.col && pos.col < g.col + g.width))
    self->glyph_left_ = true;
  self->at_run_end_ = pos.row == g.row && pos.col == g.col + g.width;
  return 1;
}

void Terminal::Impl::erase_rect(VTermRect rect) {
  detail::Screen& scr = shown();
  const Cell blank = erase_blank();
  const int r0 = std::max(0, rect.start_row), r1 = std::min(rows_, rect.end_row);
  const int c0 = std::max(0, rect.start_col), c1 = std::min(cols_, rect.end_col);
  if (c0 >= c1) return;
  for (int r = r0; r < r1; ++r) {
    detail::Row& row = scr.row(r);
    if (c0 == 0) row.wrapped = false;  // erased from column 0: no longer a continuation
    if (c1 >= cols_) {
      if (c0 < row.len) {
        row.len = c0;
      } else if (!(row.blank == blank)) {
        row.materialize(c0);
      }
      row.blank = blank;
    } else {
      row.materialize(c1);
      for (int c = c0; c < c1; ++c) row.cells[c] = blank;
    }
    // Erased cells are blank: the row's bytes (Row::ascii) stay true with blanks there.
    const bool kept = row.ascii_gen == row.gen;
    row.gen = ++gen_;
    if (kept) {
      const size_t size = row.ascii.size();
      if (static_cast<size_t>(c1) >= size) {
        if (static_cast<size_t>(c0) < size) row.ascii.resize(static_cast<size_t>(c0));
      } else {
        std::fill(row.ascii.begin() + c0, row.ascii.begin() + c1, ' ');
      }
      row.ascii_gen = row.gen;
    }
  }
}

void Terminal::Impl::move_cells(VTermRect dest, VTermRect src) {
  detail::Screen& scr = shown();
  const int height = src.end_row - src.start_row;
  const int width = src.end_col - src.start_col;
  if (height <= 0 || width <= 0) return;
  const bool upward = dest.start_row <= src.start_row;
  for (int i = 0; i < height; ++i) {
    const int k = upward ? i : height - 1 - i;
    const int sr = src.start_row + k, dr = dest.start_row + k;
    if (sr < 0 || sr >= rows_ || dr < 0 || dr >= rows_) continue;
    detail::Row& s = scr.row(sr);
    tmp_.clear();
    for (int c = 0; c < width; ++c) tmp_.push_back(s.at(src.start_col + c));
    detail::Row& d = scr.row(dr);
    d.materialize(std::min(cols_, dest.end_col));
    for (int c = 0; c < width; ++c) {
      const int dc = dest.start_col + c;
      if (dc >= 0 && dc < cols_) d.cells[dc] = tmp_[c];
    }
    d.gen = ++gen_;
  }
}

int Terminal::Impl::on_scrollrect(VTermRect rect, int downward, int rightward, void* user) {
  auto* self = static_cast<Impl*>(user);
  if (self->restoring_) return 1;
  rect.start_row = std::max(0, rect.start_row);
  rect.end_row = std::min(self->rows_, rect.end_row);
  rect.start_col = std::max(0, rect.start_col);
  rect.end_col = std::min(self->cols_, rect.end_col);
  const int height = rect.end_row - rect.start_row, width = rect.end_col - rect.start_col;
  if (height <= 0 || width <= 0) return 1;
  if (downward != 0 && self->wrap_row_ >= rect.start_row && self->wrap_row_ < rect.end_row) {
    self->wrap_row_ -= downward;  // the last glyph's row moved (a wrap at the bottom scrolls)
    if (self->wrap_row_ < rect.start_row || self->wrap_row_ >= rect.end_row) self->wrap_row_ = -2;
  }
  if (downward > 0) {
    const int lost = std::min(downward, height);
    self->scrolled_ += static_cast<uint64_t>(lost);
    if (rect.start_row == 0 && rect.end_row == self->rows_ && rect.start_col == 0 &&
        rect.end_col == self->cols_)
      self->screen_scrolls_[self->alt_ ? 1 : 0] += static_cast<uint64_t>(lost);
    if (self->sink_ != nullptr && rect.start_col == 0 && rect.end_col == self->cols_) {
      const Buffer b = self->alt_ ? Buffer::alternate : Buffer::primary;
      for (int r = rect.start_row; r < rect.start_row + lost; ++r) {
        int pad = 0;
        const std::string_view text = self->shown().text_view(r, self->line_, pad);
        self->sink_->scrolled_out(b, r, text, pad);
      }
    }
  }
  if (rightward == 0 && rect.start_col == 0 && rect.end_col == self->cols_) {
    detail::Screen& scr = self->shown();
    if (downward == 1 && rect.start_row == 0 && rect.end_row == self->rows_) {
      scr.scroll_up_one(self->pen_.bg, self->gen_);  // the common case: a line feed at the bottom
    } else {
      scr.scroll_rows(rect.start_row, rect.end_row, downward, self->erase_blank(), self->gen_);
    }
    return 1;
  }
  if (std::abs(downward) >= height || std::abs(rightward) >= width) {
    self->erase_rect(rect);
    return 1;
  }
  VTermRect src = rect, dest = rect, vacated = rect;
  if (downward >= 0) {
    src.start_row += downward;
    dest.end_row -= downward;
  } else {
    src.end_row += downward;
    dest.start_row -= downward;
  }
  if (rightward >= 0) {
    src.start_col += rightward;
    dest.end_col -= rightward;
  } else {
    src.end_col += rightward;
    dest.start_col -= rightward;
  }
  self->move_cells(dest, src);
  if (downward > 0) {
    vacated.start_row = rect.end_row - downward;
    self->erase_rect(vacated);
  } else if (downward < 0) {
    vacated.end_row = rect.start_row - downward;
    self->erase_rect(vacated);
  }
  vacated = rect;
  if (rightward > 0) {
    vacated.start_col = rect.end_col - rightward;
    self->erase_rect(vacated);
  } else if (rightward < 0) {
    vacated.end_col = rect.start_col - rightward;
    self->erase_rect(vacated);
  }
  return 1;
}

int Terminal::Impl::on_moverect(VTermRect dest, VTermRect src, void* user) {
  auto* self = static_cast<Impl*>(user);
  if (!self->restoring_) self->move_cells(dest, src);
  return 1;
}

int Terminal::Impl::on_erase(VTermRect rect, int, void* user) {
  auto* self = static_cast<Impl*>(user);
  if (!self->restoring_) self->erase_rect(rect);
  return 1;
}

int Terminal::Impl::on_initpen(void* user) {
  static_cast<Impl*>(user)->pen_ = Pen{};
  return 1;
}

int Terminal::Impl::on_setpenattr(VTermAttr attr, VTermValue* val, void* user) {
  Pen& p = static_cast<Impl*>(user)->pen_;
  switch (attr) {
    case VTERM_ATTR_BOLD: p.bold = val->boolean != 0; break;
    case VTERM_ATTR_UNDERLINE: p.underline = static_cast<uint8_t>(val->number); break;
    case VTERM_ATTR_ITALIC: p.italic = val->boolean != 0; break;
    case VTERM_ATTR_BLINK: p.blink = val->boolean != 0; break;
    case VTERM_ATTR_REVERSE: p.reverse = val->boolean != 0; break;
    case VTERM_ATTR_STRIKE: p.strike = val->boolean != 0; break;
    case VTERM_ATTR_FONT: p.font = static_cast<uint8_t>(val->number); break;
    case VTERM_ATTR_FOREGROUND: p.fg = to_color(val->color, true); break;
    case VTERM_ATTR_BACKGROUND: p.bg = to_color(val->color, false); break;
    default: break;
  }
  return 1;
}

int Terminal::Impl::on_settermprop(VTermProp prop, VTermValue* val, void* user) {
  auto* self = static_cast<Impl*>(user);
  if (self->restoring_) return 1;
  switch (prop) {
    case VTERM_PROP_CURSORVISIBLE: self->props_.visible = val->boolean != 0; break;
    case VTERM_PROP_CURSORBLINK: self->props_.blink = val->boolean != 0; break;
    case VTERM_PROP_REVERSE: self->props_.reverse = val->boolean != 0; break;
    case VTERM_PROP_CURSORSHAPE: self->props_.shape = val->number; break;
    case VTERM_PROP_MOUSE: self->props_.mouse = val->number; break;
    case VTERM_PROP_TITLE: self->title_ = val->string != nullptr ? val->string : ""; break;
    case VTERM_PROP_ICONNAME: self->icon_ = val->string != nullptr ? val->string : ""; break;
    case VTERM_PROP_ALTSCREEN: {
      const bool alt = val->boolean != 0;
      if (alt && !self->alt_) self->screens_[1].clear(self->erase_blank(), self->gen_);
      self->alt_ = alt;
      break;
    }
    default: break;
  }
  return 1;
}

int Terminal::Impl::on_resize(int rows, int cols, VTermPos* delta, void* user) {
  auto* self = static_cast<Impl*>(user);
  VTermPos pos;
  vterm_state_get_cursorpos(self->state_, &pos);
  int drop = 0;
  // Keep the cursor's line on screen: rows above it leave through the top, as a terminal does.
  if (rows < self->rows_ && pos.row >= rows) drop = pos.row - rows + 1;
  const int shown = self->alt_ ? 1 : 0;
  if (drop > 0 && self->sink_ != nullptr) {
    for (int r = 0; r < drop; ++r) {
      int pad = 0;
      const std::string_view text = self->screens_[shown].text_view(r, self->line_, pad);
      self->sink_->scrolled_out(self->alt_ ? Buffer::alternate : Buffer::primary, r, text, pad);
    }
  }
  self->screens_[shown].resize(cols, rows, drop, self->gen_);
  self->screens_[1 - shown].resize(cols, rows, 0, self->gen_);
  delta->row -= drop;
  self->shadow_.hidden.resize(self->cols_, cols, rows, self->shadow_.rows_guessed,
                             self->shadow_.cols_guessed);
  self->cols_ = cols;
  self->rows_ = rows;
  if (self->glyph_.valid && drop > 0) {
    self->glyph_.row -= drop;  // where its cell is now, and the cursor's pending wrap with it
    self->base_left_behind_ = true;
  }
  self->wrap_row_ -= drop;
  return 1;
}

int Terminal::Impl::on_setlineinfo(int row, const VTermLineInfo* newinfo, const VTermLineInfo*,
                                   void* user) {
  auto* self = static_cast<Impl*>(user);
  if (newinfo->doublewidth || newinfo->doubleheight)
    self->line_attrs_ = self->vterm_line_attrs_ = true;
  if (self->restoring_ || row < 0 || row >= self->rows_) return 1;
  detail::Row& r = self->shown().row(row);
  r.line_info = static_cast<uint8_t>((newinfo->doublewidth ? 1 : 0) |
                                     (newinfo->doubleheight << 1));
  r.gen = ++self->gen_;
  return 1;
}

void Terminal::Impl::do_resize(int cols, int rows) {
  cols = std::clamp(cols, 1, kMaxSide);
  rows = std::clamp(rows, 1, kMaxSide);
  if (cols == cols_ && rows == rows_) return;
  // libvterm 0.1.4 keeps a scroll region that starts below the new last row, and its next
  // scroll then moves a negative number of rows (a crash): reset the region it keeps, as the
  // model does (such a state is not keyframe-safe until a region is set again).
  const bool region_lost = shadow_.hidden.top >= rows;
  if (region_lost && shadow_.state() != detail::Shadow::State::ground) {
    // The region can only be reset between sequences: the one in progress is abandoned, as a
    // CAN abandons it (libvterm would scroll that region on its next line feed and crash).
    static constexpr char kCancel = '\x18';
    feed_piece(&kCancel, 1);
  }
  vterm_set_size(vt_.get(), rows, cols);
  // libvterm calls on_resize, which resizes the screens and the hidden state.
  cols_ = cols;
  rows_ = rows;
  if (region_lost && shadow_.state() == detail::Shadow::State::ground) {
    VTermPos pos;
    vterm_state_get_cursorpos(state_, &pos);
    const detail::Hidden& h = shadow_.hidden;
    char seq[48] = "\x1b[r";  // DECSTBM homes the cursor: put it back
    const int len = 3 + put_cup(seq + 3, std::max(0, pos.row),
                                std::max(0, pos.col - (h.decom && h.declrmm ? h.left : 0)));
    vterm_input_write(vt_.get(), seq, static_cast<size_t>(len));
  }
}

Terminal::Terminal(int cols, int rows)
    : impl_(std::make_unique<Impl>(std::clamp(cols, 1, kMaxSide), std::clamp(rows, 1, kMaxSide))) {}
Terminal::Terminal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Terminal::~Terminal() = default;
Terminal::Terminal(Terminal&&) noexcept = default;
Terminal& Terminal::operator=(Terminal&&) noexcept = default;

void Terminal::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kMaxPiece);
    impl_->feed_piece(bytes.data(), n);
    bytes.remove_prefix(n);
  }
}

void Terminal::resize(int cols, int rows) { impl_->do_resize(cols, rows); }

int Terminal::cols() const { return impl_->cols_; }
int Terminal::rows() const { return impl_->rows_; }

Cursor Terminal::cursor() const {
  Cursor c;
  impl_->cursor(c.row, c.col);
  c.visible = impl_->props_.visible;
  return c;
}

bool Terminal::alt_screen() const { return impl_->alt_; }
const std::string& Terminal::title() const { return impl_->title_; }

const Cell& Terminal::cell(int row, int col) const {
  return cell(impl_->alt_ ? Buffer::alternate : Buffer::primary, row, col);
}

const Cell& Terminal::cell(Buffer buffer, int row, int col) const {
  if (row < 0 || row >= impl_->rows_ || col < 0 || col >= impl_->cols_) return kOutside;
  return impl_->screen(buffer).row(row).at(col);
}

std::string Terminal::row_text(int row) const {
  return row_text(impl_->alt_ ? Buffer::alternate : Buffer::primary, row);
}

std::string Terminal::row_text(Buffer buffer, int row) const {
  if (row < 0 || row >= impl_->rows_) return {};
  return impl_->screen(buffer).text(row);
}

void Terminal::row_text(Buffer buffer, int row, std::string& out) const {
  if (row < 0 || row >= impl_->rows_) {
    out.clear();
    return;
  }
  impl_->screen(buffer).text_into(row, out);
}

void Terminal::row_generations(Buffer buffer, std::vector<uint64_t>& out) const {
  const detail::Screen& scr = impl_->screen(buffer);
  out.resize(static_cast<size_t>(impl_->rows_));
  for (int r = 0; r < impl_->rows_; ++r) out[static_cast<size_t>(r)] = scr.row(r).gen;
}

void Terminal::row_continuations(Buffer buffer, std::vector<char>& out) const {
  const detail::Screen& scr = impl_->screen(buffer);
  const int rows = impl_->rows_;
  out.resize(static_cast<size_t>(rows));
  for (int r = 0; r + 1 < rows; ++r) out[static_cast<size_t>(r)] = scr.row(r + 1).wrapped ? 1 : 0;
  if (rows > 0) out[static_cast<size_t>(rows - 1)] = 0;
}

int Terminal::trailing_blanks(Buffer buffer, int row) const {
  if (row < 0 || row >= impl_->rows_) return 0;
  return impl_->screen(buffer).trailing_blanks(row);
}

bool Terminal::row_continues(Buffer buffer, int row) const {
  if (row < 0 || row + 1 >= impl_->rows_) return false;
  return impl_->screen(buffer).row(row + 1).wrapped;
}

uint64_t Terminal::scrolled_lines() const { return impl_->scrolled_; }

uint64_t Terminal::screen_scrolls(Buffer buffer) const {
  return impl_->screen_scrolls_[static_cast<int>(buffer)];
}

uint64_t Terminal::row_generation(Buffer buffer, int row) const {
  if (row < 0 || row >= impl_->rows_) return 0;
  return impl_->screen(buffer).row(row).gen;
}

void Terminal::set_line_sink(LineSink* sink) { impl_->sink_ = sink; }

bool Terminal::Impl::vterm_line_attrs() const {
  if (!vterm_line_attrs_) return false;
  for (int r = 0; r < rows_; ++r) {
    const VTermLineInfo* info = vterm_state_get_lineinfo(state_, r);
    if (info->doublewidth || info->doubleheight) return true;
  }
  vterm_line_attrs_ = false;
  return false;
}

bool Terminal::keyframe_safe() const {
  const Impl& m = *impl_;
  if (!m.shadow_.idle() || m.phantom() || m.shadow_.hidden.single_shift) return false;
  if (m.early_wrap_possible()) return false;  // restore() cannot say the cursor stayed there
  // Nor that it stayed on the last glyph at all. libvterm moves the cursor past a glyph except
  // at the row's edge (a pending wrap, or none without DECAWM) and after one of width 0 (a
  // mark with no base); phantom() judges the edge by the row's width now, but libvterm set its
  // pending wrap by the width then (a double-width line since made single, ESC # 5), and a row
  // made double width puts a zero-width glyph at its edge.
  if (m.glyph_.valid && !m.glyph_left_) return false;
  // After REP libvterm's combining base is the glyph it repeated, not the last repeated cell
  // that a restore would print (its API does not say which).
  if (m.repeated_) return false;
  // After a resize that dropped rows libvterm's combining base sits where no CUP of a restore
  // can put it relative to the cursor (a keyframe stores one position for both).
  if (m.base_left_behind_) return false;
  // libvterm keeps DECDWL/DECDHL attributes per row position and leaves them on rows a scroll
  // vacates; restoring them exactly is not possible through its API: no keyframe while any
  // row of either screen has one, or libvterm's own table still does.
  if (m.any_line_attrs() || m.vterm_line_attrs()) return false;
  const detail::Hidden& h = m.shadow_.hidden;
  // A saved cursor or last glyph outside a screen that shrank cannot be put back by CUP.
  if (h.saved.valid && (h.saved.row >= m.rows_ || h.saved.col >= m.cols_)) return false;
  if (m.shadow_.rows_guessed || m.shadow_.cols_guessed) return false;
  // Left/right margins (DECLRMM) with insert mode and wide glyphs move libvterm's glyph
  // bookkeeping in ways its API does not show; generated streams found restores that diverged.
  // Margins are rare in real sessions: no keyframe while they are enabled.
  if (h.declrmm) return false;
  // (A glyph of width 0 past the last column too: CUP would put it back on the last column,
  // where the cursor, which a narrower screen brought there, would then be right after it.)
  if (m.glyph_.valid && (m.glyph_.row < 0 || m.glyph_.row >= m.rows_ ||
                         m.glyph_.col + std::max(m.glyph_.width, 1) > m.cols_))
    return false;
  VTermPos pos;
  vterm_state_get_cursorpos(m.state_, &pos);
  // libvterm 0.1.4 moves the cursor by a glyph's width, and gives a C1 control it prints width
  // -1: the cursor can stand left of column 0, where CUP cannot put it back.
  if (pos.row < 0 || pos.row >= m.rows_ || pos.col < 0 || pos.col >= m.cols_) return false;
  if (h.decom) {
    // Restoring puts the cursor back with CUP, which origin mode confines to the margins.
    if (pos.row < h.top || pos.row >= h.region_bottom(m.rows_)) return false;
    if (h.declrmm && (pos.col < h.left || pos.col >= h.region_right(m.cols_))) return false;
  }
  return true;
}

}  // namespace tap::term
