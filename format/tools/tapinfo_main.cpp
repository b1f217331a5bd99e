// tapinfo: what a .tap recording holds (docs/format.md §tapinfo, tapinfo(1)).
#include <cstdio>

#include "cli.hpp"
#include "tap/support/log.hpp"

int main(int argc, char** argv) {
  tap::log::set_program("tapinfo");
  CLI::App app{"tapinfo"};
  tap::format::tools::InfoOptions options;
  tap::format::tools::add_info_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "tapinfo: error: %s\n", e.what());
    return 2;
  }
  // 0: every file described; 1: a file could not be read or is corrupt in the middle (what
  // could be read is still described); 2: usage.
  return tap::format::tools::run_tapinfo(options);
}
