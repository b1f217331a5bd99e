// bench_term: MB/s of tap::term::Terminal, bare VTermState and VTermScreen on the same bytes,
// in one run: the reference corpus (tests/data/corpus, all output concatenated) and `yes`
// output. Budget (DESIGN.md §7): tap::term >= 0.8x VTermState, >= 50x VTermScreen on `yes`.
//   bench_term [--size MB] [--cols C --rows R] [--corpus DIR] [--only term|state|screen]
// --only runs one model (for a profiler) and prints its MB/s alone.
#include <vterm.h>
#include <zstd.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "tap/term/terminal.hpp"

namespace {

constexpr size_t kChunk = 4096;  // as a pty read delivers it

std::string read_zstd(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const unsigned long long size = ZSTD_getFrameContentSize(packed.data(), packed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return {};
  std::string out(size, '\0');
  if (ZSTD_isError(ZSTD_decompress(out.data(), out.size(), packed.data(), packed.size()))) return {};
  return out;
}

// The output bytes of one `script --log-io` session (the timing file says which are output).
std::string corpus_output(const std::filesystem::path& dir, const std::string& name) {
  const std::string io = read_zstd(dir / (name + ".io.zst"));
  const std::string tm = read_zstd(dir / (name + ".tm.zst"));
  std::string out;
  size_t pos = io.find('\n');
  if (pos == std::string::npos) return out;
  ++pos;
  std::istringstream lines(tm);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string kind, delay;
    size_t n = 0;
    f >> kind >> delay >> n;
    if (kind != "O" && kind != "I") continue;
    if (pos + n > io.size()) break;
    if (kind == "O") out.append(io, pos, n);
    pos += n;
  }
  return out;
}

// CPU time of this thread: the machine is shared, wall time would measure the neighbours.
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

double mbps_term(const std::string& bytes, int cols, int rows) {
  tap::term::Terminal t(cols, rows);
  const double t0 = cpu_now();
  for (size_t at = 0; at < bytes.size(); at += kChunk)
    t.feed(std::string_view(bytes).substr(at, kChunk));
  return bytes.size() / 1e6 / (cpu_now() - t0);
}

double mbps_vterm(const std::string& bytes, int cols, int rows, bool screen) {
  VTerm* vt = vterm_new(rows, cols);
  vterm_set_utf8(vt, 1);
  if (screen) {
    VTermScreen* s = vterm_obtain_screen(vt);
    vterm_screen_enable_altscreen(s, 1);
    vterm_screen_reset(s, 1);
  } else {
    vterm_state_reset(vterm_obtain_state(vt), 1);
  }
  const double t0 = cpu_now();
  for (size_t at = 0; at < bytes.size(); at += kChunk)
    vterm_input_write(vt, bytes.data() + at, std::min(kChunk, bytes.size() - at));
  const double mbps = bytes.size() / 1e6 / (cpu_now() - t0);
  vterm_free(vt);
  return mbps;
}

std::string repeat_to(const std::string& s, size_t size) {
  std::string out;
  if (s.empty()) return out;
  while (out.size() < size) out += s;
  return out;
}

const char* g_only = nullptr;

void row(const char* name, const std::string& bytes, const std::string& screen_bytes, int cols,
         int rows) {
  double term = 0, state = 0, screen = 0;
  if (g_only != nullptr) {
    const std::string which = g_only;
    const double mbps = which == "term"    ? mbps_term(bytes, cols, rows)
                        : which == "state" ? mbps_vterm(bytes, cols, rows, false)
                                           : mbps_vterm(screen_bytes, cols, rows, true);
    std::printf("%-8s %8.1f MB  %s %7.2f MB/s\n", name, bytes.size() / 1e6, g_only, mbps);
    return;
  }
  for (int run = 0; run < 3; ++run) {  // interleaved, best of each
    term = std::max(term, mbps_term(bytes, cols, rows));
    state = std::max(state, mbps_vterm(bytes, cols, rows, false));
    if (run == 0) screen = mbps_vterm(screen_bytes, cols, rows, true);
  }
  std::printf("%-8s %8.1f MB  tap::term %7.1f MB/s  VTermState %7.1f MB/s  VTermScreen %7.2f MB/s"
              "  term/state %.2fx  term/screen %.1fx\n",
              name, bytes.size() / 1e6, term, state, screen, term / state, term / screen);
}

}  // namespace

int main(int argc, char** argv) {
  double size_mb = 16;
  int cols = 120, rows = 40;
  std::filesystem::path dir = std::filesystem::path(TAP_SOURCE_DIR) / "tests/data/corpus";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--size") == 0) size_mb = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--cols") == 0) cols = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--rows") == 0) rows = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--corpus") == 0) dir = argv[i + 1];
    else if (std::strcmp(argv[i], "--only") == 0) g_only = argv[i + 1];
    else {
      std::fprintf(stderr, "bench_term: error: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::string corpus;
  for (const char* name : {"apt", "build", "bulk", "htop", "less", "logs", "man", "shell", "top", "vim"})
    corpus += corpus_output(dir, name);
  if (corpus.empty()) {
    std::fprintf(stderr, "bench_term: error: no corpus in %s\n", dir.c_str());
    return 1;
  }
  const size_t size = static_cast<size_t>(size_mb * 1e6);
  std::printf("bench_term: %dx%d, %zu-byte writes; thread CPU time, best of 3 (VTermScreen: 1 run)\n", cols, rows, kChunk);
  // VTermScreen moves the whole screen per scrolled line: `yes` gets a smaller sample.
  const std::string corpus_bytes = repeat_to(corpus, size);
  const std::string yes_bytes = repeat_to("y\r\n", size);
  const std::string yes_small = repeat_to("y\r\n", std::min<size_t>(size, 2'000'000));
  row("corpus", corpus_bytes, corpus_bytes, cols, rows);
  row("yes", yes_bytes, yes_small, cols, rows);
  return 0;
}
