// The canonical sample session: samples/*.tap are made from it by tap_make_samples, and the
// tests rebuild it to check the committed samples are current (docs/format.md §Samples).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/keys.hpp"
#include "tap/format/session_info.hpp"
#include "tap/format/session_writer.hpp"

namespace tap::format::samples {

// A fixed seed: the samples are signed by a key anyone can rebuild, so they prove the format,
// not anyone's identity. Its public key is committed as samples/keys/<id>.pub.
inline std::shared_ptr<const SigningKey> sample_key() {
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(0x5A ^ (i * 7));
  return SigningKey::from_seed(seed);
}

inline SessionInfo sample_info() {
  SessionInfo info;
  for (uint8_t i = 0; i < 16; ++i) {
    info.session_id[i] = static_cast<uint8_t>(0x70 + i);
    info.file_id[i] = static_cast<uint8_t>(0x90 + i);
    info.host_id[i] = static_cast<uint8_t>(0x30 + i);
    info.boot_id[i] = static_cast<uint8_t>(0x50 + i);
  }
  info.host_name = "sample-host";
  info.start_wall_ns = 1'795'694'400'000'000'000;  // 2026-11-26T12:00:00Z
  info.utc_offset_s = 3600;
  info.pty_index = 3;
  info.pty_dev = 0x19;
  info.cgroup_id = 4242;
  info.mnt_ns = 4026531841;
  info.recorder = "taprec 0.1.0";
  return info;
}

inline WriterOptions sample_options(bool signed_file) {
  WriterOptions o;
  o.frame_bytes = 4096;  // several frames in a small file
  o.flush_interval = 1'000'000'000;
  o.seal_interval = 10'000'000'000;
  if (signed_file) o.key = sample_key();
  return o;
}

// A short shell session: login, a command, sudo with a password prompt, a resize, a lost
// stretch of output, a burst of lines, exit. Every event kind but keyframes (their bytes
// belong to tap::term) appears.
inline std::vector<Event> sample_events() {
  constexpr Nanos ms = 1'000'000;
  std::vector<Event> ev;
  auto at = [&](Nanos t, EventBody b) { ev.push_back(Event{t, std::move(b)}); };
  at(0, Opener{1000, 4242, Opener::Source::loginuid, "alice"});
  at(0, Resize{80, 24});
  at(2 * ms, WriterChange{4242, 1000, 1000, 1000, "bash"});
  at(5 * ms, Marker{Marker::Kind::title, "alice@sample-host: ~"});
  at(6 * ms, Output{"\x1b]0;alice@sample-host: ~\x07\x1b[01;32malice@sample-host\x1b[00m:~$ "});
  Nanos t = 1200 * ms;
  for (char c : std::string("ls --color\r")) {
    at(t, Input{std::string(1, c)});
    at(t + 3 * ms, Output{c == '\r' ? std::string("\r\n") : std::string(1, c)});
    t += 140 * ms;
  }
  at(t, Exec{4300, 1000, 1000, "/usr/bin/ls", std::string("ls\0--color", 10)});
  at(t + 4 * ms, Output{"\x1b[0m\x1b[01;34mbin\x1b[0m  notes.txt  \x1b[01;32mrun.sh\x1b[0m\r\n"
                        "alice@sample-host:~$ "});
  at(t + 5 * ms, Marker{Marker::Kind::prompt, ""});
  t += 2000 * ms;
  for (char c : std::string("sudo -i\r")) {
    at(t, Input{std::string(1, c)});
    at(t + 2 * ms, Output{c == '\r' ? std::string("\r\n") : std::string(1, c)});
    t += 120 * ms;
  }
  at(t, Exec{4301, 1000, 0, "/usr/bin/sudo", std::string("sudo\0-i", 7)});
  at(t + 10 * ms, Output{"[sudo] password for alice: "});
  t += 1500 * ms;
  at(t, InputSuppressed{9});
  at(t + 200 * ms, Output{"\r\n"});
  at(t + 300 * ms, WriterChange{4302, 0, 0, 1000, "bash"});
  at(t + 310 * ms, Output{"root@sample-host:~# "});
  t += 2000 * ms;
  at(t, Resize{120, 40});
  at(t + 50 * ms, Gap{Stream::output, 700, 4096, 3, Gap::Reason::ring_overflow});
  // A burst of log lines over 30 s: several frames, flushes and seals.
  for (int i = 0; i < 600; ++i) {
    t += 50 * ms;
    at(t, Output{"Nov 26 10:00:" + std::to_string(10 + i / 20) + " sample-host app[812]: request " +
                 std::to_string(i) + " served in " + std::to_string(3 + i % 17) + " ms\r\n"});
  }
  t += 500 * ms;
  at(t, Output{"root@sample-host:~# "});
  for (char c : std::string("exit\r")) {
    t += 150 * ms;
    at(t, Input{std::string(1, c)});
    at(t + 2 * ms, Output{c == '\r' ? std::string("\r\nlogout\r\n") : std::string(1, c)});
  }
  at(t + 20 * ms, WriterChange{4242, 1000, 1000, 1000, "bash"});
  at(t + 40 * ms, Output{"alice@sample-host:~$ "});
  return ev;
}

inline SessionEnd sample_end() { return SessionEnd{SessionEnd::Reason::closed, 0}; }

// Writes the sample session to `path` with tick() after every event, as a recorder would.
// `finish` false leaves the file as a crashed recorder would (no END).
inline Result<void> write_sample(const std::filesystem::path& path, bool signed_file, bool finish) {
  TAP_TRY(auto w, SessionWriter::create(path, sample_info(), sample_options(signed_file)));
  for (const Event& e : sample_events()) {
    TAP_TRY(uint64_t seq, w->append(e));
    (void)seq;
    TAP_CHECK(w->tick(e.time));
  }
  if (finish) return w->finish(sample_end());
  return w->flush();
}

}  // namespace tap::format::samples
