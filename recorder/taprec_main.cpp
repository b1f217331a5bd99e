// taprec: the recorder daemon (docs/recorder.md, docs/man/taprec.8).
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "tap/recorder/daemon.hpp"
#include "tap/support/log.hpp"

namespace {

int exit_code(const tap::Error& e) {
  switch (e.kind()) {
    case tap::ErrorKind::invalid_argument: return 2;
    default: return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  tap::log::set_program("taprec");
  // Per-session compression contexts (about 1 MiB each) are freed when a session idles.
  // glibc raises its mmap threshold after the first such block is freed, so later ones come
  // from the heap and their pages stay resident after free (50 idle sessions: 51 MiB private
  // dirty). A fixed threshold keeps them mmapped and returned (5 MiB; docs/recorder.md).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024);
  std::vector<std::string> args(argv, argv + argc);
  tap::recorder::Cli cli = tap::recorder::parse_cli(args);
  if (cli.command == tap::recorder::Cli::Command::exit) return cli.exit_code;

  tap::Result<void> r;
  if (cli.command == tap::recorder::Cli::Command::check) {
    r = tap::recorder::run_check(cli.options.probe.hooks, cli.options.probe.variant);
  } else {
    if (!cli.options.foreground && ::daemon(0, 1) != 0) {
      std::perror("taprec: error: daemon");
      return 1;
    }
    // SIGHUP re-reads the same command line and configuration file.
    auto reload = [args]() -> tap::Result<tap::recorder::DaemonOptions> {
      tap::recorder::Cli again = tap::recorder::parse_cli(args);
      if (again.command != tap::recorder::Cli::Command::run)
        return tap::fail(tap::ErrorKind::invalid_argument, "configuration is not valid");
      return again.options;
    };
    r = tap::recorder::run_daemon(cli.options, reload);
  }
  if (!r.ok()) {
    std::fprintf(stderr, "taprec: error: %s\n", r.error().what().c_str());
    return exit_code(r.error());
  }
  return 0;
}
