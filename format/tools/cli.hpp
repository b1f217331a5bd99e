// Command lines of tapinfo and tapverify (tapinfo(1), tapverify(1)).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace tap::format::tools {

struct InfoOptions {
  std::vector<std::string> files;
  bool json = false;
  bool events = false;  // list every non-output event
  std::string keyring;  // for the seal status line; default /etc/taprec/keys
};

struct VerifyOptions {
  std::vector<std::string> files;
  std::vector<std::string> keys;  // --key PUB (repeatable)
  std::string keyring;            // --keyring DIR
  bool json = false;
  bool quiet = false;
};

void add_info_options(CLI::App& app, InfoOptions& options);
void add_verify_options(CLI::App& app, VerifyOptions& options);

// Prints the report for every file to stdout; returns the exit code (docs/cli.md).
int run_tapinfo(const InfoOptions& options);
int run_tapverify(const VerifyOptions& options);

}  // namespace tap::format::tools
