// The channel between taprec's live service and the term worker process: the same framing as
// the live protocol (u32 little-endian length, then a type byte) over a socketpair
// (docs/live-protocol.md §Term worker). The daemon writes non-blocking and never waits on it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tap/live/screen.hpp"
#include "tap/support/result.hpp"

namespace tap::live::worker {

enum class Type : uint8_t {
  // daemon → worker
  open = 1,      // a live session: sid, cols, rows
  output = 2,    // sid, seq, bytes
  resize = 3,    // sid, seq, cols, rows
  close = 4,     // sid
  snapshot = 5,  // sid, tag: answer with the screen after everything sent before
  resync = 6,    // sid, until_seq, path: rebuild the screen from the file up to until_seq
  output_part = 7,  // sid, seq, bytes: a piece of a larger output event; more follows
  // worker → daemon
  keyframe = 0x81,  // sid, event_seq, state
  screen = 0x82,    // tag, sid, next_seq, ok, screen or message
  resynced = 0x83,  // sid, seq, ok, message
  closed = 0x84,    // sid: the close is done; every keyframe of the session was sent before
};

struct Message {
  Type type = Type::open;
  uint64_t sid = 0;
  uint64_t seq = 0;  // output/resize: the event; keyframe: event_seq; resync: until_seq;
                     // screen: next_seq; resynced: the seq the screen now reaches
  uint64_t tag = 0;
  uint16_t cols = 0, rows = 0;
  bool ok = true;
  std::string_view bytes;  // output bytes, keyframe state, resync path, error message
  Screen screen;
};

void encode_open(std::string& out, uint64_t sid, uint16_t cols, uint16_t rows);
// `last` is false for every piece of a split event but its final one.
void encode_output(std::string& out, uint64_t sid, uint64_t seq, std::string_view bytes,
                   bool last = true);
void encode_resize(std::string& out, uint64_t sid, uint64_t seq, uint16_t cols, uint16_t rows);
void encode_close(std::string& out, uint64_t sid);
void encode_snapshot(std::string& out, uint64_t sid, uint64_t tag);
void encode_resync(std::string& out, uint64_t sid, uint64_t until_seq, std::string_view path);
void encode_keyframe(std::string& out, uint64_t sid, uint64_t event_seq, std::string_view state);
void encode_screen(std::string& out, uint64_t tag, uint64_t sid, uint64_t next_seq,
                   const Screen* screen, std::string_view error);
void encode_resynced(std::string& out, uint64_t sid, uint64_t seq, bool ok,
                     std::string_view message);
void encode_closed(std::string& out, uint64_t sid);

// Decodes one payload; string_views point into it.
Result<Message> decode(std::string_view payload);

// Largest frame on the channel: a keyframe of a 4096×4096 screen stays below this.
inline constexpr uint32_t kMaxFrame = 256u << 20;
// Output is fed to the terminal in pieces no larger than this (libvterm 0.1.4 puts the input
// size on its stack), so the daemon splits bigger reads.
inline constexpr size_t kMaxOutputChunk = 64 * 1024;

}  // namespace tap::live::worker
