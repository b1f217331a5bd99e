#include "harness.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "require.hpp"
#include "tap/format/session_reader.hpp"

namespace tap::test {
namespace fs = std::filesystem;

Recording read_recording(const fs::path& path) {
  Recording r;
  r.path = path;
  auto reader = format::SessionReader::open(path);
  if (!reader.ok()) {
    r.read_error = true;
    return r;
  }
  r.info = (*reader)->info();
  for (;;) {
    auto ev = (*reader)->next();
    if (!ev.ok()) {
      r.read_error = true;
      break;
    }
    if (*ev == nullptr) break;
    const format::Event& e = **ev;
    if (auto* o = e.get<format::Output>()) r.output += o->data;
    if (auto* i = e.get<format::Input>()) r.input += i->data;
    if (auto* s = e.get<format::InputSuppressed>()) r.suppressed += s->length;
    r.events.push_back(e);
  }
  return r;
}

std::vector<fs::path> tap_files(const fs::path& spool) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(spool, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file() && it->path().extension() == ".tap") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Recording> recordings_with(const fs::path& spool, const std::string& token) {
  std::vector<Recording> out;
  for (const auto& p : tap_files(spool)) {
    Recording r = read_recording(p);
    if (r.output.find(token) != std::string::npos) out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const Recording& a, const Recording& b) { return a.info.segment < b.info.segment; });
  return out;
}

int sh(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  if (st == -1) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string typescript_body(const fs::path& path) {
  std::string t = read_file(path);
  size_t start = t.find('\n');
  start = start == std::string::npos ? 0 : start + 1;
  size_t end = t.rfind("\nScript done on ");
  if (end == std::string::npos || end < start) end = t.size();
  return t.substr(start, end - start);
}

std::string unique_token(const char* prefix) {
  std::random_device rd;
  std::ostringstream s;
  s << prefix << std::hex << rd() << rd();
  return s.str();
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/taptest-XXXXXX";
  char* p = ::mkdtemp(tmpl);
  path_ = p ? p : "/tmp/taptest-fallback";
  fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
}

TempDir::~TempDir() {
  if (!env_flag("TAP_KEEP_TEST_DIRS")) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

Taprec::Taprec(const fs::path& dir, std::string hooks, std::vector<std::string> extra)
    : dir_(dir), spool_(dir / "spool"), hooks_(std::move(hooks)), extra_(std::move(extra)) {
  std::ofstream(dir / "none.conf").flush();
  // Pins left by a test binary that was killed keep its programs attached: remove them.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/fs/bpf", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("taptest-", 0) != 0) continue;
    std::string pid = name.substr(8, name.find('-', 8) - 8);
    if (!pid.empty() && !fs::exists("/proc/" + pid)) fs::remove_all(e.path(), ec);
  }
  pin_ = fs::path("/sys/fs/bpf") / ("taptest-" + std::to_string(::getpid()) + "-" +
                                    dir.filename().string());
}

Taprec::~Taprec() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    stop();
  }
  // A test that killed its taprec leaves programs pinned: removing the pins detaches them.
  std::error_code ec;
  fs::remove_all(pin_, ec);
}

bool Taprec::start() {
  ++starts_;
  fs::path log = dir_ / "taprec.log";
  std::vector<std::string> args = {binary_dir() + "/bin/taprec", "--foreground",
                                   "--spool", spool_.string(),
                                   "--key-dir", (dir_ / "keys").string(),
                                   "--pin-dir", pin_.string(),
                                   "--socket", (dir_ / "taprec.sock").string(),
                                   "--config", (dir_ / "none.conf").string(),
                                   "--hooks", hooks_, "--stats-interval", "3600"};
  for (const auto& e : extra_) args.push_back(e);
  size_t log_size = 0;
  {
    std::error_code ec;
    log_size = fs::exists(log) ? fs::file_size(log, ec) : 0;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) ::dup2(fileno(f), 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string l = read_file(log);
    if (l.size() > log_size && l.find("recording every pty", log_size) != std::string::npos) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int Taprec::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void Taprec::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

void Taprec::pause() { if (pid_ > 0) ::kill(pid_, SIGSTOP); }
void Taprec::resume() { if (pid_ > 0) ::kill(pid_, SIGCONT); }
std::string Taprec::log() const { return read_file(dir_ / "taprec.log"); }

bool reassemble(const std::vector<Recording>& segments, std::string* out, uint64_t* gap_bytes,
                std::vector<format::Gap>* gaps, std::string* why) {
  out->clear();
  *gap_bytes = 0;
  for (const auto& seg : segments) {
    for (const auto& e : seg.events) {
      if (auto* o = e.get<format::Output>()) {
        *out += o->data;
      } else if (auto* g = e.get<format::Gap>()) {
        if (g->stream != format::Stream::output) continue;
        if (g->offset != out->size()) {
          *why = "gap at offset " + std::to_string(g->offset) + " but " +
                 std::to_string(out->size()) + " bytes precede it in " + seg.path.string();
          return false;
        }
        out->append(g->bytes, '\0');
        *gap_bytes += g->bytes;
        if (gaps) gaps->push_back(*g);
      }
    }
  }
  return true;
}

}  // namespace tap::test
