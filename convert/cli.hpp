// tapconv's command line (CLI11): every option with its help text.
#pragma once

#include <CLI/CLI.hpp>

#include "tap/convert/convert.hpp"

namespace tap::convert {

struct CliOptions {
  ConvertOptions convert;
  std::string from, to;  // format names as given
  bool strip = false;    // text output as the stripped byte stream instead of rendered lines
  bool quiet = false;
  bool no_progress = false;
};

void add_cli_options(CLI::App& app, CliOptions& options);
// Checks and resolves what CLI11 cannot (format names); errors are usage errors.
Result<void> finish_cli_options(CliOptions& options);

}  // namespace tap::convert
