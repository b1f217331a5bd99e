// tapplay benchmark: the budgets of DESIGN.md §7 for replay.
//   tapplay --at T on a recording of 1 GB of output, warm cache, 20 random T: p50/p99 ≤ 50 ms,
//   the first and last tenth of the file within 2× of each other;
//   tapplay --speed 0 into /dev/null beside `cat` of the raw output bytes.
// The recording is made once from the reference corpus repeated (SessionWriter +
// KeyframingWriter, as tapconv imports are) and kept in the build tree.
//
// usage: tapplay_bench [--bytes N] [--samples N] [--dir DIR]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/term/keyframer.hpp"

namespace {

namespace fs = std::filesystem;
using tap::format::Event;
using tap::format::Nanos;

std::string read_zstd(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  const std::string packed = s.str();
  std::string out;
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer ib{packed.data(), packed.size(), 0};
  std::string buf(1 << 20, '\0');
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    const size_t rc = ZSTD_decompressStream(d, &ob, &ib);
    if (ZSTD_isError(rc)) break;
    out.append(buf.data(), ob.pos);
  }
  ZSTD_freeDCtx(d);
  return out;
}

struct Read {
  Nanos delay;
  std::string bytes;
};

// One corpus session's output reads (script --log-io + --log-timing, advanced format).
std::vector<Read> load_session(const fs::path& io_path, const fs::path& tm_path) {
  const std::string io = read_zstd(io_path), tm = read_zstd(tm_path);
  std::vector<Read> reads;
  size_t pos = io.find('\n');  // "Script started on ..." line
  pos = pos == std::string::npos ? io.size() : pos + 1;
  std::istringstream lines(tm);
  std::string line;
  while (std::getline(lines, line)) {
    char kind = 0;
    double delay = 0;
    size_t n = 0;
    if (std::sscanf(line.c_str(), "%c %lf %zu", &kind, &delay, &n) != 3) continue;
    if (kind != 'O' && kind != 'I') continue;
    if (pos + n > io.size()) break;
    if (kind == 'O') reads.push_back({static_cast<Nanos>(delay * 1e9), io.substr(pos, n)});
    pos += n;
  }
  return reads;
}

bool make_recording(const fs::path& tap, const fs::path& raw, uint64_t target_bytes) {
  const fs::path corpus = fs::path(TAP_BENCH_SOURCE_DIR) / "tests" / "data" / "corpus";
  std::vector<std::vector<Read>> sessions;
  for (const char* name : {"shell", "man", "top", "htop", "build", "vim", "logs", "less", "apt", "bulk"}) {
    sessions.push_back(load_session(corpus / (std::string(name) + ".io.zst"),
                                    corpus / (std::string(name) + ".tm.zst")));
  }
  fs::remove(tap);
  tap::format::SessionInfo info;
  info.file_id[0] = 0xbe;
  info.host_name = "bench";
  info.start_wall_ns = 1795435200LL * 1'000'000'000;
  info.recorder = "tapplay_bench";
  auto writer = tap::format::SessionWriter::create(tap, info);
  if (!writer.ok()) {
    std::fprintf(stderr, "create %s: %s\n", tap.c_str(), writer.error().what().c_str());
    return false;
  }
  tap::term::KeyframingWriter kfw(**writer);
  std::ofstream raw_out(raw, std::ios::binary | std::ios::trunc);
  Nanos t = 0;
  uint64_t written = 0;
  if (!kfw.append({0, tap::format::Resize{120, 40}}).ok()) return false;
  while (written < target_bytes) {
    for (const auto& session : sessions) {
      for (const Read& r : session) {
        // Long pauses are cut to 1 s so the timeline stays dense.
        t += std::min<Nanos>(r.delay, 1'000'000'000);
        auto a = kfw.append({t, tap::format::Output{r.bytes}});
        if (!a.ok() || !(*writer)->tick(t).ok()) {
          std::fprintf(stderr, "append: %s\n", a.ok() ? "tick" : a.error().what().c_str());
          return false;
        }
        raw_out << r.bytes;
        written += r.bytes.size();
        if (written >= target_bytes) break;
      }
      if (written >= target_bytes) break;
    }
  }
  return kfw.finish({tap::format::SessionEnd::Reason::closed, 0}).ok();
}

struct Timing {
  double wall_ms = 0;
  double cpu_ms = 0;  // user + system of the command's processes: what the machine was asked
};

// Runs `command` with /bin/sh; wall time and the CPU time of its processes (wait4 rusage).
// The machine may be shared, so both are reported: CPU time is the figure load cannot inflate.
Timing run_timed(const std::string& command) {
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  Timing t;
  t.wall_ms = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.cpu_ms = 1e3 * (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "failed: %s\n", command.c_str());
    std::exit(1);
  }
  return t;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

std::string offset_arg(Nanos t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(t) / 1e9);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  uint64_t bytes = 1'000'000'000;
  int samples = 20;
  fs::path dir = fs::path(TAP_BENCH_BINARY_DIR) / "bench-data";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--bytes") bytes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--samples") samples = std::atoi(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
  }
  fs::create_directories(dir);
  const fs::path tap = dir / ("replay-" + std::to_string(bytes) + ".tap");
  const fs::path raw = dir / ("replay-" + std::to_string(bytes) + ".raw");
  if (!fs::exists(tap) || !fs::exists(raw)) {
    std::printf("making %s (%llu bytes of output)...\n", tap.c_str(), static_cast<unsigned long long>(bytes));
    const auto t0 = std::chrono::steady_clock::now();
    if (!make_recording(tap, raw, bytes)) return 1;
    std::printf("  made in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const std::string tapplay = std::string(TAP_BENCH_BINARY_DIR) + "/bin/tapplay";
  const std::string cache = "XDG_CACHE_HOME=" + (dir / "cache").string() + " ";
  Nanos duration = 0;
  {
    auto reader = tap::format::SessionReader::open(tap);
    if (!reader.ok()) {
      std::fprintf(stderr, "open: %s\n", reader.error().what().c_str());
      return 1;
    }
    duration = (*reader)->duration();
  }
  std::printf("recording: %s, %.1f MB on disk, %.1f MB of output, %.0f s long\n", tap.c_str(),
              fs::file_size(tap) / 1e6, fs::file_size(raw) / 1e6, duration / 1e9);

  // Warm the page cache (and the replay cache) once.
  run_timed("cat " + tap.string() + " > /dev/null");
  run_timed(cache + tapplay + " " + tap.string() + " --at end > /dev/null");
  // --format json needs the writers: the first run reads the whole recording once into the
  // replay cache (cold), later runs use it (warm).
  std::filesystem::remove_all(dir / "cache");
  const Timing cold_json = run_timed(cache + tapplay + " " + tap.string() + " --at end --format json > /dev/null");
  std::printf("first --format json (builds the replay cache): wall %.0f ms, cpu %.0f ms\n",
              cold_json.wall_ms, cold_json.cpu_ms);
  std::fflush(stdout);

  std::mt19937_64 rng(2026);
  struct Series {
    std::vector<double> wall, cpu;
  };
  auto at_times = [&](Nanos from, Nanos to, int n, const std::string& extra) {
    Series s;
    for (int i = 0; i < n; ++i) {
      const Nanos t = from + static_cast<Nanos>(rng() % static_cast<uint64_t>(to - from));
      Timing r = run_timed(cache + tapplay + " " + tap.string() + " --at " + offset_arg(t) + extra +
                           " > /dev/null");
      s.wall.push_back(r.wall_ms);
      s.cpu.push_back(r.cpu_ms);
    }
    return s;
  };
  auto report = [](const char* what, const Series& s) {
    std::printf("%-34s wall p50 %6.1f ms p99 %6.1f ms | cpu p50 %6.1f ms p99 %6.1f ms\n", what,
                percentile(s.wall, 0.5), percentile(s.wall, 0.99), percentile(s.cpu, 0.5),
                percentile(s.cpu, 0.99));
  };
  const Series all = at_times(0, duration, samples, "");
  const Series first = at_times(0, duration / 10, samples, "");
  const Series last = at_times(duration - duration / 10, duration, samples, "");
  const Series json = at_times(0, duration, std::max(5, samples / 2), " --format json");
  const Timing baseline = run_timed(tapplay + " --version > /dev/null");
  std::printf("tapplay --at T (whole process, %d samples each; budget 50 ms, tenths within 2x)\n", samples);
  report("  any T, text", all);
  report("  first tenth, text", first);
  report("  last tenth, text", last);
  report("  any T, json", json);
  std::printf("  ratio of p99 first/last tenth: wall %.2f, cpu %.2f;  process start alone (--version): wall %.1f ms\n",
              percentile(first.wall, 0.99) / percentile(last.wall, 0.99),
              percentile(first.cpu, 0.99) / percentile(last.cpu, 0.99), baseline.wall_ms);

  const Timing play = run_timed(tapplay + " --speed 0 " + tap.string() + " > /dev/null");
  const Timing cat = run_timed("cat " + raw.string() + " > /dev/null");
  const double mb = fs::file_size(raw) / 1e6;
  std::printf("tapplay --speed 0 > /dev/null: wall %.2f s (%.0f MB/s), cpu %.2f s\n", play.wall_ms / 1e3,
              mb / (play.wall_ms / 1e3), play.cpu_ms / 1e3);
  std::printf("cat raw > /dev/null:           wall %.2f s (%.0f MB/s), cpu %.2f s\n", cat.wall_ms / 1e3,
              mb / (cat.wall_ms / 1e3), cat.cpu_ms / 1e3);
  return 0;
}
