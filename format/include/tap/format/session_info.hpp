// What a .tap file header says about its session (docs/format.md §File header).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "tap/format/event.hpp"

namespace tap::format {

using Id128 = std::array<uint8_t, 16>;
using Hash256 = std::array<uint8_t, 32>;

// A later segment of a session names the segment before it and the last chain head sealed
// there, so verification and playback span segments (docs/integrity.md §Segments).
struct SegmentLink {
  Id128 previous_file_id{};    // file_id of the previous segment
  Hash256 last_sealed_head{};  // chain head of the previous segment's last valid SEAL
  uint64_t last_sealed_seq = 0;

  bool operator==(const SegmentLink&) const = default;
};

struct SessionInfo {
  Id128 session_id{};          // the same for every segment of one session
  Id128 file_id{};             // unique per file (segment)
  uint32_t segment = 0;        // 0 for the first segment, K for ".segK"
  Id128 host_id{};             // /etc/machine-id
  Id128 boot_id{};             // /proc/sys/kernel/random/boot_id
  std::string host_name;
  int64_t start_wall_ns = 0;   // wall-clock time of the session start (ns since the Unix epoch)
  int32_t utc_offset_s = 0;    // the recorder's UTC offset at start, seconds east of UTC
  uint32_t pty_index = 0;      // N of /dev/pts/N
  uint64_t pty_dev = 0;        // devpts instance (s_dev); 0 when unknown (imports)
  uint64_t cgroup_id = 0;      // cgroup of the session leader when known
  uint64_t mnt_ns = 0;         // mount namespace inode when known
  std::string recorder;        // "taprec 0.1.0", "tapconv 0.1.0 (asciicast v2)"
  std::string key_id;          // signing key id; empty when unsigned
  std::string term;            // TERM when known (imports), else empty
  bool imported = false;       // converted from another format, not recorded by taprec
  bool joined_late = false;    // the recorder found the session already running
  std::optional<SegmentLink> previous;

  bool operator==(const SessionInfo&) const = default;
};

}  // namespace tap::format
