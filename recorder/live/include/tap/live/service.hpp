// The live service taprec runs: the `tap` socket server and the term worker that keeps a
// screen per live session, produces keyframes and answers snapshots (DESIGN §4, §6).
//
// taprec constructs it through make_service() and adds it to its observers. Everything runs
// on the daemon's loop thread and never waits: the worker is fed through a non-blocking
// socket with a bounded queue per session. A session more than `lag_limit` behind has its
// keyframes suspended (a keyframes_suspended marker) and is rebuilt from its file once the
// worker has drained (keyframes_resumed). A worker that dies is restarted and rebuilds every
// live screen from the files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "tap/live/server.hpp"
#include "tap/recorder/session_observer.hpp"
#include "tap/support/result.hpp"

namespace tap::live {

struct ServiceTuning {
  size_t lag_limit = 64u << 20;           // bytes queued for one session before suspending
  int64_t restart_delay_ns = 200'000'000;  // wait before restarting a dead worker
  std::filesystem::path worker_exe;        // default: taprec-worker beside taprec, else libexec
  ServerOptions server;                    // socket_path/socket_mode come from the options
};

Result<std::unique_ptr<recorder::SessionObserver>> make_service(
    recorder::DaemonHost& host, const recorder::LiveServiceOptions& options);
Result<std::unique_ptr<recorder::SessionObserver>> make_service(
    recorder::DaemonHost& host, const recorder::LiveServiceOptions& options,
    const ServiceTuning& tuning);

// Where the worker executable is looked for (first that exists).
std::filesystem::path find_worker_exe(const recorder::LiveServiceOptions& options,
                                      const ServiceTuning& tuning);

}  // namespace tap::live
