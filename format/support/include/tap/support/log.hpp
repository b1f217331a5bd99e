// Logging for daemons and tools: one line per message to stderr, with a level and the program
// name ("taprec: warning: ..."). Never on a per-event hot path: count, then log periodically.
#pragma once

#include <sstream>
#include <string_view>

namespace tap::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3, off = 4 };

// Program name printed before each line; set once from main.
void set_program(std::string_view name);
// Messages below `level` are dropped. Default: info.
void set_level(Level level);
Level level();
// Parses "debug|info|warning|error|off".
bool parse_level(std::string_view text, Level* out);
// Writes one line: "<program>: <level>: <message>\n" (level omitted for info).
void write(Level level, std::string_view message);

template <typename... Args>
void emit(Level lvl, const Args&... args) {
  if (lvl < level()) return;
  std::ostringstream out;
  (out << ... << args);
  write(lvl, out.str());
}
template <typename... Args> void debug(const Args&... a) { emit(Level::debug, a...); }
template <typename... Args> void info(const Args&... a) { emit(Level::info, a...); }
template <typename... Args> void warning(const Args&... a) { emit(Level::warning, a...); }
template <typename... Args> void error(const Args&... a) { emit(Level::error, a...); }

}  // namespace tap::log
