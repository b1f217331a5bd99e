#include "tap/term/rendered_lines.hpp"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tap/support/hash.hpp"

namespace tap::term {

namespace {

using term::Buffer;

// FNV-1a: rows are short and this only has to tell rows apart before a full compare.
uint64_t hash_text(std::string_view s) { return fnv1a(s); }

size_t seq_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  return i + n <= s.size() ? n : s.size() - i;
}

// True when `next` keeps every non-blank character of `prev` in its place: the row only gained
// text in blank cells (typing at a prompt, a screen painted out of order), nothing was lost.
bool covers(std::string_view prev, std::string_view next) {
  size_t i = 0, j = 0;
  while (i < prev.size()) {
    const size_t lp = seq_len(prev, i);
    const size_t ln = j < next.size() ? seq_len(next, j) : 0;
    if (!(lp == 1 && prev[i] == ' ')) {
      if (ln != lp || std::memcmp(prev.data() + i, next.data() + j, lp) != 0) return false;
    }
    i += lp;
    j += ln;
  }
  return true;
}

// The first byte at or after `i` that pure_output must look at: a C0 control other than the
// harmless BEL..CR (0x07-0x0d: bell, backspace, tab, line feeds, carriage return), DEL, or
// 0xC2 (the lead byte of a C1 control in UTF-8). Text and line ends are skipped 16 or 32 bytes
// at a time: every output byte passes here, so this runs at memory speed.
size_t next_special_tail(const char* p, size_t n, size_t i) {
#if defined(__SSE2__)
  const __m128i k1f = _mm_set1_epi8(0x1f), k7f = _mm_set1_epi8(0x7f),
                kc2 = _mm_set1_epi8(static_cast<char>(0xc2)), k07 = _mm_set1_epi8(0x07),
                k06 = _mm_set1_epi8(0x06);
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, k1f), x);  // x <= 0x1f, unsigned
    const __m128i t = _mm_sub_epi8(x, k07);
    const __m128i harmless = _mm_cmpeq_epi8(_mm_min_epu8(t, k06), t);  // 0x07 <= x <= 0x0d
    const __m128i hit = _mm_or_si128(_mm_andnot_si128(harmless, ctl),
                                     _mm_or_si128(_mm_cmpeq_epi8(x, k7f), _mm_cmpeq_epi8(x, kc2)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if ((c < 0x20 && !(c >= 0x07 && c <= 0x0d)) || c == 0x7f || c == 0xc2) return i;
  }
  return n;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) size_t next_special_avx2(const char* p, size_t n, size_t i) {
  const __m256i k1f = _mm256_set1_epi8(0x1f), k7f = _mm256_set1_epi8(0x7f),
                kc2 = _mm256_set1_epi8(static_cast<char>(0xc2)), k07 = _mm256_set1_epi8(0x07),
                k06 = _mm256_set1_epi8(0x06);
  for (; i + 32 <= n; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(x, k1f), x);
    const __m256i t = _mm256_sub_epi8(x, k07);
    const __m256i harmless = _mm256_cmpeq_epi8(_mm256_min_epu8(t, k06), t);
    const __m256i hit = _mm256_or_si256(
        _mm256_andnot_si256(harmless, ctl),
        _mm256_or_si256(_mm256_cmpeq_epi8(x, k7f), _mm256_cmpeq_epi8(x, kc2)));
    const auto mask = static_cast<unsigned>(_mm256_movemask_epi8(hit));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  return next_special_tail(p, n, i);
}
const bool kAvx2 = __builtin_cpu_supports("avx2");
#endif

size_t next_special(const char* p, size_t n, size_t i) {
#if defined(__x86_64__)
  if (kAvx2) return next_special_avx2(p, n, i);
#endif
  return next_special_tail(p, n, i);
}

// True when `bytes` can only change the cursor's row and the rows below it, and scroll: text,
// CR, LF, VT, FF, TAB, BS, BEL, and CSI sequences without a private marker that end in
// m (colours), K (erase in the line), C, D or G (moves within the line). C1 controls (as UTF-8)
// and anything else make the event impure.
bool pure_output(std::string_view bytes) {
  const size_t n = bytes.size();
  for (size_t i = 0; (i = next_special(bytes.data(), n, i)) < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == 0xc2) {
      if (i + 1 < n) {
        const auto d = static_cast<unsigned char>(bytes[i + 1]);
        if (d >= 0x80 && d <= 0x9f) return false;  // a C1 control such as CSI
      }
      continue;
    }
    if (c != 0x1b) return false;  // another C0 control or DEL
    if (i + 1 >= n || bytes[i + 1] != '[') return false;
    size_t j = i + 2;
    while (j < n && ((bytes[j] >= '0' && bytes[j] <= '9') || bytes[j] == ';' || bytes[j] == ':')) ++j;
    if (j >= n) return false;  // cut off: the next event continues it
    const char f = bytes[j];
    if (f != 'm' && f != 'K' && f != 'C' && f != 'D' && f != 'G') return false;
    i = j;
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

RenderedLines::RenderedLines(LineConsumer& out, bool lazy) : out_(out), lazy_(lazy) {}

RenderedLines::~RenderedLines() {
  if (term_) term_->set_line_sink(nullptr);
}

void RenderedLines::apply(const format::Event& event) {
  switch (event.kind()) {
    case format::EventKind::output:
      output(event.time, event.get<format::Output>()->data);
      break;
    case format::EventKind::resize: {
      const auto* r = event.get<format::Resize>();
      resize(event.time, r->cols, r->rows);
      break;
    }
    case format::EventKind::keyframe:
      // Only a keyframe before any output matters: a segment that starts mid-session.
      if (!term_) restore(event.time, event.get<format::Keyframe>()->state);
      break;
    default:
      break;
  }
}

void RenderedLines::ensure_terminal(int cols, int rows) {
  if (term_) return;
  term_.emplace(cols, rows);
  term_->set_line_sink(this);
  snapshot_all(now_);
}

void RenderedLines::snapshot_all(format::Nanos time) {
  const int rows = term_->rows();
  for (int b = 0; b < 2; ++b) {
    const auto buf = static_cast<Buffer>(b);
    Screen& s = screens_[b];
    s.rows.assign(static_cast<size_t>(rows));
    s.last_in_place.assign(rows, std::string());
    s.pending.set = false;
    for (int r = 0; r < rows; ++r) {
      Row& row = s.rows[r];
      row.text = term_->row_text(buf, r);
      row.hash = hash_text(row.text);
      row.gen = term_->row_generation(buf, r);
      s.max_gen = std::max(s.max_gen, row.gen);
      row.since = time;
      row.cont = term_->row_continues(buf, r);
      row.pad = row.cont ? trailing_blanks(buf, r) : 0;
    }
  }
  alt_ = term_->alt_screen();
}

bool RenderedLines::restore(format::Nanos time, std::string_view state) {
  auto restored = term::Terminal::restore(state);
  if (!restored.ok()) return false;
  if (term_) term_->set_line_sink(nullptr);
  term_.emplace(std::move(restored).value());
  term_->set_line_sink(this);
  now_ = time;
  snapshot_all(time);
  return true;
}

void RenderedLines::output(format::Nanos time, std::string_view bytes) {
  now_ = time;
  ensure_terminal(80, 24);  // no size known yet: the usual default
  const Buffer shown = term_->alt_screen() ? Buffer::alternate : Buffer::primary;
  // The parser must be between sequences too: an event may finish one the last one began.
  if (lazy_ && term_->keyframe_safe() && pure_output(bytes)) {
    const int rows = term_->rows();
    const int cursor_row = std::max(0, term_->cursor().row);
    const uint64_t scrolled = term_->scrolled_lines();
    const uint64_t screen_scrolled = term_->screen_scrolls(shown);
    for (int r = cursor_row; r < rows; ++r) ensure_known(shown, r);
    term_->feed(bytes);
    if (term_->alt_screen() == alt_) {
      // Without a scroll (of any region, any width) such an event changed no row above the
      // cursor's: only those need a look (typing at a prompt touches one row, not the screen).
      const uint64_t moved = term_->screen_scrolls(shown) - screen_scrolled;
      reconcile_lazy(shown, time, term_->scrolled_lines() == scrolled ? cursor_row : 0,
                     moved < static_cast<uint64_t>(rows) ? static_cast<int>(moved) : rows);
      return;
    }
    // Cannot happen for a pure event; if it does, fall through to the full comparison.
  } else {
    ensure_all_known(Buffer::primary);
    ensure_all_known(Buffer::alternate);
    term_->feed(bytes);
  }
  const bool alt_now = term_->alt_screen();
  const bool changed_primary = reconcile(Buffer::primary, time, false);
  const bool changed_alt = reconcile(Buffer::alternate, time, false);
  // Rows of the buffer that is not shown left the screen at a switch (or changed unseen).
  const bool hidden_changed = alt_now ? changed_primary : changed_alt;
  if (alt_now != alt_ || hidden_changed) emit_all(alt_now ? Buffer::primary : Buffer::alternate);
  alt_ = alt_now;
}

void RenderedLines::ensure_known(Buffer buffer, int row) {
  Row& r = screens_[static_cast<int>(buffer)].rows[row];
  if (r.known) return;
  term_->row_text(buffer, row, r.text);
  r.hash = hash_text(r.text);
  r.known = true;
}

void RenderedLines::ensure_all_known(Buffer buffer) {
  Screen& s = screens_[static_cast<int>(buffer)];
  for (size_t r = 0; r < s.rows.size(); ++r) {
    if (!s.rows[r].known) ensure_known(buffer, static_cast<int>(r));
  }
}

void RenderedLines::resize(format::Nanos time, int cols, int rows) {
  now_ = time;
  if (!term_) {
    ensure_terminal(cols, rows);
    return;
  }
  if (cols == term_->cols() && rows == term_->rows()) return;  // shells re-send the same size
  ensure_all_known(Buffer::primary);
  ensure_all_known(Buffer::alternate);
  emit_all(Buffer::primary);
  emit_all(Buffer::alternate);
  term_->resize(cols, rows);
  reconcile(Buffer::primary, time, true);
  reconcile(Buffer::alternate, time, true);
  alt_ = term_->alt_screen();
}

void RenderedLines::finish(format::Nanos time) {
  if (!term_) return;
  now_ = time;
  const bool alt = term_->alt_screen();
  emit_all(alt ? Buffer::primary : Buffer::alternate);
  emit_all(alt ? Buffer::alternate : Buffer::primary);
}

void RenderedLines::scrolled_out(Buffer buffer, int row, std::string_view text, int text_pad) {
  Screen& s = screens_[static_cast<int>(buffer)];
  // The k-th line scrolled out of a region during one event was row top + k before it,
  // unless it was written during the event itself.
  int idx = row;
  if (s.scrolled > 0 && row == s.scroll_top) idx = s.scroll_next;
  s.scroll_top = row;
  s.scroll_next = idx + 1;
  ++s.scrolled;
  format::Nanos since = now_;
  // The line above, scrolled out during this event, wraps into this one.
  const bool joins = s.pending.set && s.pending_idx == idx;
  Head none;
  Head* head = joins ? &s.pending : &none;
  // The old row's own head, unless the line above just joined it (then that one is stale).
  auto take_head = [this](Row& old, bool joined, Head*& to) {
    if (joined) flush_head(old.head);
    else to = &old.head;
  };
  if (idx >= 0 && static_cast<size_t>(idx) < s.rows.size()) {
    Row& old = s.rows[idx];
    if (!old.resolved) {
      if (!old.known || old.text == text) {
        // Unread because nothing but scrolling could touch it, or read and unchanged: either
        // way this is its text.
        old.resolved = true;
        // Already emitted at a switch or resize and unchanged since (with the rows it wraps
        // into, if any): nothing new, unless rows above wrapped into it after that.
        if (old.emitted && !old.head.set && !joins) return;
        since = old.since;
        take_head(old, joins, head);
      } else if (covers(old.text, text)) {
        old.resolved = true;  // completed during this event (a line cut across reads), then scrolled
        take_head(old, joins, head);
      }
    }
  }
  // A soft-wrapped line: the row below continues this text. It is held until that row
  // scrolls out too, or, at the end of the event, given to the row at the top of the region.
  Head* next = nullptr;
  int pad = 0;
  if (term_->row_continues(buffer, row)) {
    next = &s.pending;
    s.pending_idx = idx + 1;
    pad = text_pad;
  }
  emit(*head, text, since, next, pad);
}

int RenderedLines::trailing_blanks(Buffer buffer, int row) const {
  return term_->trailing_blanks(buffer, row);
}

void RenderedLines::emit(Head& head, std::string_view text, format::Nanos since, Head* next, int pad) {
  std::string_view line = text;
  if (head.set) {
    joined_.assign(head.text);
    joined_.append(text);
    since = std::max(since, head.since);
    head.set = false;
    line = joined_;
  }
  if (next != nullptr) {
    if (next->set) flush_head(*next);  // a row cannot be continued twice; never lose text
    next->text.assign(line);
    next->text.append(static_cast<size_t>(pad), ' ');  // the row is full: its blanks are text
    next->since = since;
    next->set = true;
    return;
  }
  if (!line.empty()) out_.line(line, since);
}

void RenderedLines::flush_head(Head& head) {
  if (!head.set) return;
  head.set = false;
  if (!head.text.empty()) out_.line(head.text, head.since);
}

void RenderedLines::settle(Buffer buffer) {
  Screen& s = screens_[static_cast<int>(buffer)];
  const int rows = static_cast<int>(s.rows.size());
  // changed_ is ascending: the row above a changed row needs a look of its own only when it
  // did not change itself.
  int prev = -2;
  // A few rows (a scroll by a line or two) are asked one by one; many at once.
  const bool bulk = changed_.size() * 4 > static_cast<size_t>(rows);
  if (bulk) term_->row_continuations(buffer, conts_);
  for (int r : changed_) {
    if (r >= rows) break;
    s.max_gen = std::max(s.max_gen, s.rows[r].gen);
    for (int q = prev == r - 1 ? r : std::max(0, r - 1); q <= r; ++q) {
      Row& row = s.rows[q];
      row.cont = bulk ? conts_[static_cast<size_t>(q)] != 0 : term_->row_continues(buffer, q);
      row.pad = row.cont ? trailing_blanks(buffer, q) : 0;
    }
    prev = r;
  }
  if (s.pending.set) {
    // The last row that scrolled out wraps into the row now at the top of the region.
    if (s.pending_idx == s.scroll_next && s.scroll_top >= 0 && s.scroll_top < rows) {
      Head& to = s.rows[s.scroll_top].head;
      if (to.set) flush_head(to);
      std::swap(to, s.pending);
    }
    flush_head(s.pending);
  }
}

bool RenderedLines::reconcile(Buffer buffer, format::Nanos now, bool resized) {
  const int b = static_cast<int>(buffer);
  Screen& s = screens_[b];
  const int rows = term_->rows();
  const int old_rows = static_cast<int>(s.rows.size());

  changed_.clear();
  term_->row_generations(buffer, all_gens_);
  for (int r = 0; r < rows; ++r) {
    if (resized || r >= old_rows || all_gens_[static_cast<size_t>(r)] != s.rows[r].gen) {
      changed_.push_back(r);
    }
  }
  if (changed_.empty() && s.scrolled == 0) return false;
  const int scrolled = resized ? 0 : s.scrolled;
  s.scrolled = 0;

  // The new content of every changed row.
  const size_t n = changed_.size();
  if (fresh_.size() < n) fresh_.resize(n);
  claimed_.assign(n, 0);
  pos_to_k_.assign(rows, -1);
  old_to_k_.assign(old_rows, -1);
  for (size_t k = 0; k < n; ++k) {
    const int r = changed_[k];
    Row& f = fresh_[k];
    term_->row_text(buffer, r, f.text);
    f.hash = hash_text(f.text);
    f.gen = all_gens_[static_cast<size_t>(r)];
    f.since = now;
    f.emitted = false;
    f.resolved = false;
    f.known = true;
    f.head.set = false;
    pos_to_k_[r] = static_cast<int>(k);
  }
  // A row that takes over an old row's content takes the head waiting for it too.
  auto claim = [&](size_t k, int from) {
    std::swap(fresh_[k].head, s.rows[from].head);
    old_to_k_[from] = static_cast<int>(k);
    claimed_[k] = 1;
    s.rows[from].resolved = true;
  };
  // Where the head of a wrapped old row goes: the old row below, wherever its content went.
  auto continuation = [&](int r) -> Head* {
    const int below = r + 1;
    if (below >= old_rows) return nullptr;
    if (!s.rows[below].resolved) return &s.rows[below].head;
    return old_to_k_[below] >= 0 ? &fresh_[old_to_k_[below]].head : nullptr;
  };

  // The old rows whose fate is open: those that changed (all of them on a resize).
  auto old_positions = [&](auto&& fn) {
    if (resized) {
      for (int r = 0; r < old_rows; ++r) fn(r);
    } else {
      for (int r : changed_) {
        if (r < old_rows) fn(r);
      }
    }
  };

  // 0. Rows keep their generation when they scroll: the same row, moved, unchanged.
  if (!resized) {
    for (size_t k = 0; k < n; ++k) {
      const int r = changed_[k];
      const uint64_t gen = fresh_[k].gen;
      int from = -1;
      const int guess = r + scrolled;
      if (guess < old_rows && pos_to_k_[guess] >= 0 && !s.rows[guess].resolved && s.rows[guess].gen == gen) {
        from = guess;
      } else if (gen <= s.max_gen) {  // newer than every old row: written now, moved from nowhere
        for (int c : changed_) {
          if (c < old_rows && c != r && !s.rows[c].resolved && s.rows[c].gen == gen) {
            from = c;
            break;
          }
        }
      }
      if (from < 0) continue;
      fresh_[k].since = s.rows[from].since;
      fresh_[k].emitted = s.rows[from].emitted;
      claim(k, from);
    }
  }

  // 1. Same text at the same place: the row was repainted, nothing changed.
  old_positions([&](int r) {
    Row& old = s.rows[r];
    if (old.resolved) return;
    if (old.text.empty()) {
      old.resolved = true;
      return;
    }
    const int k = r < rows ? pos_to_k_[r] : -1;
    if (k >= 0 && !claimed_[k] && fresh_[k].hash == old.hash && fresh_[k].text == old.text) {
      fresh_[k].since = old.since;
      fresh_[k].emitted = old.emitted;
      claim(static_cast<size_t>(k), r);
    }
  });

  // 2. The same text elsewhere: the line moved (scrolled inside a region, lines inserted).
  // Lines move together, so the last shift found is tried first.
  int shift = 0;
  old_positions([&](int r) {
    Row& old = s.rows[r];
    if (old.resolved) return;
    const int guess = r - shift;
    int found = -1;
    if (guess >= 0 && guess < rows) {
      const int k = pos_to_k_[guess];
      if (k >= 0 && !claimed_[k] && fresh_[k].hash == old.hash && fresh_[k].text == old.text) found = k;
    }
    for (size_t k = 0; found < 0 && k < n; ++k) {
      if (!claimed_[k] && fresh_[k].hash == old.hash && fresh_[k].text == old.text) found = static_cast<int>(k);
    }
    if (found < 0) return;
    shift = r - changed_[found];
    fresh_[found].since = old.since;
    fresh_[found].emitted = old.emitted;
    claim(static_cast<size_t>(found), r);
  });

  // 3. What is left was changed in place, or moved by scrolling and changed: grown into blank
  // cells (a line completed by the next read), or overwritten.
  old_positions([&](int r) {
    Row& old = s.rows[r];
    if (old.resolved) return;
    for (int p : {r - scrolled, r}) {
      const int k = p >= 0 && p < rows ? pos_to_k_[p] : -1;
      if (k < 0 || claimed_[k]) continue;
      Row& f = fresh_[k];
      if (resized && starts_with(old.text, f.text)) {
        // Cut short by a narrower screen: the whole text was just emitted.
        f.since = old.since;
        f.emitted = old.emitted;
        claim(static_cast<size_t>(k), r);
        return;
      }
      if (covers(old.text, f.text)) {
        claim(static_cast<size_t>(k), r);  // grown: emitted later, complete
        return;
      }
    }
    old.resolved = true;
    if (old.head.set || (!old.emitted && old.text != s.last_in_place[r])) {
      emit(old.head, old.text, old.since, old.cont ? continuation(r) : nullptr, old.pad);
    }
    s.last_in_place[r] = old.text;
  });

  // Install the new rows.
  if (resized) {
    s.rows.resize(rows);
    s.last_in_place.resize(rows);
  }
  for (size_t k = 0; k < n; ++k) s.rows.swap(static_cast<size_t>(changed_[k]), fresh_, k);
  for (size_t i = 0; i < s.rows.size(); ++i) s.rows[i].resolved = false;
  // Old rows that went without being emitted or taken over leave their heads alone.
  for (size_t k = 0; k < n; ++k) flush_head(fresh_[k].head);
  settle(buffer);
  return true;
}

void RenderedLines::reconcile_lazy(Buffer buffer, format::Nanos now, int first_row, int screen_scrolled) {
  Screen& s = screens_[static_cast<int>(buffer)];
  const int rows = term_->rows();
  const int scrolled = s.scrolled;
  s.scrolled = 0;
  // When every line that left went off the top of the whole screen, the rows below moved up
  // by that many: the table turns with them (O(1)), and only rows written during the event
  // differ from it. Table index i then holds the old row of old position (i + rot) % rows.
  int rot = 0;
  if (screen_scrolled > 0 && screen_scrolled == scrolled && screen_scrolled < rows && first_row == 0 &&
      static_cast<int>(s.rows.size()) == rows) {
    s.rows.rotate(static_cast<size_t>(screen_scrolled));
    rot = screen_scrolled;
  }
  const auto old_pos = [rot, rows](int i) { return rot == 0 ? i : (i + rot) % rows; };
  changed_.clear();
  gens_.clear();
  term_->row_generations(buffer, all_gens_);
  for (int r = std::min(first_row, rows); r < rows; ++r) {
    const uint64_t gen = all_gens_[static_cast<size_t>(r)];
    if (gen != s.rows[r].gen) {
      changed_.push_back(r);
      gens_.push_back(gen);
    }
  }
  if (changed_.empty()) {
    for (size_t i = 0; i < s.rows.size(); ++i) s.rows[i].resolved = false;
    settle(buffer);
    return;
  }
  const size_t n = changed_.size();
  if (fresh_.size() < n) fresh_.resize(n);
  pos_to_k_.assign(rows, -1);
  old_to_k_.assign(rows, -1);
  for (size_t k = 0; k < n; ++k) pos_to_k_[changed_[k]] = static_cast<int>(k);
  // Rows keep their generation when they scroll: a row found under its old generation only
  // moved, with its text (read or not), time and emitted state.
  for (size_t k = 0; k < n; ++k) {
    const int r = changed_[k];
    const uint64_t gen = gens_[k];
    Row& f = fresh_[k];
    int from = -1;
    const int guess = r + scrolled - rot;  // the table index of the old row that moved here
    if (guess < rows && !s.rows[guess].resolved && s.rows[guess].gen == gen) {
      from = guess;
    } else if (gen <= s.max_gen) {  // newer than every old row: written now, moved from nowhere
      for (int c : changed_) {
        if (!s.rows[c].resolved && s.rows[c].gen == gen) {
          from = c;
          break;
        }
      }
    }
    if (from >= 0) {
      // A changed position is rewritten below, so its row can be taken without a copy.
      if (from < rows && pos_to_k_[from] >= 0 && from != r) {
        fresh_.swap(k, s.rows, static_cast<size_t>(from));  // `f` is now the scratch at `from`
      } else {
        f = s.rows[from];
        s.rows[from].head.set = false;  // the head went with the copy
      }
      s.rows[from].resolved = true;
      old_to_k_[from] = static_cast<int>(k);
      fresh_[k].resolved = false;
      continue;
    }
    f.known = false;
    f.text.clear();
    f.hash = 0;
    f.gen = gen;
    f.since = now;
    f.emitted = false;
    f.resolved = false;
    f.head.set = false;
  }
  // The old row below the one at table index r, wherever its content went.
  auto continuation = [&](int r) -> Head* {
    if (old_pos(r) + 1 >= rows) return nullptr;
    const int below = r + 1 == rows ? 0 : r + 1;
    if (!s.rows[below].resolved) return &s.rows[below].head;
    return old_to_k_[below] >= 0 ? &fresh_[old_to_k_[below]].head : nullptr;
  };
  // Old rows that neither moved nor scrolled out were changed in place: only the cursor's row
  // and those below it, which were read before the event. They go top to bottom as they stood
  // (a wrapped line is held row by row until its last row): from old position 0 on.
  const size_t first = rot == 0 ? 0
                                : static_cast<size_t>(std::lower_bound(changed_.begin(), changed_.end(), rows - rot) -
                                                      changed_.begin());
  for (size_t i = 0; i < n; ++i) {
    const int r = changed_[first + i < n ? first + i : first + i - n];
    Row& old = s.rows[r];
    if (old.resolved) continue;
    old.resolved = true;
    if (!old.known || old.text.empty()) continue;
    bool settled = false;
    const int o = old_pos(r);
    for (int p : {o - scrolled, o}) {  // moved with the scroll, or stayed
      if (p < 0 || p >= rows || pos_to_k_[p] < 0) continue;
      Row& f = fresh_[pos_to_k_[p]];
      if (!f.known) {
        term_->row_text(buffer, p, f.text);
        f.hash = hash_text(f.text);
        f.known = true;
      }
      if (f.text == old.text) {
        f.since = old.since;
        f.emitted = old.emitted;
        settled = true;
      } else if (covers(old.text, f.text)) {
        settled = true;
      }
      if (settled) {
        std::swap(f.head, old.head);
        old_to_k_[r] = pos_to_k_[p];
        break;
      }
    }
    if (settled) continue;
    if (old.head.set || (!old.emitted && old.text != s.last_in_place[o])) {
      emit(old.head, old.text, old.since, old.cont ? continuation(r) : nullptr, old.pad);
    }
    s.last_in_place[o] = old.text;
  }
  for (size_t k = 0; k < n; ++k) s.rows.swap(static_cast<size_t>(changed_[k]), fresh_, k);
  for (size_t i = 0; i < s.rows.size(); ++i) s.rows[i].resolved = false;
  for (size_t k = 0; k < n; ++k) flush_head(fresh_[k].head);
  settle(buffer);
}

void RenderedLines::emit_all(Buffer buffer) {
  ensure_all_known(buffer);
  Screen& s = screens_[static_cast<int>(buffer)];
  const int rows = static_cast<int>(s.rows.size());
  for (int r = 0; r < rows; ++r) {
    Row& row = s.rows[r];
    const bool fresh = !row.emitted && !row.text.empty();
    // A repaint of what was emitted here last is not a new line.
    const bool show = fresh && row.text != s.last_in_place[r];
    if (fresh) row.emitted = true;
    if (!show && !row.head.set) continue;
    // Rows above that wrapped into this one are emitted with it, even when it was already.
    Head* next = r + 1 < rows && term_->row_continues(buffer, r) ? &s.rows[r + 1].head : nullptr;
    emit(row.head, row.text, row.since, next, next != nullptr ? trailing_blanks(buffer, r) : 0);
    if (show) s.last_in_place[r] = row.text;
  }
}

}  // namespace tap::term
