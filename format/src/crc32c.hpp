// CRC32C (Castagnoli), the per-record checksum of docs/format.md §Records.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tap::format {

// Continues a CRC32C: crc32c(crc32c(0, a), b) == crc32c(0, a ‖ b).
uint32_t crc32c(uint32_t crc, const void* data, size_t size);

}  // namespace tap::format
