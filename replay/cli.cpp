#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "tap/support/version.hpp"

namespace tap::replay::cli {

std::optional<int> parse_tapplay(int argc, char** argv, TapplayOptions* out) {
  CLI::App app{
      "Play a tap recording with its original timing, or render the screen at a moment.\n"
      "Keys while playing: space pause/resume, '.' step while paused, left/right arrow -/+10 s,\n"
      "']'/'[' next/previous mark (prompt, command, uid change, gap, marker), q quit.",
      "tapplay"};
  app.set_version_flag("--version", std::string("tapplay ") + tap::kVersion);
  app.add_option("file", out->file,
                 "recording (.tap); FILE@T renders the screen at T like --at; - reads stdin")
      ->required();
  app.add_option("--at", out->at,
                 "render the screen at T and exit: [[h:]m:]s[.frac], end, @hh:mm[:ss] "
                 "(wall clock on the recording's day) or an ISO-8601 time with a zone");
  app.add_option("--format", out->format,
                 "output of --at: text (default), ansi, html, svg or json")
      ->check(CLI::IsMember({"text", "ansi", "html", "svg", "json"}));
  app.add_option("--speed", out->speed,
                 "playback speed factor (default 1); 0 writes the output without waiting")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--idle-limit", out->idle_limit,
                 "longest pause kept between events, in seconds (a longer one is cut to this)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--follow", out->follow,
               "keep playing a recording that is still being written, until it ends");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::cerr << "tapplay: error: " << what << " (see tapplay --help)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace tap::replay::cli
