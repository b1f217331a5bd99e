// The `tap` command line (docs/man/tap.1) and the commands behind it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tap/support/result.hpp"

namespace tap::live {

enum class Command { list, snapshot, watch };
enum class SnapshotFormat { text, ansi, json };

struct TapOptions {
  std::string socket_path = "/run/taprec/taprec.sock";
  Command command = Command::list;
  uint32_t pty_index = 0;
  bool json = false;
  bool no_frame = false;
  SnapshotFormat format = SnapshotFormat::text;
  int timeout_ms = 10'000;
};

// Parses argv; returns the exit code to use right away (help, version, usage error) or
// nullopt to go on.
std::optional<int> parse_tap_cli(int argc, char** argv, TapOptions* options);

// Runs the command; the result is the exit code (errors are printed by the caller).
Result<int> run_tap(const TapOptions& options);

// Exit code for an error from run_tap: 2 for usage, 1 otherwise.
int exit_code_for(const Error& error);

}  // namespace tap::live
