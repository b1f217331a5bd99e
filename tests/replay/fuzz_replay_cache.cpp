// Fuzz target: a replay cache file is untrusted input (it sits in the user's cache directory);
// ReplayIndex::load and everything reached from a loaded index must never crash or hang.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <string>

#include "tap/replay/render.hpp"
#include "tap/replay/replay_index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/tap-replay-cache-fuzz-" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto index = tap::replay::ReplayIndex::load(path);
  if (index.ok()) {
    (void)index->writer_at(0);
    (void)index->writer_at(std::numeric_limits<int64_t>::max());
    for (const auto& m : index->marks()) (void)index->keyframe_at(m.time);
    if (const auto* k = index->keyframe_at(std::numeric_limits<int64_t>::max())) {
      auto state = index->keyframe_state(*k);
      if (state.ok()) {
        auto terminal = tap::term::Terminal::restore(*state);
        if (terminal.ok()) (void)tap::replay::render_json(*terminal, {});
      }
    }
  }
  ::unlink(path.c_str());
  return 0;
}
