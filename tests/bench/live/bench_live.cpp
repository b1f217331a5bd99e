// bench_live at FILE [samples]     p50/p99 of rendering the screen at random times of a
//                                  recording (open, seek_keyframe, restore, replay to T)
// bench_live worker FILE [exe]     the term worker's CPU per 100 MB of the recording's output,
//                                  fed through its real channel, plus the feeding side's CPU
// bench_live service FILE [exe]    the daemon side of the live service (taprec's observer:
//                                  queueing and writing to the worker, keyframes back, the
//                                  hold at session end) per 100 MB, on the daemon's loop shape
// bench_live tapplay FILE [samples] [tapplay]
//                                  whole `tapplay FILE --at T` processes at random T: CPU
//                                  (wait4) and wall p50/p99, with an empty replay cache
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tap/format/session_reader.hpp"
#include "tap/live/loop.hpp"
#include "tap/live/protocol.hpp"
#include "tap/live/service.hpp"
#include "tap/live/worker_channel.hpp"
#include "tap/term/terminal.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

double cpu_ms(const rusage& r) {
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

// Time spent in each step of --at, summed over the samples.
double g_open = 0, g_seek = 0, g_restore = 0, g_replay = 0;
uint64_t g_replayed = 0;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// One `--at T`: what tapplay does before rendering.
double render_at(const std::string& path, int64_t t, bool* used_keyframe) {
  auto t0 = Clock::now();
  auto reader = tap::format::SessionReader::open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "bench_live: error: %s\n", reader.error().what().c_str());
    return -1;
  }
  g_open += ms_since(t0);
  auto t1 = Clock::now();
  auto kf = (*reader)->seek_keyframe(t);
  if (!kf.ok()) {
    std::fprintf(stderr, "bench_live: error: seek_keyframe: %s\n", kf.error().what().c_str());
    return -1;
  }
  g_seek += ms_since(t1);
  auto t2 = Clock::now();
  tap::term::Terminal term(80, 24);
  *used_keyframe = kf->has_value();
  if (kf->has_value()) {
    auto r = tap::term::Terminal::restore((*kf)->state);
    if (!r.ok()) {
      std::fprintf(stderr, "bench_live: error: restore: %s\n", r.error().what().c_str());
      return -1;
    }
    term = std::move(r).value();
  }
  g_restore += ms_since(t2);
  auto t3 = Clock::now();
  for (;;) {
    auto ev = (*reader)->next();
    if (!ev.ok() || *ev == nullptr || (*ev)->time > t) break;
    if (auto* o = (*ev)->get<tap::format::Output>()) {
      term.feed(o->data);
      g_replayed += o->data.size();
    } else if (auto* rz = (*ev)->get<tap::format::Resize>()) {
      term.resize(rz->cols, rz->rows);
    }
  }
  (void)term.row_text(0);
  g_replay += ms_since(t3);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int bench_at(const std::string& path, int samples) {
  auto reader = tap::format::SessionReader::open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "bench_live: error: %s\n", reader.error().what().c_str());
    return 1;
  }
  int64_t d = (*reader)->duration();
  uint64_t out_bytes = 0, keyframes = 0;
  for (;;) {
    auto ev = (*reader)->next();
    if (!ev.ok() || *ev == nullptr) break;
    if (auto* o = (*ev)->get<tap::format::Output>()) out_bytes += o->data.size();
    if ((*ev)->get<tap::format::Keyframe>()) ++keyframes;
  }
  std::mt19937_64 rng(42);
  std::vector<double> all, first, last;
  int with_kf = 0;
  for (int i = 0; i < samples; ++i) {
    int64_t t = static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(d, 1)));
    bool kf = false;
    double ms = render_at(path, t, &kf);
    if (ms < 0) return 1;
    with_kf += kf;
    all.push_back(ms);
    if (t < d / 10) first.push_back(ms);
    if (t > d - d / 10) last.push_back(ms);
  }
  std::printf("file %s: %.1f MB output, %llu keyframes, %.1f s\n", path.c_str(), out_bytes / 1e6,
              static_cast<unsigned long long>(keyframes), d / 1e9);
  std::printf("--at (open + seek_keyframe + restore + replay), %d samples (%d from a keyframe):\n",
              samples, with_kf);
  std::printf("  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", pct(all, 0.5), pct(all, 0.99), pct(all, 1.0));
  std::printf("  mean per sample: open %.2f ms, seek_keyframe %.2f ms, restore %.2f ms, "
              "replay %.2f ms (%.0f KB of output)\n",
              g_open / samples, g_seek / samples, g_restore / samples, g_replay / samples,
              g_replayed / 1e3 / samples);
  std::printf("  first tenth p99 %.2f ms (%zu), last tenth p99 %.2f ms (%zu)\n", pct(first, 0.99),
              first.size(), pct(last, 0.99), last.size());
  return 0;
}

int bench_worker(const std::string& path, const std::string& exe) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  std::string a0 = "taprec-worker", a1 = "--fd", a2 = "3";
  char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, environ) != 0) {
    std::fprintf(stderr, "bench_live: error: cannot start %s\n", exe.c_str());
    return 1;
  }
  ::close(sv[1]);
  int fd = sv[0];
  auto reader = tap::format::SessionReader::open(path);
  if (!reader.ok()) return 1;
  rusage self0{};
  getrusage(RUSAGE_SELF, &self0);
  auto t0 = Clock::now();
  // A reader thread would be closer to the daemon; the worker's replies are small, so a
  // blocking pipeline with periodic drains is enough here.
  std::string out;
  tap::live::worker::encode_open(out, 1, 80, 24);
  uint64_t bytes = 0, keyframes = 0, seq = 0;
  tap::live::FrameReader replies(tap::live::worker::kMaxFrame);
  auto drain = [&](bool block) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, block ? 0 : MSG_DONTWAIT);
      if (n <= 0) return false;
      replies.append(std::string_view(buf, static_cast<size_t>(n)));
      for (;;) {
        auto f = replies.next();
        if (!f.ok() || !f->has_value()) break;
        auto m = tap::live::worker::decode(**f);
        if (!m.ok()) continue;
        if (m->type == tap::live::worker::Type::keyframe) ++keyframes;
        if (m->type == tap::live::worker::Type::screen) return true;
      }
      if (block) continue;
    }
  };
  for (;;) {
    seq = (*reader)->next_seq();
    auto ev = (*reader)->next();
    if (!ev.ok() || *ev == nullptr) break;
    if (auto* o = (*ev)->get<tap::format::Output>()) {
      std::string_view rest = o->data;
      while (rest.size() > tap::live::worker::kMaxOutputChunk) {
        tap::live::worker::encode_output(out, 1, seq, rest.substr(0, tap::live::worker::kMaxOutputChunk), false);
        rest.remove_prefix(tap::live::worker::kMaxOutputChunk);
      }
      tap::live::worker::encode_output(out, 1, seq, rest);
      bytes += o->data.size();
    } else if (auto* rz = (*ev)->get<tap::format::Resize>()) {
      tap::live::worker::encode_resize(out, 1, seq, rz->cols, rz->rows);
    }
    if (out.size() > (1u << 20)) {
      size_t off = 0;
      while (off < out.size()) {
        ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_DONTWAIT);
        if (n > 0) off += static_cast<size_t>(n);
        else drain(false), usleep(100);
      }
      out.clear();
      drain(false);
    }
  }
  tap::live::worker::encode_snapshot(out, 1, 7);
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, 0);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  drain(true);  // the snapshot answer: everything before it is processed
  double wall = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  rusage self1{};
  getrusage(RUSAGE_SELF, &self1);
  ::shutdown(fd, SHUT_WR);
  int status = 0;
  rusage child{};
  wait4(pid, &status, 0, &child);
  double per100 = 100e6 / static_cast<double>(std::max<uint64_t>(bytes, 1));
  std::printf("worker: %.1f MB output in %.0f ms wall, %llu keyframes\n", bytes / 1e6, wall,
              static_cast<unsigned long long>(keyframes));
  std::printf("  worker CPU %.0f ms per 100 MB; feeding side (read file + encode + send) %.0f ms per 100 MB\n",
              cpu_ms(child) * per100, (cpu_ms(self1) - cpu_ms(self0)) * per100);
  return 0;
}


// taprec's side of the service: the loop and the session table's appends, without capture.
class BenchHost final : public tap::recorder::DaemonHost {
 public:
  explicit BenchHost(tap::live::EpollLoop& loop) : loop_(loop) {}
  tap::Result<void> watch_fd(int fd, uint32_t events, FdCallback cb) override {
    return loop_.watch_fd(fd, events, std::move(cb));
  }
  tap::Result<void> modify_fd(int fd, uint32_t events) override { return loop_.modify_fd(fd, events); }
  void unwatch_fd(int fd) override { loop_.unwatch_fd(fd); }
  uint64_t add_timer(int64_t period_ns, TimerCallback cb) override {
    return loop_.add_timer(period_ns, std::move(cb));
  }
  void cancel_timer(uint64_t id) override { loop_.cancel_timer(id); }
  tap::Result<uint64_t> append_keyframe(uint64_t, tap::format::Keyframe) override {
    ++keyframes;
    return view.next_seq++;
  }
  tap::Result<uint64_t> append_marker(uint64_t, tap::format::Marker m) override {
    if (m.kind == tap::format::Marker::Kind::keyframes_suspended) ++suspended;
    return view.next_seq++;
  }
  void release_session(uint64_t) override { released = true; }
  std::vector<const tap::recorder::SessionView*> sessions() const override { return {&view}; }
  const tap::recorder::SessionView* find_session(uint64_t) const override { return &view; }

  tap::recorder::SessionView view;
  uint64_t keyframes = 0, suspended = 0;
  bool released = false;

 private:
  tap::live::EpollLoop& loop_;
};

int bench_service(const std::string& path, const std::string& exe) {
  // The recording's output and resizes in memory first, so the timed part is the service.
  std::vector<tap::format::Event> events;
  uint64_t bytes = 0;
  {
    auto reader = tap::format::SessionReader::open(path);
    if (!reader.ok()) {
      std::fprintf(stderr, "bench_live: error: %s\n", reader.error().what().c_str());
      return 1;
    }
    for (;;) {
      auto ev = (*reader)->next();
      if (!ev.ok() || *ev == nullptr) break;
      if (auto* o = (*ev)->get<tap::format::Output>()) {
        bytes += o->data.size();
        events.push_back(**ev);
      } else if ((*ev)->get<tap::format::Resize>()) {
        events.push_back(**ev);
      }
    }
  }
  auto loop = tap::live::EpollLoop::create();
  if (!loop.ok()) return 1;
  BenchHost host(*loop);
  tap::format::SessionInfo info;
  host.view.id = 1;
  host.view.info = &info;
  host.view.cols = 80;
  host.view.rows = 24;
  host.view.path = path;
  char dir[] = "/tmp/bench-live-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return 1;
  tap::recorder::LiveServiceOptions options;
  options.socket_path = std::string(dir) + "/sock";
  tap::live::ServiceTuning tuning;
  tuning.worker_exe = exe;
  tuning.lag_limit = size_t{1} << 40;  // the whole file may queue: nothing is suspended here
  auto service = tap::live::make_service(host, options, tuning);
  if (!service.ok()) {
    std::fprintf(stderr, "bench_live: error: %s\n", service.error().what().c_str());
    return 1;
  }
  rusage self0{}, self1{};
  getrusage(RUSAGE_SELF, &self0);
  auto t0 = Clock::now();
  (*service)->session_started(host.view);
  // taprec takes what the ring holds in one go and turns its loop after it; ~256 KiB of
  // output per turn stands for one ring batch.
  uint64_t since_turn = 0;
  for (const auto& ev : events) {
    uint64_t seq = host.view.next_seq++;
    if (auto* o = ev.get<tap::format::Output>()) {
      host.view.output_bytes += o->data.size();
      ++host.view.output_events;
      since_turn += o->data.size();
    } else if (auto* rz = ev.get<tap::format::Resize>()) {
      host.view.cols = rz->cols;
      host.view.rows = rz->rows;
    }
    (*service)->event_appended(host.view, seq, ev);
    if (since_turn >= (256u << 10)) {
      since_turn = 0;
      (void)loop->run_once(0);
    }
  }
  // The session ends: the service holds it until the worker has sent everything.
  bool held = (*service)->session_ending(host.view, {tap::format::SessionEnd::Reason::closed, -1});
  if (!held) {
    std::fprintf(stderr, "bench_live: error: the term worker did not run (%s)\n", exe.c_str());
    return 1;
  }
  while (!host.released) (void)loop->run_once(100);
  double wall = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  getrusage(RUSAGE_SELF, &self1);
  (*service)->session_ended(host.view, {tap::format::SessionEnd::Reason::closed, -1});
  (*service)->shutdown();
  service->reset();
  rusage child{};
  getrusage(RUSAGE_CHILDREN, &child);
  std::filesystem::remove_all(dir);
  double per100 = 100e6 / static_cast<double>(std::max<uint64_t>(bytes, 1));
  std::printf("service: %.1f MB output, %zu events, %.0f ms wall until the worker released the "
              "session, %llu keyframes, %llu suspensions\n",
              bytes / 1e6, events.size(), wall, static_cast<unsigned long long>(host.keyframes),
              static_cast<unsigned long long>(host.suspended));
  std::printf("  daemon side CPU %.0f ms per 100 MB; worker CPU %.0f ms per 100 MB\n",
              (cpu_ms(self1) - cpu_ms(self0)) * per100, cpu_ms(child) * per100);
  return 0;
}

int bench_tapplay(const std::string& path, int samples, const std::string& exe) {
  auto reader = tap::format::SessionReader::open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "bench_live: error: %s\n", reader.error().what().c_str());
    return 1;
  }
  int64_t d = (*reader)->duration();
  char cache[] = "/tmp/bench-live-cache-XXXXXX";
  if (::mkdtemp(cache) == nullptr) return 1;
  std::string env_cache = std::string("XDG_CACHE_HOME=") + cache;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string_view(*e).rfind("XDG_CACHE_HOME=", 0) != 0) envp.push_back(*e);
  envp.push_back(env_cache.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  std::mt19937_64 rng(42);
  std::vector<double> cpu, wall;
  for (int i = 0; i < samples; ++i) {
    int64_t t = static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(d, 1)));
    char at[32];
    std::snprintf(at, sizeof at, "%lld.%09lld", static_cast<long long>(t / 1'000'000'000),
                  static_cast<long long>(t % 1'000'000'000));
    std::string a0 = "tapplay", a2 = "--at", a4 = "--format", a5 = "text";
    std::string file = path;
    char* argv[] = {a0.data(), file.data(), a2.data(), at, a4.data(), a5.data(), nullptr};
    auto t0 = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, envp.data()) != 0) {
      std::fprintf(stderr, "bench_live: error: cannot start %s\n", exe.c_str());
      return 1;
    }
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    wall.push_back(ms_since(t0));
    cpu.push_back(cpu_ms(ru));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "bench_live: error: tapplay --at %s failed\n", at);
      return 1;
    }
  }
  posix_spawn_file_actions_destroy(&fa);
  std::filesystem::remove_all(cache);
  std::printf("tapplay --at T --format text, %d random T (no replay cache):\n", samples);
  std::printf("  CPU p50 %.1f ms  p99 %.1f ms  max %.1f ms; wall p50 %.1f ms  p99 %.1f ms\n",
              pct(cpu, 0.5), pct(cpu, 0.99), pct(cpu, 1.0), pct(wall, 0.5), pct(wall, 0.99));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: bench_live at FILE [samples] | bench_live worker FILE [taprec-worker] |\n"
                 "       bench_live service FILE [taprec-worker] | "
                 "bench_live tapplay FILE [samples] [tapplay]\n");
    return 2;
  }
  std::string mode = argv[1], file = argv[2];
  if (mode == "at") return bench_at(file, argc > 3 ? std::atoi(argv[3]) : 200);
  auto bin = [&](const char* name) {
    // <build>/tests/bench/live/bench_live -> <build>/bin/NAME
    return (std::filesystem::path(argv[0]).parent_path().parent_path().parent_path()
                .parent_path() / "bin" / name).string();
  };
  if (mode == "worker") return bench_worker(file, argc > 3 ? argv[3] : bin("taprec-worker"));
  if (mode == "service") return bench_service(file, argc > 3 ? argv[3] : bin("taprec-worker"));
  if (mode == "tapplay")
    return bench_tapplay(file, argc > 3 ? std::atoi(argv[3]) : 20,
                         argc > 4 ? argv[4] : bin("tapplay"));
  std::fprintf(stderr, "bench_live: error: unknown mode %s\n", mode.c_str());
  return 2;
}
