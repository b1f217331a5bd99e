#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "tap/support/version.hpp"

namespace tap::recorder {

namespace {

// "64M", "64MiB", "1G", "4096": bytes.
bool parse_size(const std::string& text, uint64_t* out) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str()) return false;
  std::string unit(end);
  uint64_t mul = 1;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "K" || unit == "KiB" || unit == "k") mul = 1ull << 10;
  else if (unit == "M" || unit == "MiB") mul = 1ull << 20;
  else if (unit == "G" || unit == "GiB") mul = 1ull << 30;
  else return false;
  *out = v * mul;
  return true;
}

}  // namespace

Cli parse_cli(const std::vector<std::string>& args) {
  Cli cli;
  DaemonOptions& o = cli.options;
  CLI::App app{"taprec: record every pty session on this host from eBPF into .tap files"};
  app.name("taprec");
  app.set_version_flag("--version", std::string("taprec ") + kVersion);
  app.set_config("--config", "/etc/taprec/taprec.conf",
                 "configuration file (TOML/INI keys named like the long options)", false);
  app.add_flag("--foreground", o.foreground, "stay in the foreground (systemd, ./build.sh run)");
  std::string spool = o.spool.string(), key_dir = o.key_dir.string(), socket = o.socket.string(),
              pin_dir = o.probe.pin_dir.string();
  std::string hooks = "auto", variant = "auto", input = "suppress-passwords", ring = "64M", log_level = "info";
  double stats_interval = 60;
  bool no_live = false, no_sign = false;
  app.add_option("--spool", spool, "directory the recordings go to")->capture_default_str();
  app.add_option("--hooks", hooks, "auto | tracepoint (per-syscall) | raw_tp (sys_enter/sys_exit)")
      ->capture_default_str();
  app.add_option("--bpf-variant", variant,
                 "capture object: auto (fast when the kernel has the bpf_rdonly_cast kfunc, "
                 "Linux 6.2+, else compat; compat also when fast fails to load) | fast | compat "
                 "(one probe read per kernel field, Linux 5.17+)")
      ->envname("TAPREC_BPF_VARIANT")
      ->capture_default_str();
  app.add_option("--socket", socket, "live socket for `tap list|watch|snapshot`")->capture_default_str();
  app.add_option("--ring-size", ring, "BPF ring buffer size, a power of two >= 16M (e.g. 64M)")
      ->capture_default_str();
  app.add_option("--input", input,
                 "input to store: all | suppress-passwords (length only while the pty has "
                 "ECHO off and ICANON on) | none")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug | info | warning | error | off")->capture_default_str();
  app.add_option("--key-dir", key_dir, "host signing key directory (created on first start)")
      ->capture_default_str();
  app.add_option("--auditor-group", o.auditor_group,
                 "group that may read recordings (dirs 0750, files 0640); default none (0700/0600)");
  app.add_option("--pin-dir", pin_dir, "bpffs directory for the pinned maps and links")->capture_default_str();
  app.add_option("--stats-interval", stats_interval, "seconds between counter log lines")
      ->capture_default_str();
  app.add_flag("--no-live", no_live, "do not serve the live socket");
  app.add_flag("--no-sign", no_sign, "do not sign seals (chain heads only)");
  app.add_flag("--test-break-fast", o.probe.test_break_fast,
               "make the fast capture object fail to load (tests of the compat fallback only)")
      ->group("");
  bool small_ring = false;
  app.add_flag("--test-small-ring", small_ring, "allow rings below 16M (tests of forced loss only)")
      ->group("");
  auto* check = app.add_subcommand("check", "report whether this kernel can record, how, and what is not covered");
  check->add_option("--hooks", hooks, "flavour to try: auto | tracepoint | raw_tp");
  check->add_option("--bpf-variant", variant, "capture object to try: auto | fast | compat");

  std::vector<std::string> rev(args.rbegin(), args.rend() - 1);  // CLI11 wants them reversed, no argv[0]
  try {
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    cli.command = Cli::Command::exit;
    if (e.get_exit_code() == 0) {
      app.exit(e);
      cli.exit_code = 0;
    } else {
      std::fprintf(stderr, "taprec: error: %s (see taprec --help)\n", e.what());
      cli.exit_code = 2;
    }
    return cli;
  }
  auto bad = [&](const std::string& msg) {
    std::fprintf(stderr, "taprec: error: %s\n", msg.c_str());
    cli.command = Cli::Command::exit;
    cli.exit_code = 2;
    return cli;
  };
  auto h = parse_hooks(hooks);
  if (!h.ok()) return bad(h.error().what());
  o.probe.hooks = *h;
  auto v = parse_bpf_variant(variant);
  if (!v.ok()) return bad(v.error().what());
  o.probe.variant = *v;
  auto in = parse_input_mode(input);
  if (!in.ok()) return bad(in.error().what());
  o.probe.input = *in;
  if (!parse_size(ring, &o.probe.ring_bytes)) return bad("--ring-size: not a size: '" + ring + "'");
  o.probe.allow_small_ring = small_ring;
  {
    uint64_t r = o.probe.ring_bytes;
    if (r == 0 || (r & (r - 1)) != 0 || r > (1ull << 31) || (r < (16ull << 20) && !small_ring) || r < 4096)
      return bad("--ring-size must be a power of two between 16M and 2G, not '" + ring + "'");
  }
  if (!log::parse_level(log_level, &o.log_level)) return bad("--log-level: unknown level '" + log_level + "'");
  if (stats_interval <= 0) return bad("--stats-interval must be positive");
  o.stats_interval_ns = static_cast<int64_t>(stats_interval * 1e9);
  o.spool = spool;
  o.key_dir = key_dir;
  o.socket = socket;
  o.probe.pin_dir = pin_dir;
  o.live = !no_live;
  o.sign = !no_sign;
  if (check->parsed()) cli.command = Cli::Command::check;
  return cli;
}

}  // namespace tap::recorder
