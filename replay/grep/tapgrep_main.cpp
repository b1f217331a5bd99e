// tapgrep: search recordings by what the screen showed (docs/tapgrep.md).
#include <unistd.h>

#include "cli.hpp"
#include "tap/grep/search.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/log.hpp"

int main(int argc, char** argv) {
  tap::log::set_program("tapgrep");
  tap::grep::Cli cli;
  if (int code = tap::grep::parse_cli(argc, argv, cli); code >= 0) return code;

  bool write_failed = false;
  tap::grep::GrepOutput output{
      [&](std::string_view text) {
        if (!write_failed && !tap::write_all(STDOUT_FILENO, text).ok()) write_failed = true;
      },
      [](bool is_error, std::string_view message) {
        tap::log::write(is_error ? tap::log::Level::error : tap::log::Level::warning, message);
      }};
  auto summary = tap::grep::run_grep(cli.options, cli.paths, output);
  if (!summary.ok()) {
    tap::log::error(summary.error().what());
    return 2;
  }
  if (write_failed) {
    tap::log::error("standard output: write failed");
    return 2;
  }
  return tap::grep::exit_code(*summary);
}
