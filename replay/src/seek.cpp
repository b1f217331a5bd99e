#include "tap/replay/seek.hpp"

#include "tap/support/log.hpp"

namespace tap::replay {
namespace {

// Positions `reader` at the event a cached keyframe names and returns its terminal; an error
// when the cache and the recording disagree (the caller falls back).
Result<term::Terminal> restore_cached(format::SessionReader& reader, const ReplayIndex& index,
                                      const CachedKeyframe& keyframe) {
  TAP_TRY(std::string state, index.keyframe_state(keyframe));
  TAP_TRY(term::Terminal terminal, term::Terminal::restore(state));
  TAP_CHECK(reader.seek(keyframe.time));
  while (reader.next_seq() < keyframe.event_seq) {
    TAP_TRY(const format::Event* ev, reader.next());
    if (ev == nullptr) break;
  }
  if (reader.next_seq() != keyframe.event_seq) {
    return fail(ErrorKind::corrupt, "replay cache does not match the recording");
  }
  return terminal;
}

}  // namespace

void apply_event(term::Terminal& terminal, const format::Event& event) {
  if (const auto* out = event.get<format::Output>()) {
    terminal.feed(out->data);
  } else if (const auto* rs = event.get<format::Resize>()) {
    if (rs->cols > 0 && rs->rows > 0) terminal.resize(rs->cols, rs->rows);
  }
}

Result<Position> screen_at(format::SessionReader& reader, const ReplayIndex* index,
                           format::Nanos t) {
  Position pos;
  bool restored = false;
  if (index != nullptr) {
    if (const CachedKeyframe* kf = index->keyframe_at(t)) {
      auto terminal = restore_cached(reader, *index, *kf);
      if (terminal.ok()) {
        pos.terminal = std::move(terminal).value();
        restored = true;
      } else {
        log::warning("ignoring the replay cache: ", terminal.error().what());
      }
    }
  }
  if (!restored) {
    TAP_TRY(std::optional<format::Keyframe> kf, reader.seek_keyframe(t));
    if (kf) {
      auto terminal = term::Terminal::restore(kf->state);
      if (terminal.ok()) {
        pos.terminal = std::move(terminal).value();
      } else {
        // A keyframe the model cannot read: replay from the start instead (slower, exact).
        log::warning("keyframe for event ", kf->event_seq, " unusable (",
                     terminal.error().what(), "): replaying from the start");
        TAP_CHECK(reader.seek(0));
      }
    }
  }
  while (true) {
    auto next = reader.next();
    if (!next.ok()) {
      pos.fault = std::move(next).error();
      break;
    }
    const format::Event* ev = *next;
    if (ev == nullptr) break;
    if (ev->time > t) {
      pos.pending = *ev;
      break;
    }
    if (const auto* w = ev->get<format::WriterChange>()) pos.writer = *w;
    apply_event(pos.terminal, *ev);
  }
  return pos;
}

}  // namespace tap::replay
