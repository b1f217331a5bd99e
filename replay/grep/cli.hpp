// tapgrep's command line (CLI11): options in, a search to run out.
#pragma once

#include <string>
#include <vector>

#include "tap/grep/search.hpp"

namespace tap::grep {

struct Cli {
  GrepOptions options;
  std::vector<std::string> paths;
};

// Parses argv. Returns -1 to go on with `cli` filled in, else the exit code to leave with
// (0 after --help or --version, 2 after a usage error, already reported).
int parse_cli(int argc, char** argv, Cli& cli);

}  // namespace tap::grep
