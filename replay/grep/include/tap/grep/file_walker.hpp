// Which files a tapgrep search reads: the paths given, and every recording below directories
// (the spool layout YYYY/MM/DD/<host>-<time>-pts<N>-<id8>.tap[.segK]), in a stable order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tap/support/result.hpp"

namespace tap::grep {

struct WalkResult {
  std::vector<std::filesystem::path> files;  // sorted per path argument, in argument order
  std::vector<Error> errors;                 // paths or directories that could not be read
};

// True for names a directory walk picks up: *.tap, *.tap.segK, *.segK.tap and *.cast.
bool is_recording_name(const std::string& file_name);

// A file given by name is searched whatever its name; directories are walked recursively
// (symlinks to directories are not followed, so a loop cannot hang the walk).
WalkResult walk_paths(const std::vector<std::string>& paths);

}  // namespace tap::grep
