// taprec's command line and configuration file (CLI11; every flag is also a config key).
#pragma once

#include <string>
#include <vector>

#include "tap/recorder/daemon.hpp"
#include "tap/support/result.hpp"

namespace tap::recorder {

struct Cli {
  enum class Command { run, check, exit };
  Command command = Command::run;
  int exit_code = 0;  // Command::exit: help, --version or a usage error (already printed)
  DaemonOptions options;
};

// Parses argv (and the config file it names, default /etc/taprec/taprec.conf if present).
Cli parse_cli(const std::vector<std::string>& args);

}  // namespace tap::recorder
