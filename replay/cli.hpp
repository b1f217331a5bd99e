// Command line of tapplay (CLI11): options, help text, --version.
#pragma once

#include <optional>

#include "tap/replay/tapplay.hpp"

namespace tap::replay::cli {

// Parses argv into `out`. Returns an exit code when the program should stop now (--help,
// --version, a usage error already printed), else nullopt.
std::optional<int> parse_tapplay(int argc, char** argv, TapplayOptions* out);

}  // namespace tap::replay::cli
