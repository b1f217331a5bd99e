#include "cli.hpp"

#include <CLI/CLI.hpp>

#include "tap/support/log.hpp"
#include "tap/support/time_spec.hpp"
#include "tap/support/version.hpp"

namespace tap::grep {

namespace {

constexpr const char* kDefaultSpool = "/var/log/taprec";

// --since/--until take wall-clock times with a zone (docs/cli.md "Times", ISO form).
bool parse_wall(const std::string& flag, const std::string& text, std::optional<int64_t>& out) {
  auto spec = parse_time_spec(text);
  if (!spec.ok()) {
    log::error(flag, ": ", spec.error().what());
    return false;
  }
  if (spec->kind != TimeSpec::Kind::absolute) {
    log::error(flag, ": '", text, "' is not a wall-clock time: use YYYY-MM-DDThh:mm[:ss](Z|+hh:mm)");
    return false;
  }
  out = spec->ns;
  return true;
}

}  // namespace

int parse_cli(int argc, char** argv, Cli& cli) {
  CLI::App app{"Search terminal recordings (.tap, .cast) by what the screen showed.\n"
               "Each hit prints FILE@h:mm:ss.mmm  opener[→writer]  line; `tapplay FILE@h:mm:ss.mmm`\n"
               "shows that moment. Exit: 0 a match, 1 none, 2 an error.",
               "tapgrep"};
  app.set_version_flag("--version", std::string("tapgrep ") + kVersion);
  GrepOptions& o = cli.options;
  std::string pattern;
  std::vector<std::string> patterns;
  std::vector<std::string> args;
  bool raw = false, input = false;
  std::string since, until, tty;
  app.add_option("PATTERN", args, "PATTERN (unless -e is given), then each PATH: a file or a directory "
                                  "to search (default: the spool, /var/log/taprec)")
      ->type_name("[PATH...]");
  app.add_option("-e,--regexp", patterns, "A pattern to search for (repeat for several; a line "
                                          "matching any of them is a hit)");
  app.add_flag("-F,--fixed-strings", o.match.fixed, "Patterns are fixed strings, not regular expressions");
  app.add_flag("-i,--ignore-case", o.match.ignore_case, "Match upper and lower case alike");
  auto* raw_opt = app.add_flag("--raw", raw, "Search the raw output stream (lines split on \\n; escape "
                                             "sequences are matched but printed escaped)");
  app.add_flag("--input", input, "Search the keystrokes (lines split on \\r and \\n)")->excludes(raw_opt);
  app.add_option("-C,--context", o.context, "Print N rendered lines before and after each hit")
      ->check(CLI::Range(0, 1000));
  app.add_flag("-l,--files-with-matches", o.files_with_matches, "Print only the names of files with a hit");
  app.add_flag("-c,--count", o.count, "Print only the number of hits per file (FILE:N)");
  app.add_flag("--json", o.json, "One JSON object per line: file, session_id, host, offset, offset_ns, "
                                 "wall_time, opener, opener_uid, writer_uid, writer_euid, context, line");
  std::string user;
  app.add_option("--user", user, "Only sessions opened by this user (name or numeric uid)");
  uint32_t as_uid = 0;
  auto* as_uid_opt = app.add_option("--as-uid", as_uid, "Only hits while the writer had this uid or "
                                                        "euid (e.g. 0: after sudo or su)");
  std::string host;
  app.add_option("--host", host, "Only sessions recorded on this host name");
  app.add_option("--since", since, "Only hits at or after this wall-clock time "
                                   "(YYYY-MM-DDThh:mm[:ss](Z|+hh:mm))");
  app.add_option("--until", until, "Only hits at or before this wall-clock time");
  app.add_option("--tty", tty, "Only sessions on this pty: N or pts/N");
  app.add_option("-j,--jobs", o.jobs, "Files searched at once (default: one per core)")
      ->check(CLI::Range(1, 256));

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    log::error(e.what());
    return 2;
  }

  if (!patterns.empty()) {
    o.match.patterns = patterns;
    cli.paths = args;
  } else if (!args.empty()) {
    o.match.patterns.push_back(args.front());
    cli.paths.assign(args.begin() + 1, args.end());
  } else {
    log::error("no pattern given (tapgrep PATTERN [PATH...]; --help for more)");
    return 2;
  }
  if (cli.paths.empty()) cli.paths.push_back(kDefaultSpool);
  o.mode = raw ? Mode::raw : input ? Mode::input : Mode::rendered;
  if (!user.empty()) o.user = user;
  if (as_uid_opt->count() > 0) o.as_uid = as_uid;
  if (!host.empty()) o.host = host;
  if (!since.empty() && !parse_wall("--since", since, o.since_ns)) return 2;
  if (!until.empty() && !parse_wall("--until", until, o.until_ns)) return 2;
  if (!tty.empty()) {
    std::string n = tty.rfind("pts/", 0) == 0 ? tty.substr(4) : tty;
    if (n.rfind("/dev/pts/", 0) == 0) n = n.substr(9);
    char* end = nullptr;
    const unsigned long v = std::strtoul(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || v > 0xFFFFFFFFul) {
      log::error("--tty: '", tty, "' is not N or pts/N");
      return 2;
    }
    o.tty = static_cast<uint32_t>(v);
  }
  return -1;
}

}  // namespace tap::grep
