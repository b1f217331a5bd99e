#include "corpus.hpp"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "require.hpp"

namespace tap::test {

std::string read_zstd(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const unsigned long long size = ZSTD_getFrameContentSize(packed.data(), packed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return {};
  std::string out(size, '\0');
  const size_t n = ZSTD_decompress(out.data(), out.size(), packed.data(), packed.size());
  if (ZSTD_isError(n)) return {};
  out.resize(n);
  return out;
}

std::vector<std::string> corpus_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/tests/data/corpus")) {
    const std::string f = e.path().filename().string();
    if (f.size() > 7 && f.ends_with(".io.zst")) names.push_back(f.substr(0, f.size() - 7));
  }
  std::sort(names.begin(), names.end());
  return names;
}

CorpusSession load_corpus(const std::string& name) {
  CorpusSession s;
  s.name = name;
  const std::string base = source_dir() + "/tests/data/corpus/" + name;
  const std::string io = read_zstd(base + ".io.zst");
  const std::string tm = read_zstd(base + ".tm.zst");
  EXPECT_FALSE(io.empty()) << base;
  EXPECT_FALSE(tm.empty()) << base;
  // script --log-io: a "Script started" line, then the records in timing-file order.
  size_t pos = io.find('\n');
  if (pos == std::string::npos) return s;
  ++pos;
  std::istringstream lines(tm);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string kind, delay, rest;
    f >> kind >> delay >> rest;
    if (kind == "H") {
      if (rest == "COLUMNS") f >> s.cols;
      if (rest == "LINES") f >> s.rows;
      continue;
    }
    if (kind != "O" && kind != "I") continue;
    const size_t n = std::stoul(rest);
    if (pos + n > io.size()) break;
    if (kind == "O") s.reads.emplace_back(io.substr(pos, n));
    pos += n;
  }
  return s;
}

}  // namespace tap::test
