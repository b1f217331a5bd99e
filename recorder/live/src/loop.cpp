#include "tap/live/loop.hpp"

#include <cerrno>
#include <ctime>
#include <vector>

namespace tap::live {

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<EpollLoop> EpollLoop::create() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return Error::from_errno("epoll_create1", errno);
  return EpollLoop(Fd(fd));
}

Result<void> EpollLoop::watch_fd(int fd, uint32_t events, FdCallback cb) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    return Error::from_errno("epoll_ctl add", errno);
  fds_[fd] = std::move(cb);
  return {};
}

Result<void> EpollLoop::modify_fd(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
    return Error::from_errno("epoll_ctl mod", errno);
  return {};
}

void EpollLoop::unwatch_fd(int fd) {
  epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(fd);
}

uint64_t EpollLoop::add_timer(int64_t period_ns, TimerCallback cb) {
  uint64_t id = next_timer_++;
  timers_[id] = Timer{period_ns, monotonic_ns() + period_ns, std::move(cb)};
  return id;
}

void EpollLoop::cancel_timer(uint64_t timer_id) { timers_.erase(timer_id); }

Result<void> EpollLoop::run_once(int timeout_ms) {
  int64_t now = monotonic_ns();
  for (const auto& [id, t] : timers_) {
    // Rounded up, so a timer due within the millisecond does not spin the loop.
    int64_t wait = (t.due_ns - now + 999'999) / 1'000'000;
    if (wait < 0) wait = 0;
    if (timeout_ms < 0 || wait < timeout_ms) timeout_ms = static_cast<int>(wait);
  }
  epoll_event evs[64];
  int n = epoll_wait(ep_.get(), evs, 64, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return {};
    return Error::from_errno("epoll_wait", errno);
  }
  for (int i = 0; i < n; ++i) {
    // A callback may unwatch other descriptors: look each one up again.
    auto it = fds_.find(evs[i].data.fd);
    if (it == fds_.end()) continue;
    FdCallback cb = it->second;
    cb(evs[i].events);
  }
  now = monotonic_ns();
  std::vector<uint64_t> due;
  for (const auto& [id, t] : timers_)
    if (t.due_ns <= now) due.push_back(id);
  for (uint64_t id : due) {
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    it->second.due_ns = now + it->second.period_ns;
    TimerCallback cb = it->second.cb;
    cb();
  }
  return {};
}

}  // namespace tap::live
