#include "tap/recorder/daemon.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "tap/format/keys.hpp"
#include "tap/recorder/file_backend.hpp"
#include "tap/recorder/session_table.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/log.hpp"
#if __has_include("tap/live/service.hpp")
#include "tap/live/service.hpp"
#define TAP_HAVE_LIVE_SERVICE 1
#endif

namespace tap::recorder {
namespace fs = std::filesystem;

namespace {
// How often the daemon returns free heap pages to the kernel (malloc_trim).
constexpr uint64_t kTrimIntervalNs = 10ull * 1000 * 1000 * 1000;

uint64_t mono_now() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int64_t wall_now() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000ll + ts.tv_nsec;
}

int32_t utc_offset() {
  time_t now = ::time(nullptr);
  struct tm tm {};
  ::localtime_r(&now, &tm);
  return static_cast<int32_t>(tm.tm_gmtoff);
}

// Tells systemd (Type=notify) that the recorder is up; no libsystemd needed.
void notify_ready() {
  const char* sock = std::getenv("NOTIFY_SOCKET");
  if (sock == nullptr || sock[0] == 0) return;
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return;
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  size_t len = std::strlen(sock);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, sock, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = 0;
  const char msg[] = "READY=1";
  ::sendto(fd.get(), msg, sizeof msg - 1, 0, reinterpret_cast<sockaddr*>(&addr),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
}

// Feeds ring records to the table (decoder errors are counted, never fatal).
class Pump final : public RecordSink {
 public:
  explicit Pump(SessionTable& table) : table_(table) {}
  void record(std::span<const uint8_t> bytes) override {
    auto r = decode_record(bytes);
    if (!r.ok()) {
      if (bad_++ == 0) log::warning(r.error().what(), " (further bad records are only counted)");
      return;
    }
    table_.handle(*r);
  }
  uint64_t bad() const { return bad_; }

 private:
  SessionTable& table_;
  uint64_t bad_ = 0;
};

// The epoll loop's fd and timer registry, offered to observers through DaemonHost.
class Loop final : public DaemonHost {
 public:
  Result<void> init() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return fail(Error::from_errno("epoll_create1", errno));
    return {};
  }
  int fd() const { return epoll_.get(); }

  Result<void> watch_fd(int fd, uint32_t events, FdCallback cb) override {
    struct epoll_event ev {};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      return fail(Error::from_errno("epoll add", errno));
    fds_[fd] = std::move(cb);
    return {};
  }
  Result<void> modify_fd(int fd, uint32_t events) override {
    struct epoll_event ev {};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
      return fail(Error::from_errno("epoll mod", errno));
    return {};
  }
  void unwatch_fd(int fd) override {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    fds_.erase(fd);
  }
  uint64_t add_timer(int64_t period_ns, TimerCallback cb) override {
    uint64_t id = next_timer_++;
    timers_[id] = Timer{period_ns > 0 ? period_ns : 1, mono_now() + static_cast<uint64_t>(period_ns), std::move(cb)};
    return id;
  }
  void cancel_timer(uint64_t id) override { timers_.erase(id); }
  Result<uint64_t> append_keyframe(uint64_t, format::Keyframe) override {
    return fail(ErrorKind::internal, "loop: keyframes go to the session table");
  }
  Result<uint64_t> append_marker(uint64_t, format::Marker) override {
    return fail(ErrorKind::internal, "loop: markers go to the session table");
  }
  void release_session(uint64_t) override {}
  std::vector<const SessionView*> sessions() const override { return {}; }
  const SessionView* find_session(uint64_t) const override { return nullptr; }

  // Waits up to `timeout_ms`, runs ready callbacks and due timers.
  Result<void> turn(int timeout_ms) {
    struct epoll_event evs[32];
    int n = ::epoll_wait(epoll_.get(), evs, 32, timeout_ms);
    if (n < 0 && errno != EINTR) return fail(Error::from_errno("epoll_wait", errno));
    for (int i = 0; i < n; ++i) {
      auto it = fds_.find(evs[i].data.fd);
      if (it != fds_.end()) {
        FdCallback cb = it->second;  // the callback may unwatch itself
        cb(evs[i].events);
      }
    }
    uint64_t now = mono_now();
    std::vector<uint64_t> due;
    for (auto& [id, t] : timers_)
      if (t.next <= now) due.push_back(id);
    for (uint64_t id : due) {
      auto it = timers_.find(id);
      if (it == timers_.end()) continue;
      it->second.next = now + static_cast<uint64_t>(it->second.period);
      TimerCallback cb = it->second.cb;
      cb();
    }
    return {};
  }

 private:
  struct Timer {
    int64_t period;
    uint64_t next;
    TimerCallback cb;
  };
  Fd epoll_;
  std::map<int, FdCallback> fds_;
  std::map<uint64_t, Timer> timers_;
  uint64_t next_timer_ = 1;
};

// Kernel dev_t encoding (major << 20 | minor) of a user-space st_dev.
uint64_t kernel_dev(dev_t d) {
  return (static_cast<uint64_t>(major(d)) << 20) | minor(d);
}

struct Existing {
  SessionKey key;
  uint16_t cols = 0, rows = 0;
};

// Ptys that are open now: every /dev/ptmx descriptor in /proc, its index from fdinfo
// ("tty-index"), its devpts instance and size from the slave as that process sees it.
std::vector<Existing> find_existing_sessions() {
  std::map<std::pair<uint64_t, uint32_t>, Existing> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return {};
  while (struct dirent* de = ::readdir(proc)) {
    if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
    std::string pid = de->d_name;
    std::string fddir = "/proc/" + pid + "/fd";
    DIR* fds = ::opendir(fddir.c_str());
    if (fds == nullptr) continue;
    while (struct dirent* fe = ::readdir(fds)) {
      if (fe->d_name[0] == '.') continue;
      struct stat st {};
      if (::stat((fddir + "/" + fe->d_name).c_str(), &st) != 0) continue;
      if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) continue;
      std::ifstream info("/proc/" + pid + "/fdinfo/" + fe->d_name);
      std::string line;
      long index = -1;
      while (std::getline(info, line))
        if (line.rfind("tty-index:", 0) == 0) index = std::strtol(line.c_str() + 10, nullptr, 10);
      if (index < 0) continue;
      std::string slave = "/proc/" + pid + "/root/dev/pts/" + std::to_string(index);
      struct stat ss {};
      if (::stat(slave.c_str(), &ss) != 0) continue;
      Existing e;
      e.key = SessionKey{kernel_dev(ss.st_dev), static_cast<uint32_t>(index), 0};
      int sfd = ::open(slave.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
      if (sfd >= 0) {
        struct winsize ws {};
        if (::ioctl(sfd, TIOCGWINSZ, &ws) == 0) {
          e.cols = ws.ws_col;
          e.rows = ws.ws_row;
        }
        ::close(sfd);
      }
      found[{e.key.pty_dev, e.key.pty_index}] = e;
    }
    ::closedir(fds);
  }
  ::closedir(proc);
  std::vector<Existing> out;
  for (auto& [k, e] : found) out.push_back(e);
  return out;
}

// Answers the session table's questions from /dev/pts and the pinned sessions map.
class Kernel final : public KernelView {
 public:
  explicit Kernel(Probe& probe) : probe_(probe) {
    struct stat st {};
    if (::stat("/dev/pts", &st) == 0) host_devpts_ = kernel_dev(st.st_dev);
  }
  bool pty_alive(const SessionKey& key, uint32_t pid) override {
    std::string path;
    if (key.pty_dev == host_devpts_) {
      path = "/dev/pts/" + std::to_string(key.pty_index);
    } else {
      if (pid == 0) return true;  // cannot tell: keep recording
      std::string proc = "/proc/" + std::to_string(pid);
      if (::access(proc.c_str(), F_OK) != 0) return false;
      path = proc + "/root/dev/pts/" + std::to_string(key.pty_index);
    }
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && kernel_dev(st.st_dev) == key.pty_dev;
  }
  std::optional<std::pair<uint64_t, uint64_t>> offsets(const SessionKey& key) override {
    for (const auto& k : probe_.sessions())
      if (k.key.pty_dev == key.pty_dev && k.key.pty_index == key.pty_index &&
          k.key.generation == key.generation)
        return std::make_pair(k.out_off, k.in_off);
    return std::nullopt;
  }
  std::string container(uint32_t pid) override {
    // cgroup v2 ("0::/path"), else the systemd hierarchy of a v1/hybrid host.
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::string line, v2, systemd;
    while (std::getline(in, line)) {
      if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
      else if (auto p = line.find(":name=systemd:"); p != std::string::npos) systemd = line.substr(p + 14);
    }
    std::string path = !v2.empty() && v2 != "/" ? v2 : systemd;
    return path == "/" ? std::string() : path;
  }

 private:
  Probe& probe_;
  uint64_t host_devpts_ = 0;
};

std::string mib(uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return b;
}

}  // namespace

Result<void> run_daemon(const DaemonOptions& initial, std::function<Result<DaemonOptions>()> reload) {
  DaemonOptions options = initial;
  log::set_level(options.log_level);
  if (::geteuid() != 0)
    return fail(ErrorKind::permission, "taprec must run as root (it loads BPF programs)");

  // Signals first, so a SIGTERM during start-up is not lost.
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
  sigaddset(&mask, SIGPIPE);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0)
    return fail(Error::from_errno("block signals", errno));
  sigdelset(&mask, SIGPIPE);
  Fd sigfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) return fail(Error::from_errno("signalfd", errno));

  FileBackendOptions fo;
  fo.spool = options.spool;
  if (!options.auditor_group.empty()) {
    struct group* g = ::getgrnam(options.auditor_group.c_str());
    if (g == nullptr)
      return fail(ErrorKind::invalid_argument, "auditor group '" + options.auditor_group + "' does not exist");
    fo.auditor_gid = g->gr_gid;
  }
  if (options.sign) {
    auto key = format::SigningKey::load_or_create(options.key_dir);
    if (!key.ok()) return fail(std::move(key).error().context("host key in " + options.key_dir.string()));
    fo.writer.key = *key;
  }
  TAP_TRY(auto backend, FileBackend::open(fo));

  uint64_t mono0 = mono_now();
  int64_t wall0 = wall_now();
  SessionTable table(*backend, wall0 - static_cast<int64_t>(mono0), utc_offset());
  Loop loop;
  TAP_CHECK(loop.init());
  table.set_loop(&loop);

  Pump pump(table);
  auto probe_r = Probe::open(options.probe, &pump);
  if (!probe_r.ok()) return fail(std::move(probe_r).error().context("start capture"));
  std::unique_ptr<Probe> probe = std::move(probe_r).value();
  Kernel kernel_view(*probe);
  table.set_kernel(&kernel_view);

  std::unique_ptr<SessionObserver> live;
#ifdef TAP_HAVE_LIVE_SERVICE
  if (options.live) {
    LiveServiceOptions lo;
    lo.socket_path = options.socket;
    lo.spool_dir = options.spool;
    lo.self_exe = fs::read_symlink("/proc/self/exe");
    auto service = tap::live::make_service(table, lo);
    if (service.ok()) {
      live = std::move(service).value();
      table.add_observer(live.get());
    } else {
      log::warning("live socket disabled: ", service.error().what());
    }
  }
#endif

  // Records already in the ring (left by a crashed predecessor) come first, then ptys that
  // are open but quiet.
  TAP_CHECK(probe->consume());
  std::map<std::pair<uint64_t, uint32_t>, KernelSession> kernel;
  for (const auto& k : probe->sessions()) kernel[{k.key.pty_dev, k.key.pty_index}] = k;
  for (const Existing& e : find_existing_sessions()) {
    SessionKey key = e.key;
    uint64_t out = 0, in = 0;
    auto it = kernel.find({key.pty_dev, key.pty_index});
    if (it != kernel.end() && !it->second.closed) {
      key.generation = it->second.key.generation;
      out = it->second.out_off;
      in = it->second.in_off;
    }
    table.join_existing(key, e.cols, e.rows, mono_now(), out, in);
  }

  bool stopping = false;
  TAP_CHECK(loop.watch_fd(sigfd.get(), EPOLLIN, [&](uint32_t) {
    struct signalfd_siginfo si {};
    while (::read(sigfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGHUP) {
        if (!reload) continue;
        auto next = reload();
        if (!next.ok()) {
          log::error("reload: ", next.error().what(), "; keeping the running configuration");
          continue;
        }
        log::set_level(next->log_level);
        if (next->probe.input != options.probe.input) {
          auto r = probe->set_input_mode(next->probe.input);
          if (!r.ok()) log::error("reload: ", r.error().what());
        }
        options.probe.input = next->probe.input;
        options.stats_interval_ns = next->stats_interval_ns;
        log::info("configuration reloaded (input ", input_mode_name(options.probe.input), ")");
      } else {
        stopping = true;
      }
    }
  }));
  TAP_CHECK(loop.watch_fd(probe->ring_fd(), EPOLLIN, [&](uint32_t) { (void)probe->consume(); }));

  log::info("recording every pty to ", options.spool.string(), " (hooks ",
            hooks_name(probe->hooks()), ", ring ", mib(options.probe.ring_bytes), ", input ",
            input_mode_name(options.probe.input), probe->took_over() ? ", took over after a crash" : "", ")");
  notify_ready();
  uint64_t last_stats = mono_now();
  uint64_t last_trim = last_stats;
  TableCounters last_counters;
  ProbeStats last_probe;
  while (!stopping) {
    // Wake-ups are batched in the kernel: drain at least every 100 ms.
    TAP_CHECK(loop.turn(100));
    auto n = probe->consume();
    if (!n.ok()) log::error(n.error().what());
    uint64_t now = mono_now();
    table.tick(now);
    if (now - last_trim >= kTrimIntervalNs) {
      // Idle sessions free their buffers (mostly below the mmap threshold, so inside the
      // heap); give the free pages back so an idle session costs its state, not its past peak.
      last_trim = now;
      malloc_trim(0);
    }
    if (now - last_stats >= static_cast<uint64_t>(options.stats_interval_ns)) {
      last_stats = now;
      const TableCounters& c = table.counters();
      ProbeStats ps = probe->stats();
      if (c.output_bytes != last_counters.output_bytes || c.sessions_started != last_counters.sessions_started ||
          ps.drop_records != last_probe.drop_records || c.input_bytes != last_counters.input_bytes) {
        log::info("sessions live ", table.live_sessions(), " started ", c.sessions_started, " ended ",
                  c.sessions_ended, "; output ", mib(c.output_bytes), " input ", c.input_bytes,
                  " B; lost ", c.gap_bytes, " B; ring drops ", ps.drop_records, " records ",
                  ps.drop_bytes, " B; write errors ", c.write_errors, "; bad records ", pump.bad());
      }
      last_counters = c;
      last_probe = ps;
    }
  }

  // Stop: everything the kernel gave us goes to disk, each file is sealed and finished.
  (void)probe->consume();
  table.finish_all(format::SessionEnd::Reason::recorder_stopped);
  if (live) live->shutdown();
  probe->stop();
  const TableCounters& c = table.counters();
  log::info("stopped: ", c.sessions_started, " sessions, output ", mib(c.output_bytes), ", lost ",
            c.gap_bytes, " B");
  return {};
}

Result<void> run_check(Hooks hooks, BpfVariant variant) {
  CheckReport r = check_kernel(hooks, variant);
  for (const auto& line : r.lines) std::printf("%s\n", line.c_str());
  if (!r.can_record) return fail(ErrorKind::unsupported, "this kernel cannot record (see above)");
  std::printf("taprec can record on this kernel\n");
  return {};
}

}  // namespace tap::recorder
