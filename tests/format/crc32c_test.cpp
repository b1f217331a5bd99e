// CRC32C: the known check values, and the CPU instruction path equal to the tables everywhere.
#include "crc32c.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tap::format {
namespace {

TEST(Crc32c, KnownCheckValues) {
  // The CRC catalogue's check value for CRC-32/ISCSI, and RFC 3720 B.4's 32 zero bytes.
  EXPECT_EQ(crc32c(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(0, "123456789", 9), 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0);
  EXPECT_EQ(crc32c(0, zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(0, nullptr, 0), 0u);
}

TEST(Crc32c, EveryLengthAndSplitMatchesThePortableTables) {
  std::mt19937_64 rng(7);
  std::vector<uint8_t> buf(4096 + 17);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t len = 0; len < 300; ++len) {
    size_t off = rng() % 16;
    ASSERT_EQ(crc32c(0, buf.data() + off, len), crc32c_portable(0, buf.data() + off, len)) << len;
  }
  for (int i = 0; i < 200; ++i) {
    size_t len = rng() % buf.size();
    size_t cut = len ? rng() % len : 0;
    uint32_t whole = crc32c_portable(0, buf.data(), len);
    ASSERT_EQ(crc32c(crc32c(0, buf.data(), cut), buf.data() + cut, len - cut), whole);
  }
}

}  // namespace
}  // namespace tap::format
