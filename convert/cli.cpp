#include "cli.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "tap/support/version.hpp"

namespace tap::convert {

void add_cli_options(CLI::App& app, CliOptions& o) {
  app.description(
      "Convert terminal recordings between .tap, asciicast v1/v2/v3, raw output, rendered text, "
      "util-linux script (typescript + timing) and JSON lines.");
  app.set_version_flag("--version", std::string("tapconv ") + kVersion);
  app.add_option("IN", o.convert.input, "input file, or - for standard input")->required();
  app.add_option("OUT", o.convert.output, "output file, or - for standard output")->required();
  app.add_option("--from", o.from,
                 "input format: tap, v1, v2, v3 (any asciicast), script, log-io "
                 "(default: from the extension, else from the content)");
  app.add_option("--to", o.to,
                 "output format: tap, v2 (cast), v3, raw, text, strip, script, log-io, jsonl "
                 "(default: from the extension: .tap .cast .raw .txt .jsonl .timing/.log)");
  app.add_flag("--strip", o.strip,
               "text output: the output bytes with escape sequences and controls removed, instead of "
               "the rendered screen lines (same as --to strip)");
  app.add_option("--timing", o.convert.timing,
                 "script timing file (input: default IN.timing; output: default OUT.timing)");
  app.add_flag("-f,--force", o.convert.force, "replace OUT if it exists");
  app.add_option("--from-time", o.convert.from_time,
                 "start of the part to convert: [[h:]m:]s[.frac], @hh:mm[:ss] or ISO-8601 (docs/cli.md); "
                 "the part opens on the screen as it was then");
  app.add_option("--to-time", o.convert.to_time, "end of the part to convert (same forms as --from-time)");
  app.add_flag("--no-keyframes", [&o](int64_t) { o.convert.keyframes = false; },
               ".tap output: do not add keyframes (seeking then replays from the start)");
  app.add_flag("--no-progress", o.no_progress, "never draw the progress bar");
  app.add_flag("-q,--quiet", o.quiet, "do not print warnings");
}

Result<void> finish_cli_options(CliOptions& o) {
  if (!o.from.empty()) {
    auto f = parse_format(o.from);
    if (!f || !can_read(*f)) return fail(ErrorKind::invalid_argument, "--from: unknown input format \"" + o.from + "\"");
    o.convert.from = f;
  }
  if (!o.to.empty()) {
    auto f = parse_format(o.to);
    if (!f || !can_write(*f)) return fail(ErrorKind::invalid_argument, "--to: unknown output format \"" + o.to + "\"");
    o.convert.to = f;
  }
  if (o.strip) {
    bool text_out = !o.convert.to ? format_from_extension(o.convert.output) == Format::text
                                  : *o.convert.to == Format::text || *o.convert.to == Format::strip;
    if (!text_out) return fail(ErrorKind::invalid_argument, "--strip: only for text output (.txt or --to text)");
    o.convert.to = Format::strip;
  }
  // A progress bar only where someone watches it, and only for inputs that take a while.
  constexpr off_t kLongInput = 32 << 20;
  struct stat st {};
  o.convert.progress = !o.no_progress && ::isatty(2) == 1 && o.convert.input != "-" &&
                       ::stat(o.convert.input.c_str(), &st) == 0 && st.st_size >= kLongInput;
  return {};
}

}  // namespace tap::convert
