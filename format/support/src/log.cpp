#include "tap/support/log.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

namespace tap::log {
namespace {
std::string& program() {
  static std::string name = "tap";
  return name;
}
std::atomic<Level> g_level{Level::info};
}  // namespace

void set_program(std::string_view name) { program() = std::string(name); }
void set_level(Level lvl) { g_level.store(lvl, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view text, Level* out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {
      {"debug", Level::debug}, {"info", Level::info}, {"warning", Level::warning},
      {"error", Level::error}, {"off", Level::off}};
  for (const auto& [name, lvl] : kNames) {
    if (text == name) {
      *out = lvl;
      return true;
    }
  }
  return false;
}

void write(Level lvl, std::string_view message) {
  if (lvl < level()) return;
  std::string line = program();
  switch (lvl) {
    case Level::debug: line += ": debug: "; break;
    case Level::warning: line += ": warning: "; break;
    case Level::error: line += ": error: "; break;
    default: line += ": "; break;
  }
  line += message;
  line += '\n';
  // One write(2) per line so lines from several threads or processes do not interleave.
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

}  // namespace tap::log
