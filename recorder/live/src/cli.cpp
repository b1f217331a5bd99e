#include "tap/live/cli.hpp"

#include <CLI/CLI.hpp>

#include <map>

#include "tap/support/version.hpp"

namespace tap::live {

std::optional<int> parse_tap_cli(int argc, char** argv, TapOptions* o) {
  CLI::App app{"tap: list, watch and snapshot live terminal sessions recorded by taprec"};
  app.set_version_flag("--version", std::string("tap ") + kVersion);
  app.require_subcommand(1, 1);
  app.option_defaults()->always_capture_default();
  app.add_option("--socket", o->socket_path, "taprec's live socket")
      ->default_val("/run/taprec/taprec.sock");
  app.add_option("--timeout", o->timeout_ms, "milliseconds to wait for taprec's answer")
      ->default_val(10000)
      ->check(CLI::Range(1, 3'600'000));

  auto* list = app.add_subcommand("list", "sessions you may see: opener, writer, counters, age, idle");
  list->add_flag("--json", o->json, "one JSON object instead of text");

  auto* snap = app.add_subcommand("snapshot", "the current screen of pty N");
  snap->add_option("N", o->pty_index, "pty index (N of /dev/pts/N)")->required();
  std::map<std::string, SnapshotFormat> formats{
      {"text", SnapshotFormat::text}, {"ansi", SnapshotFormat::ansi}, {"json", SnapshotFormat::json}};
  snap->add_option("--format", o->format, "text (default), ansi (with colours) or json")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
  snap->add_flag("--json", o->json, "same as --format json");
  snap->add_flag("--no-frame", o->no_frame, "rows only, without the header and the box");

  auto* watch = app.add_subcommand("watch", "the live output of pty N: its screen, then every byte");
  watch->add_option("N", o->pty_index, "pty index (N of /dev/pts/N)")->required();
  watch->add_flag("--json", o->json, "JSON lines (start with the screen, output, end)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::string msg = e.what();
    if (dynamic_cast<const CLI::CallForHelp*>(&e) || dynamic_cast<const CLI::CallForAllHelp*>(&e) ||
        dynamic_cast<const CLI::CallForVersion*>(&e))
      return app.exit(e);
    std::fprintf(stderr, "tap: error: %s (try --help)\n", msg.c_str());
    return 2;
  }
  if (list->parsed()) o->command = Command::list;
  if (snap->parsed()) {
    o->command = Command::snapshot;
    if (o->json) o->format = SnapshotFormat::json;
  }
  if (watch->parsed()) o->command = Command::watch;
  return std::nullopt;
}

int exit_code_for(const Error& error) {
  return error.kind() == ErrorKind::invalid_argument ? 2 : 1;
}

}  // namespace tap::live
