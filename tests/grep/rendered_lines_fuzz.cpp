// Fuzz entry for RenderedLines: any output bytes and sizes, never a crash; and reading rows
// lazily must give exactly the lines that reading every changed row gives.
//
// Input: a byte 0xFF and two more make a resize (cols 1..200, rows 1..100); any other byte b
// starts an output event of the (b % 64) + 1 bytes that follow.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "tap/term/rendered_lines.hpp"

namespace {

struct Collect : tap::term::LineConsumer {
  std::vector<std::pair<std::string, tap::format::Nanos>> lines;
  void line(std::string_view text, tap::format::Nanos time) override {
    if (text.empty()) std::abort();  // blank rows are never lines
    lines.emplace_back(std::string(text), time);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Collect lazy_out, eager_out;
  tap::term::RenderedLines lazy(lazy_out, true), eager(eager_out, false);
  tap::format::Nanos t = 0;
  size_t i = 0;
  while (i < size) {
    t += 1'000'000;
    const uint8_t b = data[i++];
    if (b == 0xFF && i + 2 <= size) {
      const int cols = 1 + data[i] % 200, rows = 1 + data[i + 1] % 100;
      i += 2;
      lazy.resize(t, cols, rows);
      eager.resize(t, cols, rows);
      continue;
    }
    const size_t n = std::min<size_t>(size - i, b % 64 + 1);
    const std::string_view bytes(reinterpret_cast<const char*>(data + i), n);
    i += n;
    lazy.output(t, bytes);
    eager.output(t, bytes);
  }
  lazy.finish(t);
  eager.finish(t);
  if (lazy_out.lines != eager_out.lines) std::abort();
  return 0;
}
