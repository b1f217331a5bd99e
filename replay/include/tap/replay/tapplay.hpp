// tapplay: play a recording, or render the screen at a moment (docs/tapplay.md).
#pragma once

#include <optional>
#include <string>

#include "tap/support/result.hpp"

namespace tap::replay {

struct TapplayOptions {
  std::string file;                 // FILE, FILE@T or "-"
  std::optional<std::string> at;    // --at T
  std::optional<std::string> format;  // --format (only with --at)
  double speed = 1.0;               // --speed; 0 plays without waiting
  std::optional<double> idle_limit;  // --idle-limit, seconds
  bool follow = false;              // --follow
};

// Runs tapplay; the value is the exit code (0 ok, 1 failure, 128+N after signal N). Errors
// of kind invalid_argument are usage errors (exit 2); the caller prints them.
Result<int> run_tapplay(const TapplayOptions& options);

}  // namespace tap::replay
