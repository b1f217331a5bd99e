// tapplay: play a tap recording, or render its screen at a moment (docs/tapplay.md).
#include "cli.hpp"
#include "tap/replay/tapplay.hpp"
#include "tap/support/log.hpp"

int main(int argc, char** argv) {
  tap::log::set_program("tapplay");
  tap::replay::TapplayOptions options;
  if (auto code = tap::replay::cli::parse_tapplay(argc, argv, &options)) return *code;
  auto result = tap::replay::run_tapplay(options);
  if (!result.ok()) {
    tap::log::error(result.error().what());
    return result.error().kind() == tap::ErrorKind::invalid_argument ? 2 : 1;
  }
  return *result;
}
