// CRC32C (Castagnoli), the per-record checksum of docs/format.md §Records.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tap::format {

// Continues a CRC32C: crc32c(crc32c(0, a), b) == crc32c(0, a ‖ b).
// Uses the CPU's crc32 instruction where there is one.
uint32_t crc32c(uint32_t crc, const void* data, size_t size);
// The table-driven form on every CPU (tests compare the two).
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t size);

}  // namespace tap::format
