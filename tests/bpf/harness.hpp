// Test harness for real BPF capture: a private taprec (own spool, keys, pin dir, socket),
// shell helpers, and .tap reading. Each test asserts only on the ptys it made, found by a
// unique token in their output.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"

namespace tap::test {

struct Recording {
  std::filesystem::path path;
  format::SessionInfo info;
  std::vector<format::Event> events;
  std::string output;  // Output bytes concatenated (gaps not filled)
  std::string input;   // Input bytes concatenated
  uint64_t suppressed = 0;
  bool read_error = false;
};

Recording read_recording(const std::filesystem::path& path);
std::vector<std::filesystem::path> tap_files(const std::filesystem::path& spool);
// Every recording in `spool` whose output contains `token`.
std::vector<Recording> recordings_with(const std::filesystem::path& spool, const std::string& token);

// Runs `cmd` with /bin/sh; returns the exit status (-1 when it could not run).
int sh(const std::string& cmd);
std::string read_file(const std::filesystem::path& path);
// A typescript from `script` without its header line and its "Script done" trailer.
std::string typescript_body(const std::filesystem::path& path);
std::string unique_token(const char* prefix);
// A fresh directory under /tmp, removed by the caller's TempDir.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class Taprec {
 public:
  explicit Taprec(const std::filesystem::path& dir, std::string hooks = "auto",
                  std::vector<std::string> extra = {});
  ~Taprec();
  // Starts and waits until it records; false (with log()) if it did not come up.
  bool start();
  // SIGTERM and wait; returns the exit status.
  int stop();
  void kill9();
  void pause();   // SIGSTOP
  void resume();  // SIGCONT
  std::string log() const;
  const std::filesystem::path& spool() const { return spool_; }
  pid_t pid() const { return pid_; }

 private:
  std::filesystem::path dir_, spool_, pin_;
  std::string hooks_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  int starts_ = 0;
};

// Output of a recording (set of segments in order) with every gap filled by `fill`, checking
// that each gap starts where the bytes before it end. Returns false with `why` otherwise.
bool reassemble(const std::vector<Recording>& segments, std::string* out, uint64_t* gap_bytes,
                std::vector<format::Gap>* gaps, std::string* why);

}  // namespace tap::test
