// taprec-worker: the term worker taprec starts (docs/live-protocol.md §Term worker).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "tap/support/log.hpp"
#include "tap/support/version.hpp"
#include "tap/worker/term_worker.hpp"

int main(int argc, char** argv) {
  tap::log::set_program("taprec-worker");
  tap::worker::WorkerOptions o;
  bool no_keyframes = false, no_sandbox = false;
  CLI::App app{"taprec-worker: terminal screens, keyframes and snapshots for taprec (started by taprec)"};
  app.set_version_flag("--version", std::string("taprec-worker ") + tap::kVersion);
  app.add_option("--fd", o.fd, "descriptor of the channel to taprec")->default_val(3);
  app.add_flag("--no-keyframes", no_keyframes, "answer snapshots only, produce no keyframes");
  app.add_flag("--no-sandbox", no_sandbox, "skip the privilege drop and seccomp filter (debugging)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "taprec-worker: error: %s\n", e.what());
    return 2;
  }
  o.keyframes = !no_keyframes;
  o.sandbox = !no_sandbox;
  auto r = tap::worker::run_worker(o);
  if (!r.ok()) {
    std::fprintf(stderr, "taprec-worker: error: %s\n", r.error().what().c_str());
    return 1;
  }
  return *r;
}
