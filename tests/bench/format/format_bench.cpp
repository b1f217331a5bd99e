// format_bench: the .tap budgets of DESIGN.md §7.
//   format_bench [--big-mb N] [--runs N]
// 1. Corpus (tests/data/corpus, script --log-io/--log-timing): write MB/s (compression, chain,
//    signed seals, tick after every event), decode MB/s, bytes on disk per byte of output, and
//    the ratio to asciicast v2 + gzip -6 of the same events.
// 2. A file of N MB of output (default 1024, the corpus repeated): open + seek to the last
//    minute + first event, warm cache, median of runs, with END and with END cut off.
// 3. That file without END as segment 0 of a session continued in a segment 1 (a recorder
//    restart): CPU of link_to (what taprec runs on restart), and open_session + seek into
//    either segment + first event.
// 4. A file being written (corpus events, flushed every second of session time) followed by a
//    reader calling refresh() and reading the new events: reader CPU per refresh.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tap/format/keys.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/support/text.hpp"

namespace fs = std::filesystem;
using namespace tap::format;

namespace {

const char* kSessions[] = {"shell", "man", "top", "htop", "build",
                           "vim",   "logs", "less", "apt", "bulk"};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
// User-mode CPU only: fdatasync's kernel time depends on the disk, not on tap.
double user_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
}

std::string unzstd(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string z((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_inBuffer ib{z.data(), z.size(), 0};
  std::string buf(1 << 20, '\0');
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    size_t rc = ZSTD_decompressStream(ds, &ob, &ib);
    if (ZSTD_isError(rc)) break;
    out.append(buf.data(), ob.pos);
  }
  ZSTD_freeDStream(ds);
  return out;
}

struct Session {
  std::string name;
  uint16_t cols = 80, rows = 24;
  std::vector<Event> events;
  uint64_t output_bytes = 0;
};

// util-linux script(1) advanced logs: the timing file has "O|I delay size" lines (delay since the
// previous entry, seconds) and "H 0 KEY value" header lines; the I/O file starts with a
// "Script started on ..." line and holds every chunk in order.
Session load_session(const std::string& name) {
  Session s;
  s.name = name;
  fs::path dir = fs::path(TAP_SOURCE_DIR) / "tests/data/corpus";
  std::string io = unzstd(dir / (name + ".io.zst"));
  std::string tm = unzstd(dir / (name + ".tm.zst"));
  size_t pos = io.find('\n');
  pos = pos == std::string::npos ? 0 : pos + 1;
  double t = 0;
  size_t line_start = 0;
  while (line_start < tm.size()) {
    size_t end = tm.find('\n', line_start);
    if (end == std::string::npos) end = tm.size();
    std::string line = tm.substr(line_start, end - line_start);
    line_start = end + 1;
    char type = 0;
    char key[64] = {0};
    double delay = 0;
    unsigned long long size = 0;
    if (line.size() > 2 && line[0] == 'H') {
      unsigned v = 0;
      if (std::sscanf(line.c_str(), "H %lf %63s %u", &delay, key, &v) == 3) {
        if (std::strcmp(key, "COLUMNS") == 0) s.cols = static_cast<uint16_t>(v);
        if (std::strcmp(key, "LINES") == 0) s.rows = static_cast<uint16_t>(v);
      }
      continue;
    }
    if (std::sscanf(line.c_str(), "%c %lf %llu", &type, &delay, &size) != 3) continue;
    t += delay;
    if (pos + size > io.size()) break;
    std::string data = io.substr(pos, size);
    pos += size;
    Nanos ns = static_cast<Nanos>(t * 1e9);
    if (s.events.empty()) s.events.push_back(Event{0, Resize{s.cols, s.rows}});
    if (type == 'O') {
      s.output_bytes += data.size();
      s.events.push_back(Event{ns, Output{std::move(data)}});
    } else if (type == 'I') {
      s.events.push_back(Event{ns, Input{std::move(data)}});
    }
  }
  return s;
}

// asciicast v2 as asciinema 2.2 writes it (header line, [time, code, data] lines; input
// included since .tap keeps it too), gzip -6.
size_t cast_gz_size(const Session& s) {
  std::string c = "{\"version\": 2, \"width\": " + std::to_string(s.cols) +
                  ", \"height\": " + std::to_string(s.rows) +
                  ", \"timestamp\": 1795000000, \"env\": {\"SHELL\": \"/bin/bash\", \"TERM\": "
                  "\"xterm-256color\"}}\n";
  for (const Event& e : s.events) {
    const std::string* d = nullptr;
    const char* code = nullptr;
    if (const auto* o = e.get<Output>()) d = &o->data, code = "o";
    else if (const auto* i = e.get<Input>()) d = &i->data, code = "i";
    if (!d) continue;
    char ts[32];
    std::snprintf(ts, sizeof ts, "[%.6f, \"%s\", \"", static_cast<double>(e.time) / 1e9, code);
    c += ts;
    tap::append_json_string_body(c, *d);
    c += "\"]\n";
  }
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, c.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(c.data());
  zs.avail_in = static_cast<uInt>(c.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  return n;
}

SessionInfo info_for(const std::string& name) {
  SessionInfo i;
  i.host_name = "bench";
  i.recorder = "format_bench";
  i.start_wall_ns = 1'795'000'000'000'000'000;
  i.term = name;
  return i;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t big_mb = 1024;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--big-mb") == 0) big_mb = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  fs::path work = TAP_BENCH_DIR;
  fs::create_directories(work);
  auto key = SigningKey::generate();
  WriterOptions opt;
  opt.key = key;

  std::vector<Session> sessions;
  for (const char* n : kSessions) sessions.push_back(load_session(n));

  {
    // 4. A growing file and a reader refreshing it once per second of session time.
    fs::path live = work / "live.tap";
    fs::remove(live);
    WriterOptions lopt = opt;
    auto lw = SessionWriter::create(live, info_for("live"), lopt);
    if (!lw) return 1;
    if (!(*lw)->flush()) return 1;
    auto lr = SessionReader::open(live);
    if (!lr) return 1;
    uint64_t refreshes = 0, got = 0, sent = 0, out_bytes = 0;
    double rcpu = 0;
    Nanos base = 0, last = 0, next_refresh = 1'000'000'000;
    auto drain = [&]() -> bool {
      double c0 = cpu_s();
      auto g = (*lr)->refresh();
      if (!g) return false;
      for (;;) {
        auto e = (*lr)->next();
        if (!e) return false;
        if (*e == nullptr) break;
        ++got;
      }
      rcpu += cpu_s() - c0;
      ++refreshes;
      return true;
    };
    for (const Session& s : sessions) {
      for (const Event& e : s.events) {
        Event copy{base + e.time, e.body};
        last = copy.time;
        if (const auto* o = e.get<Output>()) out_bytes += o->data.size();
        if (!(*lw)->append(copy) || !(*lw)->tick(copy.time)) return 1;
        ++sent;
        if (copy.time >= next_refresh) {
          if (!(*lw)->flush() || !drain()) return 1;
          next_refresh = copy.time + 1'000'000'000;
        }
      }
      base = last + 1'000'000'000;
    }
    if (!(*lw)->finish(SessionEnd{}) || !drain()) return 1;
    std::printf("refresh on a growing file: %llu refreshes, %llu of %llu events read, %.1f MB of "
                "output, reader CPU %.3f ms per refresh (%.1f MB/s)\n",
                static_cast<unsigned long long>(refreshes), static_cast<unsigned long long>(got),
                static_cast<unsigned long long>(sent + 1), static_cast<double>(out_bytes) / 1e6,
                rcpu * 1e3 / static_cast<double>(refreshes),
                static_cast<double>(out_bytes) / 1e6 / rcpu);
    fs::remove(live);
  }

  std::printf("%-6s %10s %10s %10s %8s %10s %7s\n", "corpus", "output B", ".tap B", "cast.gz B",
              "tap/out", "tap/castgz", "frames");
  uint64_t total_out = 0, total_tap = 0, total_gz = 0;
  double write_wall = 0, write_cpu = 0, write_user = 0, read_wall = 0, read_cpu = 0;
  for (const Session& s : sessions) {
    fs::path p = work / (s.name + ".tap");
    fs::remove(p);
    double w0 = now_s(), c0 = cpu_s(), u0 = user_s();
    auto w = SessionWriter::create(p, info_for(s.name), opt);
    if (!w) {
      std::fprintf(stderr, "format_bench: error: %s\n", w.error().what().c_str());
      return 1;
    }
    for (const Event& e : s.events) {
      if (!(*w)->append(e) || !(*w)->tick(e.time)) return 1;
    }
    if (!(*w)->finish(SessionEnd{SessionEnd::Reason::closed, 0})) return 1;
    write_wall += now_s() - w0;
    write_cpu += cpu_s() - c0;
    write_user += user_s() - u0;
    uint64_t tap_bytes = fs::file_size(p);
    double r0 = now_s(), rc0 = cpu_s();
    auto r = SessionReader::open(p);
    uint64_t got = 0;
    for (;;) {
      auto e = (*r)->next();
      if (!e || !*e) break;
      if (const auto* o = (*e)->get<Output>()) got += o->data.size();
    }
    read_wall += now_s() - r0;
    read_cpu += cpu_s() - rc0;
    if (got != s.output_bytes) {
      std::fprintf(stderr, "format_bench: error: %s: read %llu output bytes, wrote %llu\n",
                   s.name.c_str(), static_cast<unsigned long long>(got),
                   static_cast<unsigned long long>(s.output_bytes));
      return 1;
    }
    size_t gz = cast_gz_size(s);
    total_out += s.output_bytes;
    total_tap += tap_bytes;
    total_gz += gz;
    std::printf("%-6s %10llu %10llu %10zu %8.3f %10.3f %7llu\n", s.name.c_str(),
                static_cast<unsigned long long>(s.output_bytes),
                static_cast<unsigned long long>(tap_bytes), gz,
                static_cast<double>(tap_bytes) / static_cast<double>(s.output_bytes),
                static_cast<double>(tap_bytes) / static_cast<double>(gz),
                static_cast<unsigned long long>((*r)->status().frames));
  }
  std::printf("%-6s %10llu %10llu %10llu %8.3f %10.3f\n", "all",
              static_cast<unsigned long long>(total_out), static_cast<unsigned long long>(total_tap),
              static_cast<unsigned long long>(total_gz),
              static_cast<double>(total_tap) / static_cast<double>(total_out),
              static_cast<double>(total_tap) / static_cast<double>(total_gz));
  std::printf("budget: tap/out <= 0.25, tap/castgz <= 1.10\n");
  const double mb = static_cast<double>(total_out) / 1e6;
  std::printf("write (zstd 3 + chain + signed seals): %.1f MB/s wall, %.1f MB/s CPU, %.1f MB/s "
              "user CPU (the rest is fdatasync in the kernel)\n",
              mb / write_wall, mb / write_cpu, mb / write_user);
  std::printf("decode (every event):                 %.1f MB/s wall, %.1f MB/s CPU\n",
              mb / read_wall, mb / read_cpu);

  if (big_mb == 0) return 0;
  // A long session: the corpus repeated, times continuing, until big_mb of output.
  fs::path big = work / "big.tap";
  fs::path big_noend = work / "big-noend.tap";
  fs::remove(big);
  fs::remove(big_noend);
  auto w = SessionWriter::create(big, info_for("big"), opt);
  if (!w) return 1;
  uint64_t out = 0;
  Nanos base = 0, last = 0;
  double bw0 = now_s(), bc0 = cpu_s();
  while (out < big_mb * 1'000'000ULL) {
    for (const Session& s : sessions) {
      for (const Event& e : s.events) {
        Event copy{base + e.time, e.body};
        last = copy.time;
        if (const auto* o = e.get<Output>()) out += o->data.size();
        if (!(*w)->append(copy) || !(*w)->tick(copy.time)) return 1;
      }
      base = last + 1'000'000'000;
    }
  }
  if (!(*w)->finish(SessionEnd{SessionEnd::Reason::closed, 0})) return 1;
  double bwall = now_s() - bw0, bcpu = cpu_s() - bc0;
  uint64_t big_bytes = fs::file_size(big);
  std::printf("big file: %.0f MB of output, %.1f MB on disk, %.1f h of session, written at %.1f MB/s "
              "wall (%.1f CPU)\n",
              static_cast<double>(out) / 1e6, static_cast<double>(big_bytes) / 1e6,
              static_cast<double>(last) / 3.6e12, static_cast<double>(out) / 1e6 / bwall,
              static_cast<double>(out) / 1e6 / bcpu);
  // The same file as a crash would leave it: END and footer cut off.
  {
    auto r = SessionReader::open(big);
    (void)r;
    fs::copy_file(big, big_noend);
    // The footer names the END record's offset.
    std::ifstream in(big, std::ios::binary);
    in.seekg(-24, std::ios::end);
    char f[8];
    in.read(f, 8);
    uint64_t end_off = 0;
    for (int i = 7; i >= 0; --i) end_off = (end_off << 8) | static_cast<uint8_t>(f[i]);
    fs::resize_file(big_noend, end_off);
  }
  for (const fs::path& p : {big, big_noend}) {
    std::vector<double> times;
    Nanos first_time = 0;
    for (int i = 0; i < runs + 1; ++i) {
      double t0 = now_s();
      auto r = SessionReader::open(p);
      if (!r) return 1;
      Nanos target = (*r)->duration() - 60'000'000'000;
      if (!(*r)->seek(target)) return 1;
      auto e = (*r)->next();
      if (!e || !*e) return 1;
      first_time = (*e)->time;
      double dt = now_s() - t0;
      if (i > 0) times.push_back(dt);  // the first run warms the cache
    }
    std::printf("open + seek to the last minute + first event, %s: median %.2f ms over %d runs "
                "(event at %.1f s)\n",
                p == big ? "with END   " : "without END", median(times) * 1e3, runs,
                static_cast<double>(first_time) / 1e9);
  }
  std::printf("budget: <= 10 ms with END\n");
  {
    // 3. The file without END as segment 0, continued after a "restart" in segment 1.
    fs::path seg0 = work / "bigseg.tap";
    fs::path seg1 = work / "bigseg.seg1.tap";
    fs::remove(seg0);
    fs::remove(seg1);
    fs::rename(big_noend, seg0);
    double l0 = cpu_s();
    auto link = link_to(seg0);
    double lcpu = cpu_s() - l0;
    if (!link) return 1;
    auto r0 = SessionReader::open(seg0);
    if (!r0) return 1;
    SessionInfo i1 = (*r0)->info();
    i1.file_id = {};
    i1.segment = 1;
    i1.previous = *link;
    Nanos t1 = (*r0)->duration() + 10'000'000'000;
    auto w1 = SessionWriter::create(seg1, i1, opt);
    if (!w1) return 1;
    if (!(*w1)->append(Event{t1, Gap{Stream::output, 0, 0, 0, Gap::Reason::recorder_down}})) return 1;
    for (const Event& e : sessions.front().events) {
      if (!(*w1)->append(Event{t1 + e.time, e.body}) || !(*w1)->tick(t1 + e.time)) return 1;
    }
    if (!(*w1)->finish(SessionEnd{})) return 1;
    std::printf("link_to on the file without END (verifies its chain and events): %.0f ms CPU\n",
                lcpu * 1e3);
    for (int which = 0; which < 2; ++which) {
      std::vector<double> times, cpus;
      for (int i = 0; i < runs + 1; ++i) {
        double t0 = now_s(), c0 = cpu_s();
        auto r = SessionReader::open_session(seg0);
        if (!r || (*r)->segment_count() != 2) return 1;
        Nanos target = which == 0 ? (*r)->duration() - 60'000'000'000 : (*r0)->duration() / 2;
        if (!(*r)->seek(target)) return 1;
        auto e = (*r)->next();
        if (!e || !*e) return 1;
        if (i > 0) {
          times.push_back(now_s() - t0);
          cpus.push_back(cpu_s() - c0);
        }
      }
      std::printf("open_session (2 segments) + seek %s + first event: median %.2f ms wall, "
                  "%.2f ms CPU\n",
                  which == 0 ? "to the last minute (segment 1)" : "to the middle of segment 0",
                  median(times) * 1e3, median(cpus) * 1e3);
    }
    fs::remove(seg0);
    fs::remove(seg1);
  }
  fs::remove(big_noend);
  return 0;
}
