// libFuzzer target: arbitrary bytes into tap::term::Terminal, with resizes and keyframe
// save/restore driven by the input itself. Also built into a plain driver that replays the
// committed corpus (tests/data/term/fuzz) on every ctest run.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tap/term/terminal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  tap::term::Terminal t(1 + data[0] % 40, 1 + data[1] % 20);
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  // 0xFE starts a command: 0xFE 0x01 c r resizes, 0xFE 0x02 saves and restores.
  while (!in.empty()) {
    size_t cmd = in.find('\xFE');
    t.feed(in.substr(0, cmd));
    if (cmd == std::string_view::npos || cmd + 1 >= in.size()) break;
    const unsigned char op = static_cast<unsigned char>(in[cmd + 1]);
    in.remove_prefix(cmd + 2);
    if (op == 1 && in.size() >= 2) {
      t.resize(1 + static_cast<unsigned char>(in[0]) % 60, 1 + static_cast<unsigned char>(in[1]) % 30);
      in.remove_prefix(2);
    } else if (op == 2) {
      const bool safe = t.keyframe_safe();
      auto r = tap::term::Terminal::restore(t.save());
      if (!r.ok()) __builtin_trap();
      if (safe && !t.same_state(*r)) __builtin_trap();
      t = std::move(r).value();
    } else if (op == 3) {
      std::string state = t.save();
      if (!state.empty()) state[state.size() / 2] ^= 0x5A;
      (void)tap::term::Terminal::restore(state);  // corrupt: an error or a terminal, no crash
    }
  }
  for (int r = 0; r < t.rows(); ++r) (void)t.row_text(r);
  return 0;
}
