// The event decoder: the only place where ring-buffer bytes (bpf/tty_capture.h) become types.
// It never allocates on success and rejects any record whose sizes do not add up.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tap/recorder/session_observer.hpp"
#include "tap/support/result.hpp"

namespace tap::recorder {

// Mirrors enum tap_rec_kind (docs/bpf-abi.md).
enum class RecordKind : uint8_t {
  output = 1,
  input = 2,
  input_suppressed = 3,
  open = 4,
  close = 5,
  hangup = 6,
  writer = 7,
  cred = 8,
  exec = 9,
  resize = 10,
  leader = 11,
  fault = 12,
};

struct Record {
  RecordKind kind = RecordKind::output;
  uint8_t flags = 0;         // TAP_F_*
  SessionKey key;            // generation included
  uint64_t ts_ns = 0;        // CLOCK_MONOTONIC
  uint32_t tgid = 0;

  // output, input, input_suppressed, fault
  uint64_t offset = 0;
  uint32_t len = 0;
  uint32_t call_len = 0;
  std::string_view payload;  // output and input: the bytes (points into the ring)

  // every other kind
  bool has_meta = false;
  uint32_t tid = 0, uid = 0, euid = 0, loginuid = 0xFFFFFFFF, ppid = 0;
  uint64_t cgroup_id = 0, mnt_ns = 0, out_off = 0, in_off = 0;
  uint16_t cols = 0, rows = 0;
  std::string_view comm;      // without trailing NULs
  std::string_view filename;  // exec only

  bool is_data() const {
    return kind == RecordKind::output || kind == RecordKind::input ||
           kind == RecordKind::input_suppressed || kind == RecordKind::fault;
  }
  bool leader_exec() const;   // exec of the session leader (TAP_F_LEADER)
  bool setid_exec() const;    // setuid/setgid exec (TAP_F_SETID)
  bool input_fault() const;   // fault in the input stream (TAP_F_INPUT)
};

// Decodes one ring record. Errors (corrupt) name what does not add up; unknown kinds are
// `unsupported` so a newer BPF object can add kinds an older daemon skips.
Result<Record> decode_record(std::span<const uint8_t> bytes);

}  // namespace tap::recorder
