#include "shadow.hpp"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tap::term::detail {
namespace {

constexpr unsigned char kEsc = 0x1B, kSo = 0x0E, kSi = 0x0F, kCan = 0x18, kSub = 0x1A, kBel = 0x07;

// First byte in [p, end) that is ESC, SO, SI or >= 0x80 (the only bytes of ground state that
// change hidden state: UTF-8 decoding is state too), or end.
const char* find_special(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i esc = _mm_set1_epi8(static_cast<char>(kEsc));
  const __m128i so = _mm_set1_epi8(static_cast<char>(kSo));
  const __m128i si = _mm_set1_epi8(static_cast<char>(kSi));
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, esc),
                             _mm_or_si128(_mm_cmpeq_epi8(v, so), _mm_cmpeq_epi8(v, si)));
    int mask = _mm_movemask_epi8(m) | _mm_movemask_epi8(v);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == kEsc || c == kSo || c == kSi || c >= 0x80) return p;
  }
  return end;
}

int utf8_length(unsigned char lead) {
  if (lead < 0xC0) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF8) return 4;
  if (lead < 0xFC) return 5;
  if (lead < 0xFE) return 6;
  return 0;
}

}  // namespace

void Hidden::reset(int cols) {
  const SavedCursor keep = saved;  // a reset does not forget the saved cursor
  *this = Hidden{};
  saved = keep;
  tabs.assign(cols, 0);
  for (int c = 8; c < cols; c += 8) tabs[c] = 1;
}

void Hidden::resize(int old_cols, int cols, int rows, bool& rows_guessed, bool& cols_guessed) {
  tabs.resize(cols, 0);
  // New columns get the default stops.
  for (int c = (old_cols + 7) / 8 * 8; c < cols; c += 8)
    if (c >= old_cols) tabs[c] = 1;
  // What libvterm 0.1.4 makes of a region the screen no longer holds is partly guessed here:
  // such a state is not keyframe-safe until the region (or margins) are set again.
  if (bottom > rows || top >= region_bottom(rows)) rows_guessed = true;
  if (right > cols || left >= region_right(cols)) cols_guessed = true;
  if (bottom > rows) bottom = rows;
  if (right > cols) right = cols;
  if (top >= region_bottom(rows)) {
    top = 0;
    bottom = -1;
  }
  if (left >= region_right(cols)) {
    left = 0;
    right = -1;
  }
}

void Shadow::control(unsigned char c) {
  if (c == kSo) hidden.gl = 1;
  else if (c == kSi) hidden.gl = 0;
}

void Shadow::reset_decoders() {
  // RIS re-initialises G0-G3's decoders, not the one for runs that start high (libvterm
  // 0.1.4's vterm_state_reset initialises its four charsets only).
  for (int i = 0; i < 4; ++i) need_[i] = 0;
  shift_ = 0;
  run_ = kNone;
  shift_run_ = false;
}

bool Shadow::utf8_pending() const {
  if (need_[kHigh] != 0) return true;
  for (int i = 0; i < 4; ++i)
    if (need_[i] != 0 && utf8_decoder(i)) return true;
  return false;
}

namespace {

// One byte into a libvterm 0.1.4 UTF-8 decoder with `need` continuation bytes outstanding;
// returns how many code points it emits (a printable ASCII byte after a lead emits U+FFFD and
// itself; 0xFE and 0xFF emit U+FFFD and leave a pending character alone).
int utf8_step(uint8_t& need, unsigned char c) {
  if (c < 0x80) {
    const int n = need != 0 ? 2 : 1;
    need = 0;
    return n;
  }
  if (c < 0xC0) {
    if (need == 0) return 1;
    return --need == 0 ? 1 : 0;
  }
  if (c < 0xFE) {
    const int n = need != 0 ? 1 : 0;
    need = static_cast<uint8_t>(utf8_length(c) - 1);
    return n;
  }
  return 1;
}

bool printable(unsigned char c) { return c >= 0x20 && c != 0x7F; }

}  // namespace

// A byte of the run in progress (run_ != kNone).
void Shadow::decode(unsigned char c) {
  if (!shift_run_) {
    if (utf8_decoder(run_)) utf8_step(need_[run_], c);
    return;
  }
  // A single shift's run ends with its first code point (libvterm gives the decoder a limit
  // of one). A table decoder takes one byte, read as its GR half when >= 0x80; a C1 value
  // there gives nothing: the byte is dropped and the shift still waits.
  bool done = true;
  if (utf8_decoder(run_)) {
    done = utf8_step(need_[run_], c) > 0;
  } else {
    const unsigned char x = c & 0x7F;
    if (x < 0x20 || x == 0x7F) {
      run_ = kNone;
      shift_run_ = false;
      return;
    }
  }
  if (done) {
    shift_ = 0;
    hidden.single_shift = false;
    run_ = kNone;
    shift_run_ = false;
  }
}

// A printable byte of ground state (ASCII or >= 0x80).
void Shadow::glyph_byte(unsigned char c) {
  // A table decoder's run stops at a byte of the other half (GL runs start with ASCII).
  if (c >= 0x80 && run_ != kNone && !shift_run_ && !utf8_decoder(run_)) run_ = kNone;
  if (run_ == kNone) {
    if (shift_ != 0) {
      run_ = static_cast<int8_t>(shift_);
      shift_run_ = true;
    } else {
      run_ = static_cast<int8_t>(c >= 0x80 ? kHigh : hidden.gl);
    }
  }
  decode(c);
}

// Ground-state bytes [a, b) without ESC, SO, SI or bytes >= 0x80: ASCII text and other
// controls (a control ends a run). With nothing pending only the run in progress before a
// byte >= 0x80 matters, and the last control tells it.
void Shadow::text_bytes(const char* a, const char* b, bool high_next) {
  if (a == b) return;
  if (shift_ != 0 || utf8_pending()) {
    for (; a < b; ++a) {
      const unsigned char c = static_cast<unsigned char>(*a);
      if (printable(c)) {
        glyph_byte(c);
      } else {
        run_ = kNone;
        shift_run_ = false;
      }
    }
    return;
  }
  if (!high_next) {  // ESC, SO, SI or the end of the write comes next: the run ends there
    run_ = kNone;
    return;
  }
  const char* x = b;
  while (x > a && printable(static_cast<unsigned char>(x[-1]))) --x;
  if (x > a) run_ = x < b ? static_cast<int8_t>(hidden.gl) : kNone;
  else if (run_ == kNone) run_ = static_cast<int8_t>(hidden.gl);
}

void Shadow::scan(const char* p, size_t n, ShadowHost& host) {
  const char* const begin = p;
  const char* const end = p + n;
  while (p < end) {
    if (state_ == State::ground) {
      const char* q = find_special(p, end);
      if (static_cast<size_t>(q - p) >= ShadowHost::kTextRun && idle() && shift_ == 0) {
        const size_t at = static_cast<size_t>(p - begin), before = host.fed();
        host.text(at, static_cast<size_t>(q - begin));
        const size_t fed = host.fed();
        if (fed != before && fed >= at) {
          // libvterm's last write ended there (the host applied [at, fed) itself): what
          // follows starts a new run.
          run_ = kNone;
          p = begin + fed;
        }
      }
      text_bytes(p, q, q < end && static_cast<unsigned char>(*q) >= 0x80);
      if (q == end) {
        p = end;
        break;
      }
      unsigned char c = static_cast<unsigned char>(*q);
      p = q + 1;
      if (c >= 0x80) {
        glyph_byte(c);
        continue;
      }
      run_ = kNone;
      shift_run_ = false;
      if (c == kEsc) {
        state_ = State::esc;
        ninter_ = 0;
      } else {
        control(c);
      }
      continue;
    }
    unsigned char c = static_cast<unsigned char>(*p++);
    switch (state_) {
      case State::ground:
        break;
      case State::esc:
        if (c == kCan || c == kSub) {
          state_ = State::ground;
        } else if (c == kEsc) {
          ninter_ = 0;
        } else if (c < 0x20) {
          control(c);
        } else if (c == '[') {
          // libvterm 0.1.4 starts CSI, OSC and DCS at these bytes whatever intermediates came.
          state_ = State::csi;
          nparams_ = 0;
          leader_ = 0;
          nleader_ = 0;
          in_args_ = false;
          ninter_ = 0;
          param_started_ = false;
          separators_ = 0;
          std::fill(std::begin(params_), std::end(params_), -1);
        } else if (c == ']' || c == 'P') {
          state_ = State::str;
        } else if (c < 0x30) {
          if (ninter_ < 2) inter_[ninter_] = static_cast<char>(c);
          ++ninter_;
        } else if (c < 0x7F) {
          // ESC X, ESC ^ and ESC _ are C1 controls libvterm 0.1.4 ignores, not strings.
          state_ = State::ground;
          esc_final(c, static_cast<size_t>(p - begin), host);
        }
        // DEL and bytes >= 0x80 inside an escape are ignored.
        break;
      case State::csi:
      case State::csi_inter:
        if (dropping_) {
          const size_t at = static_cast<size_t>(p - begin);
          if (c == kEsc) {
            host.skip(at - 1);  // the ESC starts a new sequence libvterm must see
            dropping_ = false;
            state_ = State::esc;
            ninter_ = 0;
          } else {
            host.skip(at);
            if (c == kCan || c == kSub || (c >= 0x40 && c < 0x7F)) {
              dropping_ = false;
              state_ = State::ground;
            }
          }
          break;
        }
        if (c == kCan || c == kSub) {
          state_ = State::ground;
          break;
        }
        if (c == kEsc) {
          state_ = State::esc;
          ninter_ = 0;
          break;
        }
        if (c < 0x20) {
          control(c);
          break;
        }
        if (c == 0x7F) break;  // DEL is ignored everywhere
        // libvterm 0.1.4's CSI grammar: leader bytes first, then arguments, then intermediates
        // and the final byte; any other byte ends the sequence unexecuted.
        if (state_ == State::csi) {
          if (!in_args_ && c >= 0x3C && c <= 0x3F) {
            if (nleader_++ == 0) leader_ = static_cast<char>(c);
            break;
          }
          in_args_ = true;
          if (c >= '0' && c <= '9') {
            if (!param_started_) {
              param_started_ = true;
              nparams_ = std::max<uint8_t>(nparams_, 1);
            }
            int& v = params_[nparams_ - 1 < kMaxParams ? nparams_ - 1 : kMaxParams - 1];
            if (v < 0) v = 0;
            if (v < 100000) v = v * 10 + (c - '0');
            break;
          }
          if (c == ';' || c == ':') {
            if (++separators_ >= kLibvtermMaxArgs) {
              const size_t at = static_cast<size_t>(p - begin);
              host.sync(at - 1);
              host.cancel();
              host.skip(at);
              dropping_ = true;
              break;
            }
            if (!param_started_) {
              param_started_ = true;
              nparams_ = 1;
            }
            if (nparams_ < 255) ++nparams_;
            break;
          }
          state_ = State::csi_inter;
        }
        if (c < 0x30) {
          if (ninter_ < 2) inter_[ninter_] = static_cast<char>(c);
          ++ninter_;
        } else if (c >= 0x40 && c < 0x7F) {
          state_ = State::ground;
          // libvterm ignores a CSI with more than one leader byte.
          if (nleader_ <= 1) csi_final(c, static_cast<size_t>(p - begin), host);
        } else {
          state_ = State::ground;  // an invalid CSI: libvterm drops it
        }
        break;
      case State::str:
        if (c == kBel || c == kCan || c == kSub) {
          state_ = State::ground;
        } else if (c == kEsc) {
          state_ = State::str_esc;
        } else if (c < 0x20) {
          control(c);  // libvterm executes C0 controls inside strings, SO and SI too
        }
        break;
      case State::str_esc:
        if (c == '\\') {
          state_ = State::ground;
        } else {
          // libvterm 0.1.4 ends the string at an ESC not followed by '\\' and reads that ESC
          // as the start of a new sequence (a CSI begun there reaches its argument array):
          // the byte is read again as the one after ESC.
          state_ = State::esc;
          ninter_ = 0;
          --p;
        }
        break;
    }
  }
  // libvterm's write ends with the piece: the next byte starts a new run.
  run_ = kNone;
  shift_run_ = false;
}

void Shadow::esc_final(unsigned char c, size_t end, ShadowHost& host) {
  Hidden& h = hidden;
  if (ninter_ == 1) {
    int which = -1;
    switch (inter_[0]) {
      case '(': which = 0; break;
      case ')': which = 1; break;
      case '*': which = 2; break;
      case '+': which = 3; break;
      default: break;
    }
    if (inter_[0] == '#' && c == '8') {
      host.alignment(end);
      return;
    }
    if (which >= 0 && (c == '0' || c == 'A' || c == 'B')) {
      h.g[which] = static_cast<char>(c);
      h.designated |= static_cast<uint8_t>(1u << which);
      need_[which] = 0;  // a table now; its UTF-8 decoder is re-initialised by the next reset
    }
    return;
  }
  if (ninter_ != 0) return;
  switch (c) {
    case '7': {
      host.sync(end);
      host.capture_saved(h.saved);
      break;
    }
    case '8':
      host.sync(end);
      host.confine_cursor();
      break;
    case 'c':
      host.sync(end);
      h.reset(host.cols());
      reset_decoders();
      rows_guessed = cols_guessed = false;
      break;
    case '=': h.keypad = true; break;
    case '>': h.keypad = false; break;
    case 'n': h.gl = 2; break;
    case 'o': h.gl = 3; break;
    case '~': h.gr = 1; break;
    case '}': h.gr = 2; break;
    case '|': h.gr = 3; break;
    case 'N':
    case 'O':
      // Until a character is decoded with that set (glyph_byte).
      shift_ = c == 'N' ? 2 : 3;
      h.single_shift = true;
      break;
    case 'H': {
      host.sync(end);
      int row = 0, col = 0;
      host.cursor(row, col);
      if (col >= 0 && col < static_cast<int>(h.tabs.size())) h.tabs[col] = 1;
      break;
    }
    default: break;
  }
}

void Shadow::csi_final(unsigned char c, size_t end, ShadowHost& host) {
  Hidden& h = hidden;
  const int n = std::min<int>(nparams_, kMaxParams);
  auto arg = [&](int i, int def) { return i < n && params_[i] >= 0 ? params_[i] : def; };
  // libvterm 0.1.4 applies only the first argument of SM/RM and DECSET/DECRST.
  if (leader_ == '?' && ninter_ == 0 && (c == 'h' || c == 'l')) {
    const bool on = c == 'h';
    for (int i = 0; i < 1; ++i) {
      switch (arg(i, -1)) {
        case 1: h.decckm = on; break;
        case 6: h.decom = on; break;
        case 7: h.decawm = on; break;
        case 69: h.declrmm = on; break;
        case 1004: h.focus = on; break;
        case 1005: h.mouse_protocol = on ? 1 : 0; break;
        case 1006: h.mouse_protocol = on ? 2 : 0; break;
        case 1015: h.mouse_protocol = on ? 3 : 0; break;
        case 2004: h.paste = on; break;
        case 1048:
        case 1049:
          if (on) {
            // What libvterm saves is the cursor before the sequence: 1049 then switches
            // buffers, which may move the cursor (into the margins).
            host.sync(end - 1);
            host.capture_saved(h.saved);
          }
          break;
        default: break;
      }
    }
    return;
  }
  if (leader_ != 0) return;
  if (ninter_ == 0 && c == 'b') {
    // REP before any glyph of non-zero width: libvterm 0.1.4 would repeat a zero-width glyph
    // forever (a hang on untrusted input). Cancelled: it would have printed nothing.
    host.sync(end - 1);
    if (!host.can_repeat()) {
      host.cancel();
      host.skip(end);
    } else {
      host.repeat(end);
    }
    return;
  }
  if (ninter_ == 0) {
    switch (c) {
      case 'h':
      case 'l':
        if (arg(0, -1) == 4) h.irm = c == 'h';
        if (arg(0, -1) == 20) h.lnm = c == 'h';
        break;
      case 'r': {
        const int rows = host.rows();
        int top = std::clamp(arg(0, 1) - 1, 0, rows);
        int bottom = (n < 2 || params_[1] < 0) ? -1 : params_[1];
        if (bottom < -1) bottom = -1;
        if (top == 0 && bottom == rows) bottom = -1;
        else if (bottom > rows) bottom = rows;
        if ((bottom < 0 ? rows : bottom) <= top) {
          top = 0;
          bottom = -1;
        }
        h.top = top;
        h.bottom = bottom;
        rows_guessed = false;
        break;
      }
      case 's':
        // libvterm 0.1.4 takes CSI s as DECSLRM whether or not DECLRMM is set (the margins
        // apply only while it is); it has no SCOSC.
        {
          const int cols = host.cols();
          int left = std::clamp(arg(0, 1) - 1, 0, cols);
          int right = (n < 2 || params_[1] < 0) ? -1 : params_[1];
          if (right < -1) right = -1;
          if (left == 0 && right == cols) right = -1;
          else if (right > cols) right = cols;
          if ((right < 0 ? cols : right) <= left) {
            left = 0;
            right = -1;
          }
          h.left = left;
          h.right = right;
          cols_guessed = false;
        }
        break;
      case 'g': {
        const int mode = arg(0, 0);
        if (mode == 3 || mode == 5) {  // libvterm 0.1.4 clears them all for 5 as well
          std::fill(h.tabs.begin(), h.tabs.end(), 0);
        } else if (mode == 0) {
          // libvterm clears the stop at the cursor's column as the sequence executes and only
          // then bounds the cursor, as after every CSI (to the margins under DECOM, to half the
          // columns on a double-width line): read the cursor before the final byte.
          host.sync(end - 1);
          int row = 0, col = 0;
          host.cursor(row, col);
          if (col >= 0 && col < static_cast<int>(h.tabs.size())) h.tabs[col] = 0;
        }
        break;
      }
      default: break;
    }
    return;
  }
  // DECSTR (CSI ! p) is not implemented by libvterm 0.1.4: it changes nothing, here neither.
  if (ninter_ == 1 && inter_[0] == '"' && c == 'q') {  // DECSCA
    const int v = arg(0, 0);
    h.protect = v == 1;
  }
}

}  // namespace tap::term::detail
