#include "sample_session.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "require.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_writer.hpp"
#include "tap/term/keyframer.hpp"

namespace tap::replay::test {

using namespace tap::format;

SessionInfo sample_info(uint8_t id) {
  SessionInfo info;
  for (int i = 0; i < 16; ++i) {
    info.session_id[i] = static_cast<uint8_t>(0x10 + i);
    info.file_id[i] = static_cast<uint8_t>(id * 16 + i);
  }
  info.host_name = "testhost";
  info.start_wall_ns = kStartWall;
  info.utc_offset_s = kUtcOffset;
  info.pty_index = 3;
  info.recorder = "tap tests";
  info.term = "xterm-256color";
  return info;
}

std::vector<Event> sample_events() {
  std::vector<Event> ev;
  auto at = [](double s) { return static_cast<Nanos>(s * kSecond); };
  ev.push_back({at(0), Resize{40, 8}});
  ev.push_back({at(0.001), Opener{1000, 4242, Opener::Source::loginuid, "alice"}});
  ev.push_back({at(0.002), WriterChange{4243, 1000, 1000, 1000, "bash"}});
  ev.push_back({at(0.1), Output{"\x1b]0;<b>title & \"quotes\"</b>\x07\x1b]133;A\x07$ "}});
  ev.push_back({at(0.5), Input{"ls\r"}});
  ev.push_back({at(0.6), Output{"ls\r\n"}});
  ev.push_back({at(0.7), Exec{4250, 1000, 1000, "/usr/bin/ls", std::string("ls\0--color", 10)}});
  ev.push_back({at(0.8), Output{"\x1b[1;31mbold red\x1b[0m \x1b[3;4;32mit-ul\x1b[0m "
                               "\x1b[7mrev\x1b[0m\r\n"
                               "\x1b[38;5;208mc208\x1b[0m \x1b[38;2;18;52;86;48;5;19mtrue\x1b[0m "
                               "\x1b[9mstrike\x1b[0m\r\n"
                               "wide: \xe6\xbc\xa2\xe5\xad\x97| e\xcc\x81 <&>\r\n"}});
  ev.push_back({at(1.5), Output{"\x1b]133;A\x07$ "}});
  ev.push_back({at(2.0), Marker{Marker::Kind::note, "checkpoint"}});
  ev.push_back({at(3.0), Input{"sudo -i\r"}});
  ev.push_back({at(3.1), Output{"sudo -i\r\n"}});
  ev.push_back({at(3.5), WriterChange{4300, 0, 0, 1000, "bash"}});
  ev.push_back({at(3.6), Output{"\x1b]133;A\x07# "}});
  ev.push_back({at(5.0), Output{"\x1b[?1049h\x1b[H\x1b[2J\x1b[44m  editor  \x1b[0m\r\n~\r\n~"}});
  ev.push_back({at(6.0), Gap{Stream::output, 4096, 100, 1, Gap::Reason::ring_overflow}});
  ev.push_back({at(8.0), Output{"\x1b[?1049l"}});
  ev.push_back({at(9.0), Output{"exit\r\n"}});
  ev.push_back({at(10.0), SessionEnd{SessionEnd::Reason::closed, 0}});
  return ev;
}

std::vector<Event> scrolling_events(size_t bytes, int seconds, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Event> ev;
  ev.push_back({0, Resize{120, 40}});
  const char* words[] = {"alpha", "beta", "gamma", "delta", "\x1b[1;34mdir\x1b[0m",
                         "\x1b[38;5;160mred\x1b[0m", "\xe6\xbc\xa2\xe5\xad\x97", "x"};
  size_t total = 0;
  const Nanos span = Nanos{seconds} * kSecond;
  while (total < bytes) {
    std::string chunk;
    const int lines = 1 + static_cast<int>(rng() % 40);
    for (int l = 0; l < lines; ++l) {
      const int n = static_cast<int>(rng() % 14);
      for (int w = 0; w < n; ++w) {
        chunk += words[rng() % 8];
        chunk += ' ';
      }
      chunk += "\r\n";
    }
    if (rng() % 50 == 0) chunk += "\x1b[?1049h\x1b[Hfull screen app\x1b[5;5Hhere";
    if (rng() % 50 == 1) chunk += "\x1b[?1049l";
    total += chunk.size();
    const Nanos t = std::min(span, static_cast<Nanos>(static_cast<double>(total) / bytes * span));
    ev.push_back({t, Output{std::move(chunk)}});
  }
  ev.push_back({span, SessionEnd{SessionEnd::Reason::closed, 0}});
  return ev;
}

namespace {

void write_with_info(const std::filesystem::path& path, const SessionInfo& info,
                     const std::vector<Event>& events, size_t keyframe_bytes, bool finish) {
  std::filesystem::remove(path);
  auto writer = SessionWriter::create(path, info);
  ASSERT_TRUE(writer.ok()) << writer.error().what();
  std::optional<term::KeyframingWriter> kfw;
  if (keyframe_bytes > 0) {
    term::KeyframeRule rule;
    rule.output_bytes = keyframe_bytes;
    kfw.emplace(**writer, rule);
  }
  SessionEnd end{SessionEnd::Reason::closed, 0};
  for (const Event& e : events) {
    if (const auto* se = e.get<SessionEnd>()) {
      end = *se;
      if (!finish) continue;
    }
    auto r = kfw ? kfw->append(e) : (*writer)->append(e);
    ASSERT_TRUE(r.ok()) << r.error().what();
    // As the recorder does: time-driven flushes and seals, so a cut file keeps its prefix.
    auto ticked = (*writer)->tick(e.time);
    ASSERT_TRUE(ticked.ok()) << ticked.error().what();
  }
  if (finish) {
    auto r = kfw ? kfw->finish(end) : (*writer)->finish(end);
    ASSERT_TRUE(r.ok()) << r.error().what();
  } else {
    auto r = (*writer)->flush();
    ASSERT_TRUE(r.ok()) << r.error().what();
  }
}

}  // namespace

void write_session(const std::filesystem::path& path, const std::vector<Event>& events,
                   size_t keyframe_bytes, bool finish, uint8_t id) {
  write_with_info(path, sample_info(id), events, keyframe_bytes, finish);
}

void write_next_segment(const std::filesystem::path& previous, uint32_t k,
                        const std::vector<Event>& events, size_t keyframe_bytes, bool finish,
                        uint8_t id) {
  auto link = format::link_to(previous);
  ASSERT_TRUE(link.ok()) << link.error().what();
  SessionInfo info = sample_info(id);
  info.file_id[15] = static_cast<uint8_t>(0x80 + k);
  info.segment = k;
  info.previous = *link;
  write_with_info(format::segment_path(format::segment_base(previous), k), info, events,
                  keyframe_bytes, finish);
}

std::string output_bytes(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    if (const auto* o = e.get<Output>()) out += o->data;
  }
  return out;
}

std::filesystem::path scratch_dir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(tap::test::binary_dir()) / "tests" / "replay-scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

RunResult run(const std::string& command) {
  static int counter = 0;
  const std::filesystem::path dir = std::filesystem::path(tap::test::binary_dir()) / "tests" / "replay-scratch";
  std::filesystem::create_directories(dir);
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const std::filesystem::path out = dir / ("out-" + tag), err = dir / ("err-" + tag);
  const std::string full = "(" + command + ") >" + out.string() + " 2>" + err.string();
  const int status = std::system(full.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out);
  r.err = read_file(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

std::string tapplay_path() { return tap::test::binary_dir() + "/bin/tapplay"; }

}  // namespace tap::replay::test
