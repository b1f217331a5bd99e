// The reference corpus (tests/data/corpus): each session's output reads, in order.
#pragma once

#include <string>
#include <vector>

namespace tap::test {

struct CorpusSession {
  std::string name;
  int cols = 120, rows = 40;
  std::vector<std::string> reads;  // output only, one entry per read() of the pty
};

// Names of the sessions in tests/data/corpus.
std::vector<std::string> corpus_names();
// Loads NAME.io.zst + NAME.tm.zst; fails the calling test (and returns empty) when unreadable.
CorpusSession load_corpus(const std::string& name);
// Decompresses a zstd file.
std::string read_zstd(const std::string& path);

}  // namespace tap::test
