// FileBackend: sessions as .tap files in the spool (docs/recorder.md §Files).
//   <spool>/YYYY/MM/DD/<host>-<YYYYmmddTHHMMSSZ>-pts<N>-<id8>.tap   (UTC)
//   later segments of the same session add .seg<K> before .tap
// Per-session restart state lives in <spool>/.state/ so a daemon restarted after a crash
// finds the segment to continue.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "tap/format/session_writer.hpp"
#include "tap/recorder/session_table.hpp"

namespace tap::recorder {

struct FileBackendOptions {
  std::filesystem::path spool = "/var/log/taprec";
  gid_t auditor_gid = static_cast<gid_t>(-1);  // -1: no auditor group
  format::WriterOptions writer;
};

class FileBackend final : public SessionBackend {
 public:
  static Result<std::unique_ptr<FileBackend>> open(FileBackendOptions options);

  Result<std::unique_ptr<SessionFile>> create(const format::SessionInfo& info) override;
  std::optional<Resume> resume(const SessionKey& key) override;
  void started(const SessionKey& key, const format::SessionInfo& info,
               const std::filesystem::path& path, uint64_t out_off, uint64_t in_off) override;
  void ended(const SessionKey& key) override;
  void fill_host(format::SessionInfo& info) override;
  std::string user_name(uint32_t uid) override;

  // The file name of a session's segment (no directory).
  static std::string file_name(const format::SessionInfo& info);

 private:
  explicit FileBackend(FileBackendOptions options);
  Result<std::filesystem::path> day_dir(int64_t wall_ns);
  std::filesystem::path state_path(const SessionKey& key) const;

  FileBackendOptions options_;
  format::SessionInfo host_;
  std::map<format::Id128, std::filesystem::path> previous_;  // session id -> last segment
};

}  // namespace tap::recorder
