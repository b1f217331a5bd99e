// Segment files of one session (docs/format.md §Segments): `<base>.tap` is segment 0 and
// `<base>.segK.tap` segment K (K ≥ 1); each later segment's header links the one before it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::format {

// `<base>` of a segment path: "x/s.tap" and "x/s.seg3.tap" both give "x/s".
std::filesystem::path segment_base(const std::filesystem::path& path);
// The path of segment `k` of the session with base `base`.
std::filesystem::path segment_path(const std::filesystem::path& base, uint32_t k);
// The existing segments of the session `path` belongs to, in order: segment 0 and then 1, 2, ...
// up to the first one missing. A path that does not follow the naming gives just itself.
std::vector<std::filesystem::path> segment_paths(const std::filesystem::path& path);

// The link a new segment puts in its header (SessionInfo::previous) to follow `previous`, a
// segment left without END: its file id and the chain head of its last seal that verifies
// (docs/integrity.md §Segments). When no seal verifies (cut or damaged before its first seal)
// the link names record 0 and the chain start H0, vouching for the header alone. Fails only
// when `previous` cannot be read or its header is unusable.
Result<SegmentLink> link_to(const std::filesystem::path& previous);

}  // namespace tap::format
