// tapgrep's search: options, one recording searched (FileSearch), and many searched on a small
// pool of threads with their output kept in file order (run_grep).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tap/grep/event_source.hpp"
#include "tap/grep/matcher.hpp"
#include "tap/support/result.hpp"

namespace tap::grep {

enum class Mode {
  rendered,  // the lines the screen showed (default)
  raw,       // the raw output stream, split on '\n'
  input,     // the keystrokes, split on '\r' and '\n'
};

struct GrepOptions {
  MatchOptions match;
  Mode mode = Mode::rendered;
  int context = 0;                  // --context N: lines before and after each hit
  bool files_with_matches = false;  // -l
  bool count = false;               // -c
  bool json = false;                // --json
  // Filters.
  std::optional<std::string> user;  // opener: user name or numeric uid
  std::optional<uint32_t> as_uid;   // the writer's uid or euid at the hit's time
  std::optional<std::string> host;  // header host name
  std::optional<int64_t> since_ns;  // wall clock, ns since the epoch (inclusive)
  std::optional<int64_t> until_ns;  // wall clock, ns since the epoch (inclusive)
  std::optional<uint32_t> tty;      // N of /dev/pts/N
  unsigned jobs = 0;                // worker threads; 0: one per core
};

// Where results go: `out` receives hit lines (already escaped), `err` one-line messages
// ("error: FILE: why" / "warning: ..."), without program name or newline.
struct GrepOutput {
  std::function<void(std::string_view)> out;
  std::function<void(bool is_error, std::string_view)> err;
};

struct FileOutcome {
  uint64_t hits = 0;
  bool skipped = false;             // excluded by a header filter before decoding
  std::optional<Error> error;       // the file failed (hits before the fault still count)
  std::vector<std::string> warnings;
};

// Searches one recording; writes hit lines through `write` as it goes.
FileOutcome search_source(EventSource& source, const std::string& name, const GrepOptions& options,
                          const Matcher& matcher, const std::function<void(std::string_view)>& write);
// Opens `path` and searches it.
FileOutcome search_file(const std::string& path, const GrepOptions& options, const Matcher& matcher,
                        const std::function<void(std::string_view)>& write);

struct GrepSummary {
  uint64_t files = 0;         // files found
  uint64_t files_matched = 0;
  uint64_t hits = 0;
  uint64_t failures = 0;      // files or paths that could not be read
};

// Searches every recording under `paths`. Fails only for unusable options (a bad pattern);
// unreadable files are reported through `output.err` and counted.
Result<GrepSummary> run_grep(const GrepOptions& options, const std::vector<std::string>& paths,
                             const GrepOutput& output);

// grep's exit code for a summary: 0 a match, 1 none, 2 nothing matched and something failed.
int exit_code(const GrepSummary& summary);

}  // namespace tap::grep
