// tapconv throughput on the reference corpus (tests/data/corpus, 9.5 MB of output), DESIGN.md §7:
// .tap → asciicast v2, v3, raw ≥ 200 MB/s. Prints MB/s of recorded output (1 MB = 10^6 bytes),
// median of --runs runs, for the encoders alone (events in memory; rendered text beside the
// terminal model alone), for whole conversions (read .tap, write the file), for v2 → .tap
// (with keyframes), for a part cut from the middle (ms per cut), and for `asciinema cat` on
// the same casts in the same run.
//
//   convert_bench [--runs N] [--copies K] [--no-asciinema]
// --copies K concatenates the corpus K times per session (bigger inputs, same content).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tap/convert/cast_reader.hpp"
#include "tap/convert/convert.hpp"
#include "tap/convert/encoder.hpp"
#include "tap/convert/script_reader.hpp"
#include "tap/term/terminal.hpp"

namespace fs = std::filesystem;
using namespace tap;
using namespace tap::convert;

namespace {

class NullSink final : public Sink {
 public:
  Result<void> write(std::string_view b) override {
    bytes += b.size();
    return {};
  }
  uint64_t bytes = 0;
};

struct Session {
  std::string name;
  Header header;
  std::vector<format::Event> events;
  uint64_t output_bytes = 0;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of this process and its waited-for children (asciinema cat): on a shared,
// loaded machine wall time says more about the neighbours than about the code.
double cpu_s() {
  struct rusage self {}, kids {};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  auto sec = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return sec(self.ru_utime) + sec(self.ru_stime) + sec(kids.ru_utime) + sec(kids.ru_stime);
}

struct Timer {
  double wall0 = now_s(), cpu0 = cpu_s();
  std::pair<double, double> stop() const { return {now_s() - wall0, cpu_s() - cpu0}; }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void die(const std::string& what) {
  std::fprintf(stderr, "convert_bench: error: %s\n", what.c_str());
  std::exit(1);
}

int run(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5, copies = 1;
  bool asciinema = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--copies") && i + 1 < argc) copies = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-asciinema")) asciinema = false;
    else die(std::string("unknown argument ") + argv[i]);
  }
  fs::path corpus = fs::path(TAP_SOURCE_DIR) / "tests" / "data" / "corpus";
  fs::path work = TAP_BENCH_DIR;
  fs::create_directories(work);

  // Corpus sessions: script --log-io recordings → events in memory and .tap files.
  std::vector<Session> sessions;
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(corpus)) {
    std::string f = e.path().filename().string();
    if (f.size() < 7 || f.substr(f.size() - 7) != ".io.zst") continue;
    std::string name = f.substr(0, f.size() - 7);
    fs::path io = work / (name + ".io"), tm = work / (name + ".tm");
    if (run("zstd -dcqf '" + e.path().string() + "' > '" + io.string() + "' && zstd -dcqf '" +
            (corpus / (name + ".tm.zst")).string() + "' > '" + tm.string() + "'") != 0)
      die("zstd failed on " + f);
    auto dec = open_script_reader(io, tm);
    if (!dec.ok()) die(dec.error().what());
    Session s;
    s.name = name;
    s.header.info = (*dec)->info();
    s.header.cols = (*dec)->facts().cols;
    s.header.rows = (*dec)->facts().rows;
    format::Nanos offset = 0, last = 0;
    std::vector<format::Event> one;
    for (;;) {
      auto ev = (*dec)->next();
      if (!ev.ok()) die(ev.error().what());
      if (*ev == nullptr) break;
      if ((*ev)->kind() == format::EventKind::end) continue;
      one.push_back(**ev);
    }
    for (int c = 0; c < copies; ++c) {
      for (auto ev : one) {
        ev.time += offset;
        last = ev.time;
        if (const auto* o = ev.get<format::Output>()) s.output_bytes += o->data.size();
        s.events.push_back(std::move(ev));
      }
      offset = last + 1'000'000'000;
    }
    total += s.output_bytes;
    // The .tap every conversion below starts from (through the script reader when copies == 1).
    fs::path tap = work / (name + ".tap");
    fs::remove(tap);
    {
      ConvertOptions o;
      o.input = io.string();
      o.timing = tm.string();
      o.from = Format::script_io;
      o.output = tap.string();
      o.force = true;
      if (copies > 1) {
        // Write the repeated stream through a v2 cast (lossless for this corpus).
        fs::path cast = work / (name + ".src.cast");
        int fd = ::open(cast.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        FdSink sink(fd);
        auto enc = make_encoder(Format::cast_v2, sink);
        if (!enc.ok() || !(*enc)->begin(s.header).ok()) die("encode");
        for (const auto& ev : s.events)
          if (!(*enc)->event(ev).ok()) die("encode");
        if (!(*enc)->end(last).ok()) die("encode");
        ::close(fd);
        o.input = cast.string();
        o.from.reset();
        o.timing.clear();
      }
      auto r = tap::convert::convert(o);
      if (!r.ok()) die(r.error().what());
    }
    sessions.push_back(std::move(s));
  }
  if (sessions.empty()) die("no corpus in " + corpus.string());
  std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::printf("corpus: %zu sessions, %.2f MB of output (x%d), %d runs, median\n\n", sessions.size(), total / 1e6,
              copies, runs);
  std::printf("%-34s %12s %12s %10s %10s\n", "case", "MB/s (CPU)", "MB/s (wall)", "CPU s", "wall s");

  auto report = [&](const char* label, const std::vector<std::pair<double, double>>& samples) {
    std::vector<double> wall, cpu;
    for (auto [w, c] : samples) {
      wall.push_back(w);
      cpu.push_back(c);
    }
    double tw = median(wall), tc = median(cpu);
    std::printf("%-34s %12.1f %12.1f %10.3f %10.3f\n", label, total / 1e6 / tc, total / 1e6 / tw, tc, tw);
    std::fflush(stdout);
  };

  // Encoders alone: events in memory → bytes discarded.
  for (auto [label, f] : {std::pair{"encode v2 (in memory)", Format::cast_v2},
                          std::pair{"encode v3 (in memory)", Format::cast_v3},
                          std::pair{"encode raw (in memory)", Format::raw},
                          std::pair{"encode jsonl (in memory)", Format::jsonl},
                          std::pair{"encode text (in memory)", Format::text}}) {
    std::vector<std::pair<double, double>> times;
    for (int r = 0; r < runs; ++r) {
      Timer timer;
      for (const auto& s : sessions) {
        NullSink sink;
        auto enc = make_encoder(f, sink);
        if (!enc.ok() || !(*enc)->begin(s.header).ok()) die("encode");
        for (const auto& ev : s.events)
          if (!(*enc)->event(ev).ok()) die("encode");
        if (!(*enc)->end(s.events.back().time).ok()) die("encode");
      }
      times.push_back(timer.stop());
    }
    report(label, times);
  }

  // The terminal model alone on the same events: what rendered text costs at the least.
  {
    std::vector<std::pair<double, double>> times;
    for (int r = 0; r < runs; ++r) {
      Timer timer;
      for (const auto& s : sessions) {
        term::Terminal t(s.header.cols ? s.header.cols : 80, s.header.rows ? s.header.rows : 24);
        for (const auto& ev : s.events) {
          if (const auto* o = ev.get<format::Output>()) t.feed(o->data);
          else if (const auto* rs = ev.get<format::Resize>(); rs && rs->cols > 0 && rs->rows > 0) t.resize(rs->cols, rs->rows);
        }
      }
      times.push_back(timer.stop());
    }
    report("tap::term alone (feed, in memory)", times);
  }

  // Whole conversions as tapconv runs them: read the .tap, write the file.
  auto whole = [&](const char* label, Format from_ext_to, const char* ext, bool from_cast) {
    std::vector<std::pair<double, double>> times;
    for (int r = 0; r < runs; ++r) {
      Timer timer;
      for (const auto& s : sessions) {
        ConvertOptions o;
        o.input = (work / (s.name + (from_cast ? ".cast" : ".tap"))).string();
        o.output = (work / (s.name + ext)).string();
        o.to = from_ext_to;
        o.force = true;
        auto res = tap::convert::convert(o);
        if (!res.ok()) die(res.error().what());
      }
      times.push_back(timer.stop());
    }
    report(label, times);
  };
  whole(".tap -> v2 (tapconv)", Format::cast_v2, ".cast", false);
  whole(".tap -> v3 (tapconv)", Format::cast_v3, ".v3.cast", false);
  whole(".tap -> raw (tapconv)", Format::raw, ".raw", false);
  whole(".tap -> text (tapconv)", Format::text, ".txt", false);
  whole("v2 -> .tap with keyframes", Format::tap, ".re.tap", true);

  // A part cut from the middle: the screen at the cut is rebuilt (last keyframe + replay) and
  // drawn as the first frame. Figures are per cut, the rest of each session written as v2.
  {
    std::vector<double> cpu, wall;
    for (int r = 0; r < runs; ++r) {
      Timer timer;
      for (const auto& s : sessions) {
        ConvertOptions o;
        o.input = (work / (s.name + ".tap")).string();
        o.output = (work / (s.name + ".cut.cast")).string();
        o.to = Format::cast_v2;
        o.force = true;
        o.from_time = std::to_string(s.events.back().time / 2 / 1'000'000'000) + ".5";
        auto res = tap::convert::convert(o);
        if (!res.ok()) die(res.error().what());
      }
      auto [w, c] = timer.stop();
      wall.push_back(w);
      cpu.push_back(c);
    }
    std::printf("%-34s %9.1f ms CPU, %.1f ms wall per cut\n", ".tap -> v2 --from-time mid", median(cpu) * 1e3 / sessions.size(),
                median(wall) * 1e3 / sessions.size());
    std::fflush(stdout);
  }

  // The asciicast reader alone (what tapgrep and tapplay use for .cast files).
  {
    std::vector<std::pair<double, double>> times;
    for (int r = 0; r < runs; ++r) {
      Timer timer;
      for (const auto& s : sessions) {
        auto dec = open_cast_reader(work / (s.name + ".cast"));
        if (!dec.ok()) die(dec.error().what());
        for (;;) {
          auto ev = (*dec)->next();
          if (!ev.ok()) die(ev.error().what());
          if (*ev == nullptr) break;
        }
      }
      times.push_back(timer.stop());
    }
    report("decode v2 (cast reader)", times);
  }


  if (asciinema) {
    std::vector<std::pair<double, double>> times;
    for (int r = 0; r < runs; ++r) {
      Timer timer;
      for (const auto& s : sessions) {
        // asciinema 2.2's cat reads keys from /dev/tty: run it on a pty, output to /dev/null.
        std::string cmd = "script -qec \"asciinema cat '" + (work / (s.name + ".cast")).string() +
                          "' > /dev/null\" /dev/null < /dev/null > /dev/null";
        if (run(cmd) != 0) die("asciinema cat failed");
      }
      times.push_back(timer.stop());
    }
    report("asciinema cat v2 (same casts)", times);
  }
  return 0;
}
