#include "screen.hpp"

#include <algorithm>
#include <utility>

namespace tap::term::detail {

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void Screen::init(int cols, int rows, uint64_t gen) {
  cols_ = cols;
  base_ = 0;
  rows_.assign(rows, Row{});
  for (Row& r : rows_) {
    r.cells.assign(cols, Cell{});
    r.gen = gen;
    r.ascii_gen = gen;  // blank: its (empty) text is known
  }
}

void Screen::reset_row(Row& row, const Cell& blank, uint64_t& gen) {
  row.len = 0;
  row.blank = blank;
  row.line_info = 0;
  row.wrapped = false;
  row.gen = ++gen;
  row.ascii.clear();  // blank: its (empty) text is known
  row.ascii_gen = row.gen;
}

void Screen::scroll_rows(int top, int bottom, int n, const Cell& blank, uint64_t& gen) {
  const int height = bottom - top;
  if (n == 0 || height <= 0) return;
  if (n >= height || -n >= height) {
    for (int r = top; r < bottom; ++r) {
      const uint8_t li = row(r).line_info;
      reset_row(row(r), blank, gen);
      row(r).line_info = li;
    }
    if (bottom < rows()) row(bottom).wrapped = false;
    return;
  }
  // libvterm 0.1.4 moves its line attributes with the rows but leaves the vacated rows'
  // attributes as they were; so do we, or a keyframe would disagree with it.
  const int k = n > 0 ? n : -n;
  const int first_vacated = n > 0 ? bottom - k : top;
  vacated_li_.resize(k);
  for (int i = 0; i < k; ++i) vacated_li_[i] = row(first_vacated + i).line_info;
  if (n > 0 && top == 0 && bottom == rows()) {
    // The whole screen: rotate the ring, O(n).
    for (int r = 0; r < n; ++r) reset_row(row(r), blank, gen);
    base_ = slot(n);
  } else if (n > 0) {
    for (int r = top; r + n < bottom; ++r) std::swap(row(r), row(r + n));
    for (int r = bottom - n; r < bottom; ++r) reset_row(row(r), blank, gen);
  } else {
    for (int r = bottom - 1; r - k >= top; --r) std::swap(row(r), row(r - k));
    for (int r = top; r < top + k; ++r) reset_row(row(r), blank, gen);
  }
  for (int i = 0; i < k; ++i) row(first_vacated + i).line_info = vacated_li_[i];
  // Rows moved together keep their continuations; a row whose row above changed does not.
  if (top > 0) row(top).wrapped = false;
  if (n < 0) row(top + k).wrapped = false;
  if (bottom < rows()) row(bottom).wrapped = false;
}

void Screen::resize(int cols, int rows, int drop_top, uint64_t& gen) {
  std::vector<Row> next;
  next.reserve(rows);
  const int old_rows = this->rows();
  for (int r = drop_top; r < old_rows && static_cast<int>(next.size()) < rows; ++r)
    next.push_back(std::move(row(r)));
  while (static_cast<int>(next.size()) < rows) {
    Row fresh;
    fresh.gen = ++gen;
    fresh.ascii_gen = fresh.gen;
    next.push_back(std::move(fresh));
  }
  for (Row& r : next) {
    if (cols < r.len) r.len = cols;
    if (cols != cols_) {
      r.wrapped = false;  // no reflow: the row's old end is not where the next row continues
      // A wide glyph cut in half by the new right edge becomes a blank.
      if (r.len == cols && cols > 0 && r.cells[cols - 1].width == 2) r.cells[cols - 1] = r.blank;
      const bool kept = r.ascii_gen == r.gen;
      r.gen = ++gen;
      if (kept) {  // a plain row keeps its bytes, cut at the new edge
        if (r.ascii.size() > static_cast<size_t>(cols)) r.ascii.resize(static_cast<size_t>(cols));
        r.ascii_gen = r.gen;
      }
    }
    r.cells.resize(cols);
  }
  rows_ = std::move(next);
  base_ = 0;
  cols_ = cols;
}

void Screen::clear(const Cell& blank, uint64_t& gen) {
  for (Row& r : rows_) reset_row(r, blank, gen);
}

namespace {

// Grows `out` so that at least `n` bytes fit after `w`; moves the pointers with it. Rare: only
// when non-ASCII cells took more than their one byte each.
[[gnu::noinline]] void grow_text(std::string& out, char*& w, char*& keep, char*& end, size_t n) {
  const size_t at = static_cast<size_t>(w - out.data());
  const size_t kept = static_cast<size_t>(keep - out.data());
  out.resize(out.size() * 2 + n);
  w = out.data() + at;
  keep = out.data() + kept;
  end = out.data() + out.size();
}

// The row's kept bytes without their trailing spaces: its text.
size_t kept_text_size(const Row& rw) {
  size_t n = rw.ascii.size();
  while (n > 0 && rw.ascii[n - 1] == ' ') --n;
  return n;
}

}  // namespace

std::string Screen::text(int r) const {
  std::string out;
  text_into(r, out);
  return out;
}

std::string_view Screen::text_view(int r, std::string& scratch, int& pad) const {
  const Row& rw = row(r);
  if (rw.ascii_gen == rw.gen) {
    const size_t n = kept_text_size(rw);
    pad = cols_ - static_cast<int>(n);
    return std::string_view(rw.ascii.data(), n);
  }
  pad = text_into(r, scratch);
  return scratch;
}

int Screen::trailing_blanks(int r) const {
  const Row& rw = row(r);
  if (rw.ascii_gen == rw.gen) return cols_ - static_cast<int>(kept_text_size(rw));
  int c = std::min(rw.len, cols_);
  while (c > 0) {
    const Cell& cell = rw.cells[c - 1];
    // A glyph (a wide glyph's right half, anything but a plain blank or space) ends the run.
    if (cell.width == 0 || (cell.chars[0] != 0 && !(cell.chars[0] == U' ' && cell.chars[1] == 0))) break;
    --c;
  }
  return cols_ - c;
}

int Screen::text_into(int r, std::string& out) const {
  const Row& known = row(r);
  if (known.ascii_gen == known.gen) {
    int pad = 0;
    const std::string_view v = text_view(r, out, pad);
    out.assign(v.data(), v.size());
    return pad;
  }
  // Written through a pointer into a buffer sized for one byte per cell (ASCII, the common
  // case): a push_back per character cost a fifth of a rendered search. A non-ASCII cell
  // grows the buffer when its UTF-8 needs more room.
  const Row& rw = row(r);
  out.resize(static_cast<size_t>(rw.len));
  char* w = out.data();
  char* end = w + out.size();
  char* keep = w;  // just past the last non-blank cell
  int keep_col = 0;  // the column just past it
  for (int c = 0; c < rw.len; ++c) {
    const Cell& cell = rw.cells[c];
    if (cell.width == 0) {  // the right half of a wide glyph (or a stray one): not blank
      keep_col = c + 1;
      continue;
    }
    const char32_t first = cell.chars[0];
    if (first < 0x80 && cell.chars[1] == 0) {  // blank (0) or ASCII: one byte
      if (w == end) [[unlikely]]
        grow_text(out, w, keep, end, 1);
      *w++ = first == 0 ? ' ' : static_cast<char>(first);
      if (first != 0 && first != U' ') {
        keep = w;
        keep_col = c + 1;
      }
      continue;
    }
    for (char32_t ch : cell.chars) {
      if (ch == 0) break;
      if (ch > 0x10FFFF || (ch >= 0xD800 && ch <= 0xDFFF)) ch = 0xFFFD;
      if (end - w < 4) grow_text(out, w, keep, end, 4);
      if (ch < 0x80) {
        *w++ = static_cast<char>(ch);
      } else if (ch < 0x800) {
        *w++ = static_cast<char>(0xC0 | (ch >> 6));
        *w++ = static_cast<char>(0x80 | (ch & 0x3F));
      } else if (ch < 0x10000) {
        *w++ = static_cast<char>(0xE0 | (ch >> 12));
        *w++ = static_cast<char>(0x80 | ((ch >> 6) & 0x3F));
        *w++ = static_cast<char>(0x80 | (ch & 0x3F));
      } else {
        *w++ = static_cast<char>(0xF0 | (ch >> 18));
        *w++ = static_cast<char>(0x80 | ((ch >> 12) & 0x3F));
        *w++ = static_cast<char>(0x80 | ((ch >> 6) & 0x3F));
        *w++ = static_cast<char>(0x80 | (ch & 0x3F));
      }
    }
    if (first != U' ') keep = w;
    keep_col = c + 1;  // a combining mark makes even a space a glyph
  }
  out.resize(static_cast<size_t>(keep - out.data()));
  return cols_ - keep_col;
}

}  // namespace tap::term::detail
