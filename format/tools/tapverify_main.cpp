// tapverify: integrity of .tap recordings (docs/integrity.md, tapverify(1)).
#include <cstdio>

#include "cli.hpp"
#include "tap/support/log.hpp"

int main(int argc, char** argv) {
  tap::log::set_program("tapverify");
  CLI::App app{"tapverify"};
  tap::format::tools::VerifyOptions options;
  tap::format::tools::add_verify_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "tapverify: error: %s\n", e.what());
    return 2;
  }
  // Exit codes are the verdicts: 0 complete, 1 sealed prefix, 2 usage or I/O, 3 tampered or
  // corrupt, 4 no trusted key; the worst file wins.
  return tap::format::tools::run_tapverify(options);
}
