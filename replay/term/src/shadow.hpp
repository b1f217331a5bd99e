// The part of the terminal's state that libvterm 0.1.4 keeps but does not expose: scroll
// region, modes, tab stops, charsets, the saved cursor, protected-pen, and whether its parser
// is between sequences. A small scanner of our own reads the same bytes as libvterm and
// interprets only the few sequences that set these (docs/term.md §Hidden state). Text is
// skipped with a vector search for the three bytes that matter there (ESC, SO, SI), so the
// scan costs little beside libvterm's own parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tap/term/terminal.hpp"

namespace tap::term::detail {

struct SavedCursor {
  bool valid = false;  // DECSC seen since creation
  int row = 0, col = 0;
  Pen pen;
  bool visible = true, blink = true;
  int shape = 1;

  bool operator==(const SavedCursor&) const = default;
};

struct Hidden {
  int top = 0, bottom = -1;   // DECSTBM rows [top, bottom); -1: the last row, follows resizes
  int left = 0, right = -1;   // DECSLRM columns, in force while declrmm
  bool decckm = false, decom = false, decawm = true, declrmm = false, irm = false, lnm = false;
  bool keypad = false, paste = false, focus = false, protect = false;
  uint8_t mouse_protocol = 0;  // 0 X10, 1 UTF-8 (1005), 2 SGR (1006), 3 rxvt (1015)
  std::vector<uint8_t> tabs;   // one per column
  char g[4] = {'B', 'B', 'B', 'B'};
  uint8_t gl = 0, gr = 1;
  // Bit i: Gi was designated since the last reset. libvterm 0.1.4 starts (and resets) G0-G3 as
  // UTF-8 decoders, each with its own partial character; a designated set ("ESC ( B" too) is a
  // table that decodes no UTF-8. An undesignated set reads as 'B' in g[].
  uint8_t designated = 0;
  bool single_shift = false;   // SS2/SS3 waiting for its character
  SavedCursor saved;

  bool operator==(const Hidden&) const = default;
  void reset(int cols);
  // Sets the flags when the region or margins had to be adjusted (partly guessed).
  void resize(int old_cols, int cols, int rows, bool& rows_guessed, bool& cols_guessed);
  int region_bottom(int rows) const { return bottom < 0 ? rows : bottom; }
  int region_right(int cols) const { return right < 0 ? cols : right; }
};

// What the scanner needs from the terminal at the moment a sequence completes.
class ShadowHost {
 public:
  virtual ~ShadowHost() = default;
  // libvterm must have consumed the input up to (not including) byte `end` of the piece.
  virtual void sync(size_t end) = 0;
  // Bytes of the piece before `end` that were not yet given to libvterm never will be.
  virtual void skip(size_t end) = 0;
  // Aborts the sequence libvterm is parsing (CAN).
  virtual void cancel() = 0;
  virtual void cursor(int& row, int& col) = 0;
  virtual void capture_saved(SavedCursor& saved) = 0;
  // After DECRC: libvterm 0.1.4 puts back a saved cursor that a resize left outside the screen
  // as it is, then reads and writes its line table there (past its end). The host brings the
  // cursor in as libvterm's own CSI handling would.
  virtual void confine_cursor() = 0;
  // DECALN (ESC # 8) ends at byte `end`: libvterm 0.1.4 fills the screen with E through its
  // glyph callback but leaves its last glyph (combining base, REP) and pending wrap alone.
  virtual void alignment(size_t end) = 0;
  // REP ends at byte `end` (and libvterm holds a glyph to repeat).
  virtual void repeat(size_t end) = 0;
  virtual int cols() const = 0;
  virtual int rows() const = 0;
  // Bytes [from, to) of the piece are ground-state text without ESC, SO, SI or bytes >= 0x80,
  // at least kTextRun long: the host may apply a prefix of them itself (skipping libvterm).
  virtual void text(size_t from, size_t to) = 0;
  // Bytes of the piece given to libvterm so far (the end of its last write).
  virtual size_t fed() const = 0;
  // libvterm holds a last glyph of non-zero width (REP repeats it; without one, libvterm 0.1.4
  // loops forever on REP).
  virtual bool can_repeat() const = 0;
  static constexpr size_t kTextRun = 48;
};

class Shadow {
 public:
  enum class State : uint8_t { ground, esc, csi, csi_inter, str, str_esc };

  // Scans one piece; calls host.sync() where a sequence needs libvterm's state at that point.
  void scan(const char* p, size_t n, ShadowHost& host);
  // True when the parser is between sequences and no UTF-8 decoder holds part of a character.
  bool idle() const { return state_ == State::ground && !utf8_pending(); }
  // Called when the state is reset (RIS): G0-G3 become fresh UTF-8 decoders.
  void reset_decoders();

  Hidden hidden;
  // A resize cut the scroll region or margins; not keyframe-safe until they are set again.
  bool rows_guessed = false, cols_guessed = false;

  State state() const { return state_; }

 private:
  void esc_final(unsigned char c, size_t end, ShadowHost& host);
  void csi_final(unsigned char c, size_t end, ShadowHost& host);
  void control(unsigned char c);
  // Text, as libvterm 0.1.4 decodes it (docs/term.md, "UTF-8 decoding"): each call of its text
  // callback takes a run of bytes with one decoder, chosen by the run's first byte.
  void text_bytes(const char* a, const char* b, bool high_next);
  void glyph_byte(unsigned char c);
  void decode(unsigned char c);
  bool utf8_decoder(int d) const { return d == kHigh || (hidden.designated & (1u << d)) == 0; }
  bool utf8_pending() const;

  State state_ = State::ground;
  // Continuation bytes each of libvterm's UTF-8 decoders still expects: G0-G3's own (while not
  // designated) and kHigh, the one for runs that start with a byte >= 0x80.
  static constexpr int kHigh = 4, kNone = -1;
  uint8_t need_[5] = {};
  int8_t run_ = kNone;      // decoder of the text run libvterm is in (0-3: Gn, kHigh), or kNone
  bool shift_run_ = false;  // that run is a single shift's (it ends with its first character)
  uint8_t shift_ = 0;       // 2 or 3: SS2/SS3 waiting
  uint8_t nparams_ = 0;
  char leader_ = 0;
  uint8_t nleader_ = 0;
  bool in_args_ = false;    // past the CSI leader bytes
  char inter_[2] = {0, 0};
  uint8_t ninter_ = 0;
  bool param_started_ = false;
  // libvterm 0.1.4 writes past its argument array on a CSI with more than 16 arguments
  // (a crash on untrusted input): such a sequence is cancelled and never reaches it.
  static constexpr int kLibvtermMaxArgs = 16;
  int separators_ = 0;
  bool dropping_ = false;
  static constexpr int kMaxParams = 16;
  int params_[kMaxParams] = {};
};

}  // namespace tap::term::detail
