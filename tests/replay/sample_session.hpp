// Recordings for the replay tests, written with SessionWriter from code so their content is
// known exactly and does not depend on committed binaries.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"

namespace tap::replay::test {

constexpr int64_t kSecond = 1'000'000'000;
// 2026-11-23T12:00:00Z, recorded in a zone one hour east of UTC.
constexpr int64_t kStartWall = 1795435200LL * kSecond;
constexpr int32_t kUtcOffset = 3600;

format::SessionInfo sample_info(uint8_t id = 1);

// A 40×8 session of 10 s: colours (16, 256, truecolor), attributes, wide and combining
// characters, a title with markup in it, a prompt mark, an exec, a uid change, a marker, the
// alternate screen from 5 s to 8 s.
std::vector<format::Event> sample_events();

// Many screens of coloured scrolling output: `bytes` of output over `seconds`.
std::vector<format::Event> scrolling_events(size_t bytes, int seconds, uint32_t seed = 7);

// Writes `events` to a new file at `path`. keyframe_bytes > 0 adds keyframes with
// tap::term::KeyframingWriter every that many output bytes; finish=false leaves no END record.
void write_session(const std::filesystem::path& path, const std::vector<format::Event>& events,
                   size_t keyframe_bytes = 0, bool finish = true, uint8_t id = 1);

// Writes segment `k` of the session `previous` (a segment left without END) belongs to, beside
// it and linked to it as the recorder does after a restart; `events` are in session time.
void write_next_segment(const std::filesystem::path& previous, uint32_t k,
                        const std::vector<format::Event>& events, size_t keyframe_bytes = 0,
                        bool finish = true, uint8_t id = 1);

// The output bytes of `events`, concatenated.
std::string output_bytes(const std::vector<format::Event>& events);

// A fresh empty directory under the build tree for one test.
std::filesystem::path scratch_dir(const std::string& name);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& bytes);

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs a command line with /bin/sh, capturing stdout and stderr.
RunResult run(const std::string& command);
std::string tapplay_path();

}  // namespace tap::replay::test
