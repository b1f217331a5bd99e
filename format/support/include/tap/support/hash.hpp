// FNV-1a, 64-bit: a fast non-cryptographic hash for telling short byte strings apart (rows of a
// screen, a cache file's table checksum). Never for integrity: that is SHA-256 (docs/integrity.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace tap {

inline uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace tap
