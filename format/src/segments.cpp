#include "tap/format/segments.hpp"

#include <string>

#include "tap/format/session_reader.hpp"
#include "tap/format/verify.hpp"

namespace tap::format {
namespace {

// Parses "<base>.seg<K>.tap"; false when the name has no segment number.
bool split_segment(const std::string& name, std::string* base, uint32_t* k) {
  if (name.size() < 4 || name.compare(name.size() - 4, 4, ".tap") != 0) return false;
  std::string stem = name.substr(0, name.size() - 4);
  size_t dot = stem.rfind(".seg");
  if (dot == std::string::npos || dot + 4 == stem.size()) return false;
  uint64_t v = 0;
  for (size_t i = dot + 4; i < stem.size(); ++i) {
    if (stem[i] < '0' || stem[i] > '9' || v > 100000000) return false;
    v = v * 10 + static_cast<uint64_t>(stem[i] - '0');
  }
  if (v == 0 || stem[dot + 4] == '0') return false;
  *base = stem.substr(0, dot);
  *k = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

std::filesystem::path segment_base(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  std::string base;
  uint32_t k = 0;
  if (split_segment(name, &base, &k)) return path.parent_path() / base;
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tap") == 0)
    return path.parent_path() / name.substr(0, name.size() - 4);
  return path;
}

std::filesystem::path segment_path(const std::filesystem::path& base, uint32_t k) {
  std::string name = base.filename().string();
  name += k == 0 ? std::string(".tap") : ".seg" + std::to_string(k) + ".tap";
  return base.parent_path() / name;
}

std::vector<std::filesystem::path> segment_paths(const std::filesystem::path& path) {
  std::filesystem::path base = segment_base(path);
  std::error_code ec;
  if (base == path || !std::filesystem::exists(segment_path(base, 0), ec)) return {path};
  std::vector<std::filesystem::path> out;
  for (uint32_t k = 0;; ++k) {
    auto p = segment_path(base, k);
    if (!std::filesystem::exists(p, ec)) break;
    out.push_back(p);
  }
  return out;
}

Result<SegmentLink> link_to(const std::filesystem::path& previous) {
  auto reader = SessionReader::open(previous);
  if (!reader) return fail(std::move(reader).error());
  VerifyReport v = verify_file(previous, nullptr);
  if (v.verdict == Verdict::io_error) return fail(ErrorKind::io, previous.string() + ": " + v.summary);
  SegmentLink link;
  link.previous_file_id = (*reader)->info().file_id;
  if (v.seals > 0) {
    link.last_sealed_head = v.last_sealed_head;
    link.last_sealed_seq = v.last_sealed_seq;
  } else {
    // Cut before its first seal (a crash in its first seconds), or damaged before it: the link
    // vouches for the header alone, record 0 and the chain start (docs/format.md §Segments).
    link.last_sealed_head = v.chain_start;
    link.last_sealed_seq = 0;
  }
  return link;
}

}  // namespace tap::format
