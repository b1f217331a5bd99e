// taprec's daemon: probe + session table + .tap files + epoll loop (docs/recorder.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "tap/recorder/probe.hpp"
#include "tap/support/log.hpp"
#include "tap/support/result.hpp"

namespace tap::recorder {

struct DaemonOptions {
  bool foreground = false;
  std::filesystem::path spool = "/var/log/taprec";
  std::filesystem::path key_dir = "/etc/taprec/keys";
  std::filesystem::path socket = "/run/taprec/taprec.sock";
  std::string auditor_group;                  // "": dirs 0700, files 0600
  ProbeOptions probe;
  log::Level log_level = log::Level::info;
  int64_t stats_interval_ns = 60'000'000'000; // periodic counter line
  bool live = true;                           // serve the live socket (when built with it)
  bool sign = true;                           // sign seals with the host key
};

// Runs until SIGTERM/SIGINT (then every session is sealed with recorder_stopped and the
// programs are detached: Result ok). `reload` re-reads the configuration on SIGHUP.
Result<void> run_daemon(const DaemonOptions& options,
                        std::function<Result<DaemonOptions>()> reload);

// `taprec check`: prints the report (for the capture variant asked for, `automatic` = what
// taprec would pick); ok when this kernel can record.
Result<void> run_check(Hooks hooks, BpfVariant variant);

}  // namespace tap::recorder
