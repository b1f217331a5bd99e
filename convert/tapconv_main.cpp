// tapconv: convert terminal recordings (docs/convert.md, tapconv(1)).
#include <cstdio>

#include "cli.hpp"
#include "tap/support/log.hpp"

namespace {

// Exit codes (docs/cli.md): 0 success, 1 failure (including input that breaks off part-way,
// after everything before the fault was written), 2 usage.
int exit_code_for(tap::ErrorKind kind) { return kind == tap::ErrorKind::invalid_argument ? 2 : 1; }

}  // namespace

int main(int argc, char** argv) {
  tap::log::set_program("tapconv");
  CLI::App app{"tapconv"};
  tap::convert::CliOptions options;
  tap::convert::add_cli_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "tapconv: error: %s\n", e.what());
    return 2;
  }
  if (auto r = tap::convert::finish_cli_options(options); !r.ok()) {
    tap::log::error(r.error().what());
    return 2;
  }
  auto result = tap::convert::convert(options.convert);
  if (!result.ok()) {
    tap::log::error(result.error().what());
    return exit_code_for(result.error().kind());
  }
  if (!options.quiet)
    for (const auto& w : result->warnings) tap::log::warning(w);
  if (result->input_fault) {
    tap::log::error(result->input_fault->what() + " (everything before it was converted)");
    return 1;
  }
  return 0;
}
