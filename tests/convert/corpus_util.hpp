// The reference corpus (tests/data/corpus: script --log-io files, zstd-compressed) opened as a
// Decoder for the tap::convert tests.
#pragma once

#include <gtest/gtest.h>
#include <zstd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "require.hpp"
#include "tap/convert/script_reader.hpp"

namespace tap::convert::test {

inline std::string unzstd_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  const std::string z = s.str();
  EXPECT_FALSE(z.empty()) << path;
  std::string out;
  auto* ds = ZSTD_createDStream();
  ZSTD_inBuffer ib{z.data(), z.size(), 0};
  std::string chunk(1 << 16, '\0');
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{chunk.data(), chunk.size(), 0};
    size_t r = ZSTD_decompressStream(ds, &ob, &ib);
    if (ZSTD_isError(r)) {
      ADD_FAILURE() << path << ": " << ZSTD_getErrorName(r);
      break;
    }
    out.append(chunk.data(), ob.pos);
  }
  ZSTD_freeDStream(ds);
  return out;
}

// NAME's decoder (nullptr, with a test failure, when it cannot be read).
inline std::unique_ptr<Decoder> open_corpus(const std::string& name) {
  const std::string base = tap::test::source_dir() + "/tests/data/corpus/" + name;
  auto dec = open_script_buffers(unzstd_file(base + ".io.zst"), unzstd_file(base + ".tm.zst"));
  EXPECT_TRUE(dec.ok()) << name << ": " << dec.error().what();
  if (!dec.ok()) return nullptr;
  return std::move(*dec);
}

}  // namespace tap::convert::test
