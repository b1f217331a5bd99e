// The event loop the live service runs on: the shape of taprec's DaemonHost fd/timer
// registration, so the server runs in the daemon's loop, in tests on EpollLoop.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

#include "tap/support/fd.hpp"
#include "tap/support/result.hpp"

namespace tap::live {

class Loop {
 public:
  using FdCallback = std::function<void(uint32_t epoll_events)>;
  using TimerCallback = std::function<void()>;
  virtual ~Loop() = default;
  virtual Result<void> watch_fd(int fd, uint32_t events, FdCallback cb) = 0;
  virtual Result<void> modify_fd(int fd, uint32_t events) = 0;
  virtual void unwatch_fd(int fd) = 0;
  virtual uint64_t add_timer(int64_t period_ns, TimerCallback cb) = 0;
  virtual void cancel_timer(uint64_t timer_id) = 0;
};

// A minimal single-threaded epoll loop (tests, benchmarks).
class EpollLoop final : public Loop {
 public:
  static Result<EpollLoop> create();
  EpollLoop(EpollLoop&&) = default;

  Result<void> watch_fd(int fd, uint32_t events, FdCallback cb) override;
  Result<void> modify_fd(int fd, uint32_t events) override;
  void unwatch_fd(int fd) override;
  uint64_t add_timer(int64_t period_ns, TimerCallback cb) override;
  void cancel_timer(uint64_t timer_id) override;

  // Waits up to `timeout_ms` for readiness, runs the ready callbacks and due timers.
  Result<void> run_once(int timeout_ms);

 private:
  explicit EpollLoop(Fd ep) : ep_(std::move(ep)) {}
  struct Timer {
    int64_t period_ns;
    int64_t due_ns;
    TimerCallback cb;
  };
  Fd ep_;
  std::unordered_map<int, FdCallback> fds_;
  std::map<uint64_t, Timer> timers_;
  uint64_t next_timer_ = 1;
};

// CLOCK_MONOTONIC in ns.
int64_t monotonic_ns();
int64_t wall_ns();

}  // namespace tap::live
