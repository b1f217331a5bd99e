// RenderedLines: turns a session's output into the lines its screen showed (docs/tapgrep.md
// §Rendered lines).
//
// A row's text is emitted when it scrolls out of the screen or of a scroll region, just before
// it is overwritten with different content, at an alternate-screen switch or a resize, and at
// the end of the recording. Writing into blank cells of a row (typing at a prompt, painting a
// row out of order) is not overwriting: the row grows and is emitted once, complete. A row that
// is emitted again with the same text at the same place (a repaint) merges into the earlier
// emission. Each line carries the time its text last changed, so that moment's screen shows it.
//
// Rows are compared after each output event (one read of the pty master: what a terminal draws
// in one go); rows that changed are found by tap::term's row generations and matched against
// the previous screen by content, so lines that only moved (scrolling, inserted lines) are not
// taken for overwritten ones.
//
// Reading a row's text costs about as much as drawing it, so a flood is handled lazily: an
// event that only prints, moves within the cursor's row and feeds lines (no cursor addressing,
// no erase outside the cursor's row) cannot change a row above the cursor except by scrolling
// it, so such rows are not read until something else could overwrite them; those that scroll
// out arrive with their text from the terminal.
//
// A line the terminal wrapped (autowrap at the right edge) is one rendered line: a row that
// continues on the next (Terminal::row_continues) is not emitted alone; its text is held as
// the head of the row below and emitted with it, whichever way that row leaves. A line's time
// is then when any of its rows last changed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/term/terminal.hpp"

namespace tap::term {

class LineConsumer {
 public:
  virtual ~LineConsumer() = default;
  // One rendered line: UTF-8, trailing blanks trimmed, never empty, no '\n'. `time` is when
  // the text last changed (ns from the session start).
  virtual void line(std::string_view text, format::Nanos time) = 0;
};

class RenderedLines final : public term::LineSink {
 public:
  // `lazy` false reads every changed row after each event: slower, the same lines (tests
  // compare the two).
  explicit RenderedLines(LineConsumer& out, bool lazy = true);
  ~RenderedLines() override;
  RenderedLines(const RenderedLines&) = delete;
  RenderedLines& operator=(const RenderedLines&) = delete;

  // Applies one event (output, resize and a leading keyframe matter; the rest is ignored).
  void apply(const format::Event& event);
  void output(format::Nanos time, std::string_view bytes);
  void resize(format::Nanos time, int cols, int rows);
  // Starts from a saved terminal state (a segment that begins with a keyframe). False when the
  // state does not restore; the search then starts from a blank screen.
  bool restore(format::Nanos time, std::string_view state);
  // The end of the recording: every row still on a screen that was not emitted yet.
  void finish(format::Nanos time);

  // term::LineSink
  void scrolled_out(term::Buffer buffer, int row, std::string_view text, int pad) override;

 private:
  // The text of the rows above a row that wrapped into it, waiting to be emitted with it.
  struct Head {
    std::string text;
    format::Nanos since = 0;
    bool set = false;
  };
  struct Row {
    std::string text;
    Head head;                // rows above that continue into this one (a soft-wrapped line)
    uint64_t hash = 0;
    format::Nanos since = 0;  // when `text` became this row's content
    uint64_t gen = 0;         // the terminal's row generation when `text` was read
    bool emitted = false;     // `text` was already emitted and has not changed since
    bool resolved = false;    // its fate in the current event is decided
    bool known = true;        // `text` and `hash` were read (else only `gen` is)
    bool cont = false;        // the text continues on the row below (as of the last event)
    int pad = 0;              // blank cells trimmed off its end, when it continues
  };
  // Rows by position. Rows move between positions (and the scratch of fresh rows) for every
  // row of every event that scrolls: each row lives in its own allocation and a move swaps
  // two pointers, not two rows' strings and fields.
  class RowTable {
   public:
    size_t size() const { return slots_.size(); }
    Row& operator[](size_t i) { return *slots_[slot(i)]; }
    const Row& operator[](size_t i) const { return *slots_[slot(i)]; }
    // `n` rows, each as a default Row.
    void assign(size_t n) {
      base_ = 0;
      slots_.resize(n);
      for (auto& s : slots_) {
        if (s) *s = Row{};
        else s = std::make_unique<Row>();
      }
    }
    // Grows with default rows or drops rows from the end.
    void resize(size_t n) {
      std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(base_), slots_.end());
      base_ = 0;
      const size_t old = slots_.size();
      slots_.resize(n);
      for (size_t i = old; i < n; ++i) slots_[i] = std::make_unique<Row>();
    }
    // Exchanges the row at `i` with the row at `j` of `other` (or of this table).
    void swap(size_t i, RowTable& other, size_t j) noexcept { slots_[slot(i)].swap(other.slots_[other.slot(j)]); }
    // Row i + k becomes row i (the top k rows go to the bottom): a whole-screen scroll, O(1).
    void rotate(size_t k) {
      if (slots_.empty()) return;
      base_ = (base_ + k) % slots_.size();
    }

   private:
    size_t slot(size_t i) const {
      const size_t at = base_ + i;
      return at >= slots_.size() ? at - slots_.size() : at;
    }
    std::vector<std::unique_ptr<Row>> slots_;
    size_t base_ = 0;
  };
  struct Screen {
    RowTable rows;
    std::vector<std::string> last_in_place;  // the last text emitted from this row in place
    int scrolled = 0;                        // rows scrolled out during the current event
    int scroll_top = 0;                      // the row the last one scrolled out of
    int scroll_next = 0;                     // the old row the next one is expected to be
    Head pending;      // a row that scrolled out and wrapped into one written during the event
    int pending_idx = 0;  // the (old-row) index that row has
    uint64_t max_gen = 0;  // no row read so far had a newer generation (row generations only grow)
  };

  void ensure_terminal(int cols, int rows);
  void snapshot_all(format::Nanos time);
  // Compares a buffer with the last snapshot, emits overwritten rows; true if it changed.
  bool reconcile(term::Buffer buffer, format::Nanos now, bool resized);
  // The pure-event form of reconcile: moved rows by generation, new rows left unread.
  // Rows above `first_row` are known not to have changed.
  // `screen_scrolled`: lines the whole screen scrolled by during the event.
  void reconcile_lazy(term::Buffer buffer, format::Nanos now, int first_row, int screen_scrolled);
  // Reads a row's text if it was left unread.
  void ensure_known(term::Buffer buffer, int row);
  void ensure_all_known(term::Buffer buffer);
  // Emits every row of a buffer not emitted yet (switch, resize, end).
  void emit_all(term::Buffer buffer);
  // Emits `text` (since `since`) after `head`, or holds the whole as `next` when the text
  // continues on the row `next` belongs to. Consumes `head`.
  // `pad` blanks the text lost to trimming are put back when it is held.
  void emit(Head& head, std::string_view text, format::Nanos since, Head* next, int pad);
  // Blank cells at the end of a row of the terminal (trimmed off its text).
  int trailing_blanks(term::Buffer buffer, int row) const;
  // Emits a held head alone (the row it waited for left blank or unseen).
  void flush_head(Head& head);
  // After an event: the wrap flags of changed rows and of the rows above them; a head that
  // waits for a row written during the event goes to that row.
  void settle(term::Buffer buffer);

  LineConsumer& out_;
  bool lazy_ = true;
  std::optional<term::Terminal> term_;
  Screen screens_[2];
  format::Nanos now_ = 0;
  bool alt_ = false;
  // Scratch reused across events so the hot path does not allocate.
  RowTable fresh_;
  std::vector<int> changed_;
  std::vector<uint64_t> gens_;  // the generation of each changed_ row
  std::vector<uint64_t> all_gens_;  // every row's generation after the event
  std::vector<char> conts_;         // every row's continuation flag after the event
  std::vector<char> claimed_;
  std::vector<int> pos_to_k_;
  std::vector<int> old_to_k_;
  std::string joined_;
};

}  // namespace tap::term
