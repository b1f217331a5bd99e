// Keyframes: Terminal::save / restore / same_state. The byte format is docs/term.md
// §Keyframe format (version 1): "TAPK", a version byte, the payload's size as a varint, and
// the payload as one zstd frame.
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "tap/support/cell_encoding.hpp"
#include "tap/term/redraw.hpp"
#include "terminal_impl.hpp"

namespace tap::term {
namespace {

constexpr char kMagic[4] = {'T', 'A', 'P', 'K'};
// Version 2 adds the row the last glyph's content is on now (it follows scrolls); version 1
// keyframes still restore, taking it to be the glyph's own row.
constexpr uint8_t kVersion = 2;
constexpr uint8_t kOldestVersion = 1;
constexpr int kMaxSide = 4096;
constexpr uint64_t kMaxPayload = 256ull << 20;

// ---- pens packed in 64 bits: fg 26, bg 26, six flags, underline 2, font 4 ----
uint64_t pack_color(const Color& c) {
  uint64_t v = static_cast<uint64_t>(c.kind);
  if (c.kind == Color::Kind::indexed) v |= static_cast<uint64_t>(c.index) << 2;
  if (c.kind == Color::Kind::rgb)
    v |= (static_cast<uint64_t>(c.r) << 2) | (static_cast<uint64_t>(c.g) << 10) |
         (static_cast<uint64_t>(c.b) << 18);
  return v;
}
bool unpack_color(uint64_t v, Color& c) {
  c = Color{};
  switch (v & 3) {
    case 0: return (v >> 2) == 0;
    case 1:
      c.kind = Color::Kind::indexed;
      c.index = static_cast<uint8_t>(v >> 2);
      return (v >> 10) == 0;
    case 2:
      c.kind = Color::Kind::rgb;
      c.r = static_cast<uint8_t>(v >> 2);
      c.g = static_cast<uint8_t>(v >> 10);
      c.b = static_cast<uint8_t>(v >> 18);
      return true;
    default: return false;
  }
}
uint64_t pack_pen(const Pen& p) {
  uint64_t v = pack_color(p.fg) | (pack_color(p.bg) << 26);
  v |= static_cast<uint64_t>(p.bold) << 52 | static_cast<uint64_t>(p.italic) << 53 |
       static_cast<uint64_t>(p.blink) << 54 | static_cast<uint64_t>(p.reverse) << 55 |
       static_cast<uint64_t>(p.conceal) << 56 | static_cast<uint64_t>(p.strike) << 57;
  v |= static_cast<uint64_t>(p.underline & 3) << 58 | static_cast<uint64_t>(p.font & 15) << 60;
  return v;
}
bool unpack_pen(uint64_t v, Pen& p) {
  p = Pen{};
  if (!unpack_color(v & ((1ull << 26) - 1), p.fg)) return false;
  if (!unpack_color((v >> 26) & ((1ull << 26) - 1), p.bg)) return false;
  p.bold = (v >> 52) & 1;
  p.italic = (v >> 53) & 1;
  p.blink = (v >> 54) & 1;
  p.reverse = (v >> 55) & 1;
  p.conceal = (v >> 56) & 1;
  p.strike = (v >> 57) & 1;
  p.underline = static_cast<uint8_t>((v >> 58) & 3);
  p.font = static_cast<uint8_t>((v >> 60) & 15);
  return true;
}

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  }
  void str(std::string_view s) {
    varint(s.size());
    out.append(s);
  }
  std::string out;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u8(uint8_t& v) {
    if (pos_ >= in_.size()) return fail();
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!u8(b)) return false;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return fail();
  }
  // A varint that must lie in [lo, hi] (lo >= 0).
  bool num(int& v, int lo, int hi) {
    uint64_t x;
    if (!varint(x) || x < static_cast<uint64_t>(lo) || x > static_cast<uint64_t>(hi))
      return fail();
    v = static_cast<int>(x);
    return true;
  }
  bool flag(bool& b) {
    uint8_t x;
    if (!u8(x) || x > 1) return fail();
    b = x != 0;
    return true;
  }
  bool u64(uint64_t& v) {
    if (in_.size() - pos_ < 8) return fail();
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool str(std::string& s, size_t max) {
    uint64_t n;
    if (!varint(n) || n > max || n > in_.size() - pos_) return fail();
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void put_chars(Writer& w, const std::array<char32_t, Cell::kMaxChars>& chars) {
  int n = 0;
  while (n < Cell::kMaxChars && chars[n] != 0) ++n;
  w.u8(static_cast<uint8_t>(n));
  for (int i = 0; i < n; ++i) w.varint(chars[i]);
}
bool get_chars(Reader& r, std::array<char32_t, Cell::kMaxChars>& chars) {
  chars = {};
  uint8_t n;
  if (!r.u8(n) || n > Cell::kMaxChars) return false;
  for (int i = 0; i < n; ++i) {
    uint64_t c;
    if (!r.varint(c) || c == 0 || c > 0x10FFFF) return false;
    chars[i] = static_cast<char32_t>(c);
  }
  return true;
}

// ---- the synthetic byte sequence that puts a fresh VTermState into the saved hidden state ----
void append_num(std::string& s, int v) { s += std::to_string(v); }
void cup(std::string& s, int row, int col) {
  s += "\x1b[";
  append_num(s, row + 1);
  s += ';';
  append_num(s, col + 1);
  s += 'H';
}
// The pen as tap::support's cell encoder writes it: one SGR from a reset, never more than the
// 16 arguments libvterm 0.1.4 takes (the background goes in a sequence of its own when every
// attribute and two RGB colours would pass that).
void pen_sgr(std::string& s, const Pen& p) { append_sgr(s, cell_style(p)); }
void dec_mode(std::string& s, int mode, bool on) {
  s += "\x1b[?";
  append_num(s, mode);
  s += on ? 'h' : 'l';
}
void cursor_style(std::string& s, int shape, bool blink, bool visible) {
  if (shape != 0) {  // 0 only comes from restoring a never-saved cursor (see synthesize)
    s += "\x1b[";
    append_num(s, std::clamp(shape, 1, 3) * 2 - (blink ? 1 : 0));
    s += " q";
  }
  dec_mode(s, 12, blink);
  dec_mode(s, 25, visible);
}

std::string synthesize(const Terminal::Impl& m) {
  const detail::Hidden& h = m.shadow_.hidden;
  std::string s;
  // DECRC (or 1049 off) with nothing saved restores libvterm's zeroed slot: cursor shape 0,
  // hidden, no blink, an all-zero pen. Shape 0 cannot be set otherwise: take it from there.
  if (m.props_.shape == 0 || (h.saved.valid && h.saved.shape == 0)) s += "\x1b" "8";
  // The glyph a combining mark would attach to: print it where it was.
  if (m.glyph_.valid) {
    cup(s, m.glyph_.row, m.glyph_.col);
    for (char32_t c : m.glyph_.chars) {
      if (c == 0) break;
      detail::append_utf8(s, c);
    }
  }
  if (h.saved.valid) {
    pen_sgr(s, h.saved.pen);
    cursor_style(s, h.saved.shape, h.saved.blink, h.saved.visible);
    cup(s, h.saved.row, h.saved.col);
    s += "\x1b" "7";
  }
  // Tab stops.
  bool default_tabs = true;
  for (int c = 0; c < static_cast<int>(h.tabs.size()); ++c)
    if ((h.tabs[c] != 0) != (c % 8 == 0 && c > 0)) default_tabs = false;
  if (!default_tabs) {
    s += "\x1b[3g";
    for (int c = 0; c < static_cast<int>(h.tabs.size()); ++c) {
      if (h.tabs[c] == 0) continue;
      cup(s, 0, c);
      s += "\x1bH";
    }
  }
  // Double-width/height lines of the shown buffer, after everything placed by column (on
  // such a line only half the columns are addressable).
  const detail::Screen& shown = m.screens_[m.alt_ ? 1 : 0];
  if (m.alt_) dec_mode(s, 1047, true);
  for (int r = 0; r < m.rows_; ++r) {
    const uint8_t li = shown.row(r).line_info & 7;
    if (li == 0) continue;
    cup(s, r, 0);
    const int dhl = li >> 1;
    s += dhl == 1 ? "\x1b#3" : dhl == 2 ? "\x1b#4" : "\x1b#6";
  }
  // Charsets and shifts.
  const char* designate = "()*+";
  for (int i = 0; i < 4; ++i) {
    if ((h.designated & (1u << i)) == 0) continue;  // still libvterm's UTF-8 decoder
    s += '\x1b';
    s += designate[i];
    s += h.g[i];
  }
  static const char* const kGl[] = {"\x0f", "\x0e", "\x1bn", "\x1bo"};
  static const char* const kGr[] = {"", "\x1b~", "\x1b}", "\x1b|"};
  s += kGl[h.gl & 3];
  s += kGr[h.gr & 3];
  // Modes, margins and scroll region (DECSTBM homes the cursor; the final CUP comes last).
  if (h.decckm) dec_mode(s, 1, true);
  if (m.props_.reverse) dec_mode(s, 5, true);
  if (!h.decawm) dec_mode(s, 7, false);
  if (m.props_.mouse >= 1 && m.props_.mouse <= 3)
    dec_mode(s, m.props_.mouse == 1 ? 1000 : m.props_.mouse == 2 ? 1002 : 1003, true);
  if (h.mouse_protocol == 1) dec_mode(s, 1005, true);
  if (h.mouse_protocol == 2) dec_mode(s, 1006, true);
  if (h.mouse_protocol == 3) dec_mode(s, 1015, true);
  if (h.focus) dec_mode(s, 1004, true);
  if (h.paste) dec_mode(s, 2004, true);
  if (h.keypad) s += "\x1b=";
  if (h.irm) s += "\x1b[4h";
  if (h.lnm) s += "\x1b[20h";
  if (h.protect) s += "\x1b[1\"q";
  if (h.declrmm) dec_mode(s, 69, true);
  if (h.left != 0 || h.right >= 0) {  // kept by libvterm even while DECLRMM is off
    s += "\x1b[";
    append_num(s, h.left + 1);
    if (h.right >= 0) {
      s += ';';
      // An explicit right margin at the last column (from a larger value clamped) stays
      // explicit in libvterm; "l;cols" would become "the last column" instead.
      append_num(s, h.right == m.cols_ && h.left == 0 ? h.right + 1 : h.right);
    }
    s += 's';
  }
  if (h.top != 0 || h.bottom >= 0) {
    s += "\x1b[";
    append_num(s, h.top + 1);
    if (h.bottom >= 0) {
      s += ';';
      // As for the margins: keep an explicit last-row bottom explicit.
      append_num(s, h.bottom == m.rows_ && h.top == 0 ? h.bottom + 1 : h.bottom);
    }
    s += 'r';
  }
  if (h.decom) dec_mode(s, 6, true);
  cursor_style(s, m.props_.shape, m.props_.blink, m.props_.visible);
  pen_sgr(s, m.pen_);
  VTermPos pos;
  vterm_state_get_cursorpos(m.state_, &pos);
  int row = pos.row, col = pos.col;
  if (h.decom) {
    row -= h.top;
    if (h.declrmm) col -= h.left;
  }
  cup(s, std::max(row, 0), std::max(col, 0));
  return s;
}

Failure corrupt(std::string what) {
  return fail(ErrorKind::corrupt, "keyframe: " + std::move(what));
}

}  // namespace

std::string Terminal::save() const {
  const Impl& m = *impl_;
  const detail::Hidden& h = m.shadow_.hidden;
  Writer w;
  std::vector<uint64_t> pens;
  std::unordered_map<uint64_t, uint32_t> pen_index;
  auto pen_id = [&](const Pen& p) -> uint32_t {
    const uint64_t k = pack_pen(p);
    auto [it, inserted] = pen_index.try_emplace(k, static_cast<uint32_t>(pens.size()));
    if (inserted) pens.push_back(k);
    return it->second;
  };
  // Cells go to a second writer so the pen table can precede them.
  Writer cells;
  for (int b = 0; b < 2; ++b) {
    const detail::Screen& scr = m.screens_[b];
    for (int r = 0; r < m.rows_; ++r) {
      const detail::Row& row = scr.row(r);
      cells.u8(static_cast<uint8_t>(row.line_info | (row.wrapped ? 8 : 0)));
      cells.varint(static_cast<uint64_t>(row.len));
      cells.varint(pen_id(row.blank.pen));
      put_chars(cells, row.blank.chars);
      cells.u8(row.blank.width);
      for (int c = 0; c < row.len; ++c) {
        const Cell& cell = row.cells[c];
        cells.varint(pen_id(cell.pen));
        cells.u8(cell.width);
        put_chars(cells, cell.chars);
      }
    }
  }
  VTermPos pos;
  vterm_state_get_cursorpos(m.state_, &pos);
  w.varint(static_cast<uint64_t>(m.cols_));
  w.varint(static_cast<uint64_t>(m.rows_));
  w.u8(m.alt_ ? 1 : 0);
  w.varint(static_cast<uint64_t>(std::clamp(pos.row, 0, m.rows_ - 1)));
  w.varint(static_cast<uint64_t>(std::clamp(pos.col, 0, m.cols_ - 1)));
  w.u8(m.props_.visible);
  w.u8(m.props_.blink);
  w.u8(m.props_.reverse);
  w.varint(static_cast<uint64_t>(std::clamp(m.props_.shape, 0, 255)));
  w.varint(static_cast<uint64_t>(std::clamp(m.props_.mouse, 0, 255)));
  w.u64(pack_pen(m.pen_));
  w.str(m.title_);
  w.str(m.icon_);
  w.varint(m.scrolled_);
  // Hidden state.
  w.varint(static_cast<uint64_t>(h.top));
  w.varint(static_cast<uint64_t>(h.bottom + 1));
  w.varint(static_cast<uint64_t>(h.left));
  w.varint(static_cast<uint64_t>(h.right + 1));
  const bool flags[] = {h.decckm, h.decom, h.decawm, h.declrmm,      h.irm,
                        h.lnm,    h.keypad, h.paste, h.focus,  h.single_shift, h.protect};
  for (bool f : flags) w.u8(f);
  w.u8(h.designated);
  w.u8(h.mouse_protocol);
  for (char g : h.g) w.u8(static_cast<uint8_t>(g));
  w.u8(h.gl);
  w.u8(h.gr);
  uint64_t nstops = 0;
  for (uint8_t t : h.tabs) nstops += t != 0;
  w.varint(nstops);
  for (size_t c = 0; c < h.tabs.size(); ++c)
    if (h.tabs[c] != 0) w.varint(c);
  w.u8(h.saved.valid);
  w.varint(static_cast<uint64_t>(std::max(h.saved.row, 0)));
  w.varint(static_cast<uint64_t>(std::max(h.saved.col, 0)));
  w.u64(pack_pen(h.saved.pen));
  w.u8(h.saved.visible);
  w.u8(h.saved.blink);
  w.varint(static_cast<uint64_t>(std::clamp(h.saved.shape, 0, 255)));
  // libvterm's private bits we follow.
  w.u8(m.glyph_.valid);
  w.varint(static_cast<uint64_t>(std::max(m.glyph_.row, 0)));
  w.varint(static_cast<uint64_t>(std::max(m.glyph_.col, 0)));
  w.varint(static_cast<uint64_t>(std::clamp(m.glyph_.width, 0, 2)));
  put_chars(w, m.glyph_.chars);
  // The row its content is on now, + 1; 0 once it has left (any negative row).
  w.varint(m.wrap_row_ < 0 ? 0 : static_cast<uint64_t>(m.wrap_row_) + 1);
  w.u8(m.phantom());
  w.u8(static_cast<uint8_t>(keyframe_safe()));
  // Pens, then both buffers.
  w.varint(pens.size());
  for (uint64_t p : pens) w.u64(p);
  w.out += cells.out;

  std::string out(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kVersion));
  Writer head;
  head.varint(w.out.size());
  out += head.out;
  const size_t bound = ZSTD_compressBound(w.out.size());
  const size_t at = out.size();
  out.resize(at + bound);
  const size_t n = ZSTD_compress(out.data() + at, bound, w.out.data(), w.out.size(), 3);
  if (ZSTD_isError(n)) return {};  // cannot happen with a bound-sized buffer
  out.resize(at + n);
  return out;
}

Result<Terminal> Terminal::restore(std::string_view state) {
  if (state.size() < 5 || std::memcmp(state.data(), kMagic, 4) != 0)
    return corrupt("not a tap::term keyframe");
  const uint8_t version = static_cast<uint8_t>(state[4]);
  if (version < kOldestVersion || version > kVersion)
    return fail(ErrorKind::unsupported_version,
                "keyframe: version " + std::to_string(version));
  Reader head(state.substr(5));
  uint64_t raw_size = 0;
  if (!head.varint(raw_size) || raw_size > kMaxPayload) return corrupt("bad payload size");
  size_t head_len = 1;
  while (head_len < 10 && (static_cast<uint8_t>(state[5 + head_len - 1]) & 0x80) != 0) ++head_len;
  std::string_view frame = state.substr(5 + head_len);
  const unsigned long long content = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN ||
      content != raw_size)
    return corrupt("bad zstd frame");
  std::string payload(raw_size, '\0');
  const size_t got = ZSTD_decompress(payload.data(), payload.size(), frame.data(), frame.size());
  if (ZSTD_isError(got) || got != raw_size) return corrupt("bad zstd frame");

  Reader r(payload);
  int cols = 0, rows = 0, crow = 0, ccol = 0;
  bool alt = false;
  if (!r.num(cols, 1, kMaxSide) || !r.num(rows, 1, kMaxSide)) return corrupt("bad size");
  if (!r.flag(alt) || !r.num(crow, 0, rows - 1) || !r.num(ccol, 0, cols - 1))
    return corrupt("bad cursor");
  auto impl = std::make_unique<Impl>(cols, rows);
  Impl& m = *impl;
  Props props;
  uint64_t pen_bits = 0;
  if (!r.flag(props.visible) || !r.flag(props.blink) || !r.flag(props.reverse) ||
      !r.num(props.shape, 0, 255) || !r.num(props.mouse, 0, 255) || !r.u64(pen_bits))
    return corrupt("bad properties");
  Pen pen;
  if (!unpack_pen(pen_bits, pen)) return corrupt("bad pen");
  std::string title, icon;
  uint64_t scrolled = 0;
  if (!r.str(title, 1 << 20) || !r.str(icon, 1 << 20) || !r.varint(scrolled))
    return corrupt("bad title");
  detail::Hidden h;
  h.reset(cols);
  // Margins may lie outside a screen that shrank (such a keyframe is not safe, still valid).
  if (!r.num(h.top, 0, kMaxSide) || !r.num(h.bottom, 0, kMaxSide + 1) ||
      !r.num(h.left, 0, kMaxSide) || !r.num(h.right, 0, kMaxSide + 1))
    return corrupt("bad margins");
  h.bottom -= 1;  // stored + 1 so that "the last row" (-1) is 0
  h.right -= 1;
  bool* flags[] = {&h.decckm, &h.decom, &h.decawm, &h.declrmm,      &h.irm,
                   &h.lnm,    &h.keypad, &h.paste, &h.focus,  &h.single_shift, &h.protect};
  for (bool* f : flags)
    if (!r.flag(*f)) return corrupt("bad modes");
  if (!r.u8(h.designated) || h.designated > 15) return corrupt("bad modes");
  uint8_t b = 0;
  if (!r.u8(h.mouse_protocol) || h.mouse_protocol > 3) return corrupt("bad mouse protocol");
  for (char& g : h.g) {
    if (!r.u8(b) || (b != 'B' && b != '0' && b != 'A')) return corrupt("bad charset");
    g = static_cast<char>(b);
  }
  if (!r.u8(h.gl) || !r.u8(h.gr) || h.gl > 3 || h.gr > 3) return corrupt("bad shifts");
  uint64_t nstops = 0;
  if (!r.varint(nstops) || nstops > static_cast<uint64_t>(cols)) return corrupt("bad tab stops");
  std::fill(h.tabs.begin(), h.tabs.end(), 0);
  for (uint64_t i = 0; i < nstops; ++i) {
    int c = 0;
    if (!r.num(c, 0, cols - 1)) return corrupt("bad tab stop");
    h.tabs[c] = 1;
  }
  // A saved cursor or glyph may lie outside a screen that shrank since (libvterm keeps it).
  if (!r.flag(h.saved.valid) || !r.num(h.saved.row, 0, kMaxSide) ||
      !r.num(h.saved.col, 0, kMaxSide) || !r.u64(pen_bits) || !unpack_pen(pen_bits, h.saved.pen) ||
      !r.flag(h.saved.visible) || !r.flag(h.saved.blink) || !r.num(h.saved.shape, 0, 255))
    return corrupt("bad saved cursor");
  LastGlyph glyph;
  bool phantom = false, safe = false;
  if (!r.flag(glyph.valid) || !r.num(glyph.row, 0, kMaxSide) || !r.num(glyph.col, 0, kMaxSide) ||
      !r.num(glyph.width, 0, 2) || !get_chars(r, glyph.chars))
    return corrupt("bad glyph");
  int content_row = glyph.valid ? glyph.row + 1 : 0;  // + 1, 0: gone
  if ((version >= 2 && !r.num(content_row, 0, kMaxSide + 1)) || !r.flag(phantom) || !r.flag(safe))
    return corrupt("bad glyph");
  uint64_t npens = 0;
  if (!r.varint(npens) || npens > raw_size / 8) return corrupt("bad pen table");
  std::vector<Pen> pens(npens);
  for (Pen& p : pens)
    if (!r.u64(pen_bits) || !unpack_pen(pen_bits, p)) return corrupt("bad pen table");
  auto get_pen = [&](Pen& p) {
    uint64_t i = 0;
    if (!r.varint(i) || i >= pens.size()) return false;
    p = pens[i];
    return true;
  };
  std::array<detail::Screen, 2> screens;
  bool any_line_info = false;
  for (int buf = 0; buf < 2; ++buf) {
    screens[buf].init(cols, rows, 0);
    for (int row = 0; row < rows; ++row) {
      detail::Row& rw = screens[buf].row(row);
      uint64_t len = 0;
      if (!r.u8(rw.line_info) || (rw.line_info & 7) > 5 || rw.line_info > 15 || !r.varint(len) ||
          len > static_cast<uint64_t>(cols) || !get_pen(rw.blank.pen) ||
          !get_chars(r, rw.blank.chars) || !r.u8(rw.blank.width) || rw.blank.width > 2)
        return corrupt("bad row");
      rw.wrapped = (rw.line_info & 8) != 0;
      rw.line_info &= 7;
      any_line_info = any_line_info || rw.line_info != 0;
      rw.len = static_cast<int>(len);
      for (int c = 0; c < rw.len; ++c) {
        Cell& cell = rw.cells[c];
        if (!get_pen(cell.pen) || !r.u8(cell.width) || cell.width > 2 ||
            !get_chars(r, cell.chars))
          return corrupt("bad cell");
      }
      // init() left the row's text known as blank (Row::ascii); a row given cells is read from
      // them instead.
      if (rw.len > 0 || rw.blank.chars[0] != 0) rw.ascii_gen = ~uint64_t{0};
    }
  }
  if (!r.done()) return corrupt("trailing bytes");

  // Put libvterm into the saved state, then install our own screens and tracking.
  m.alt_ = alt;
  m.props_ = props;
  m.pen_ = pen;
  m.glyph_ = glyph;
  m.shadow_.hidden = h;
  m.screens_ = std::move(screens);
  // synthesize() reads the cursor from libvterm; place it first.
  std::string place;
  cup(place, crow, ccol);
  m.restoring_ = true;
  m.feed_piece(place.data(), place.size());
  const std::string bytes = synthesize(m);
  for (size_t at = 0; at < bytes.size(); at += 64 * 1024)
    m.feed_piece(bytes.data() + at, std::min<size_t>(64 * 1024, bytes.size() - at));
  m.restoring_ = false;
  // Only the shown buffer's line attributes reach libvterm above; a keyframe taken where it
  // was safe has none, but one that was not must not make the restored terminal claim so.
  if (any_line_info) m.line_attrs_ = true;
  m.alt_ = alt;
  m.props_ = props;
  m.pen_ = pen;
  m.glyph_ = glyph;
  m.glyph_left_ = !phantom;
  m.wrap_row_ = content_row > 0 ? content_row - 1 : -2;
  // The cursor still right after the last glyph (a wide glyph that does not fit there continues
  // the row): every cursor move sets this from the position, and a keyframe-safe state has the
  // cursor off the glyph itself.
  m.at_run_end_ = glyph.valid && crow == glyph.row && ccol == glyph.col + glyph.width;
  m.shadow_.hidden = h;
  m.title_ = std::move(title);
  m.icon_ = std::move(icon);
  m.scrolled_ = scrolled;
  return Terminal(std::move(impl));
}

bool Terminal::same_state(const Terminal& other, std::string* why) const {
  const Impl& a = *impl_;
  const Impl& b = *other.impl_;
  auto differ = [&](std::string what) {
    if (why != nullptr) *why = std::move(what);
    return false;
  };
  if (a.cols_ != b.cols_ || a.rows_ != b.rows_) return differ("size");
  if (a.alt_ != b.alt_) return differ("alt screen");
  if (!(cursor() == other.cursor())) {
    const Cursor ca = cursor(), cb = other.cursor();
    return differ("cursor " + std::to_string(ca.row) + "," + std::to_string(ca.col) + " vs " +
                  std::to_string(cb.row) + "," + std::to_string(cb.col));
  }
  if (!(a.props_ == b.props_)) return differ("cursor style or mouse or reverse");
  if (!(a.pen_ == b.pen_)) return differ("pen");
  if (a.title_ != b.title_ || a.icon_ != b.icon_) return differ("title");
  const detail::Hidden& ha = a.shadow_.hidden;
  const detail::Hidden& hb = b.shadow_.hidden;
  if (ha.top != hb.top || ha.bottom != hb.bottom) return differ("scroll region");
  if (ha.left != hb.left || ha.right != hb.right) return differ("margins");
  if (ha.tabs != hb.tabs) return differ("tab stops");
  if (!std::equal(std::begin(ha.g), std::end(ha.g), std::begin(hb.g)) || ha.gl != hb.gl ||
      ha.gr != hb.gr || ha.single_shift != hb.single_shift)
    return differ("charsets");
  if (!(ha.saved == hb.saved)) {
    auto sc = [](const detail::SavedCursor& x) {
      return std::to_string(x.valid) + "@" + std::to_string(x.row) + "," + std::to_string(x.col) +
             " pen " + std::to_string(pack_pen(x.pen)) + " v" + std::to_string(x.visible) + " b" +
             std::to_string(x.blink) + " s" + std::to_string(x.shape);
    };
    return differ("saved cursor " + sc(ha.saved) + " vs " + sc(hb.saved));
  }
  if (!(ha == hb)) return differ("modes");
  if (a.phantom() != b.phantom()) return differ("pending wrap");
  if (!(a.glyph_ == b.glyph_)) {
    auto g = [](const LastGlyph& x) {
      return std::to_string(x.valid) + "@" + std::to_string(x.row) + "," + std::to_string(x.col) +
             " w" + std::to_string(x.width) + " U+" + std::to_string(x.chars[0]) + "+" +
             std::to_string(x.chars[1]);
    };
    return differ("combining base glyph " + g(a.glyph_) + " vs " + g(b.glyph_));
  }
  if (a.shadow_.idle() != b.shadow_.idle()) return differ("parser state");
  for (int buf = 0; buf < 2; ++buf) {
    const Buffer which = buf == 0 ? Buffer::primary : Buffer::alternate;
    for (int r = 0; r < a.rows_; ++r) {
      if (a.screens_[buf].row(r).line_info != b.screens_[buf].row(r).line_info)
        return differ("line attributes of row " + std::to_string(r));
      if (a.screens_[buf].row(r).wrapped != b.screens_[buf].row(r).wrapped)
        return differ("continuation of row " + std::to_string(r));
      for (int c = 0; c < a.cols_; ++c) {
        if (!(cell(which, r, c) == other.cell(which, r, c)))
          return differ(std::string(buf == 0 ? "primary" : "alternate") + " cell " +
                        std::to_string(r) + "," + std::to_string(c) + " (row \"" +
                        row_text(which, r) + "\" vs \"" + other.row_text(which, r) + "\")");
      }
      // The same cells must read as the same text (it may come from bytes kept beside them).
      if (row_text(which, r) != other.row_text(which, r))
        return differ(std::string(buf == 0 ? "primary" : "alternate") + " text of row " +
                      std::to_string(r) + " (\"" + row_text(which, r) + "\" vs \"" +
                      other.row_text(which, r) + "\")");
    }
  }
  return true;
}

}  // namespace tap::term
