// tap: the live client of taprec (docs/man/tap.1).
#include <cstdio>

#include "tap/live/cli.hpp"
#include "tap/support/log.hpp"

int main(int argc, char** argv) {
  tap::log::set_program("tap");
  tap::live::TapOptions options;
  if (auto code = tap::live::parse_tap_cli(argc, argv, &options)) return *code;
  auto result = tap::live::run_tap(options);
  if (!result.ok()) {
    std::fprintf(stderr, "tap: error: %s\n", result.error().what().c_str());
    return tap::live::exit_code_for(result.error());
  }
  return *result;
}
