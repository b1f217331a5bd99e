// SessionTable: turns decoded ring records into each session's events, in order, with exact
// gaps, and drives one output file per session through a SessionBackend.
//
// It owns the rules of DESIGN.md §4 that live in user space: the opener (loginuid of the
// leader, else its uid at its first exec, else the master opener after a grace period),
// writer changes, gaps from stream offsets (ring overflow, faults, joined late, recorder
// down), session end at CLOSE/HANGUP with any tail loss read from the record's offsets.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"
#include "tap/recorder/decoder.hpp"
#include "tap/recorder/session_observer.hpp"
#include "tap/support/result.hpp"

namespace tap::recorder {

// One session's file (a .tap SessionWriter in the daemon; memory in unit tests).
class SessionFile {
 public:
  virtual ~SessionFile() = default;
  virtual Result<uint64_t> append(const format::Event& event) = 0;
  virtual Result<void> tick(format::Nanos now) = 0;
  virtual Result<void> flush() = 0;
  virtual Result<void> finish(const format::SessionEnd& end) = 0;
  virtual const std::filesystem::path& path() const = 0;
};

// Where a session found running at start continues: the segment before it.
struct Resume {
  format::SessionInfo previous;      // header of the previous segment
  std::filesystem::path previous_path;
  std::optional<format::SegmentLink> link;
  uint64_t out_off = 0;              // stream offsets recorded up to its end
  uint64_t in_off = 0;
};

class SessionBackend {
 public:
  virtual ~SessionBackend() = default;
  // Creates the file of a new session or segment (info.segment > 0 for a later segment).
  virtual Result<std::unique_ptr<SessionFile>> create(const format::SessionInfo& info) = 0;
  // The previous segment of a session (same key and generation) that a crashed daemon left,
  // if any. Called once when records arrive for a session the table does not know.
  virtual std::optional<Resume> resume(const SessionKey& key) = 0;
  // The session's file is finished, or a segment of it began (state for a later restart).
  virtual void started(const SessionKey& key, const format::SessionInfo& info,
                       const std::filesystem::path& path, uint64_t out_off, uint64_t in_off) = 0;
  virtual void ended(const SessionKey& key) = 0;
  // Host-wide facts for new headers.
  virtual void fill_host(format::SessionInfo& info) = 0;
  // User name of a uid, "" if unknown.
  virtual std::string user_name(uint32_t uid) = 0;
};

// What the table may ask the kernel side: whether a pty still exists (its master can be
// closed implicitly at process exit, which no syscall shows) and its final stream offsets.
class KernelView {
 public:
  virtual ~KernelView() = default;
  // False once the pty pair is gone (/dev/pts/N removed at the master's last close). `pid` is
  // a process of the session, to reach a devpts instance of another mount namespace.
  virtual bool pty_alive(const SessionKey& key, uint32_t pid) = 0;
  // (output, input) offsets the kernel counted for the key's current generation.
  virtual std::optional<std::pair<uint64_t, uint64_t>> offsets(const SessionKey& key) = 0;
  // The cgroup path of process `pid` (container attribution), "" when unknown or the root.
  virtual std::string container(uint32_t pid) = 0;
};

struct TableCounters {
  uint64_t sessions_started = 0;
  uint64_t sessions_ended = 0;
  uint64_t output_bytes = 0;
  uint64_t input_bytes = 0;
  uint64_t gap_bytes = 0;
  uint64_t bad_records = 0;
  uint64_t write_errors = 0;
};

class SessionTable final : public DaemonHost {
 public:
  // `mono_to_wall_ns`: add to a CLOCK_MONOTONIC time to get ns since the Unix epoch.
  SessionTable(SessionBackend& backend, int64_t mono_to_wall_ns, int32_t utc_offset_s);
  ~SessionTable() override;

  void add_observer(SessionObserver* observer) { observers_.push_back(observer); }
  void set_kernel(KernelView* kernel) { kernel_ = kernel; }

  // One ring record.
  void handle(const Record& record);
  // Periodic work at CLOCK_MONOTONIC `now_ns`: writer ticks, opener grace period.
  void tick(uint64_t now_ns);
  // A session found from /proc at start (no record seen yet): open its file now.
  void join_existing(const SessionKey& key, uint16_t cols, uint16_t rows, uint64_t now_ns,
                     uint64_t out_off, uint64_t in_off);
  // Ends every session with `reason` (recorder_stopped at shutdown), held ones included,
  // without holding any (observers get stopping() first).
  void finish_all(format::SessionEnd::Reason reason);
  void flush_all();

  const TableCounters& counters() const { return counters_; }
  size_t live_sessions() const { return sessions_.size(); }
  // Sessions over but held for an observer (SessionObserver::session_ending()).
  size_t held_sessions() const { return held_.size(); }
  const SessionView* find_key(uint64_t pty_dev, uint32_t pty_index) const;

  // DaemonHost (the fd and timer parts are the daemon's; these delegate to it when set).
  void set_loop(DaemonHost* loop) { loop_ = loop; }
  Result<void> watch_fd(int fd, uint32_t events, FdCallback cb) override;
  Result<void> modify_fd(int fd, uint32_t events) override;
  void unwatch_fd(int fd) override;
  uint64_t add_timer(int64_t period_ns, TimerCallback cb) override;
  void cancel_timer(uint64_t timer_id) override;
  Result<uint64_t> append_keyframe(uint64_t session_id, format::Keyframe keyframe) override;
  Result<uint64_t> append_marker(uint64_t session_id, format::Marker marker) override;
  void release_session(uint64_t session_id) override;
  std::vector<const SessionView*> sessions() const override;
  const SessionView* find_session(uint64_t session_id) const override;

 private:
  struct Session;
  using Slot = std::pair<uint64_t, uint32_t>;  // (pty_dev, pty_index)

  Session* start(const Record* r, const SessionKey& key, uint64_t ts, bool late,
                 uint64_t out_off, uint64_t in_off, uint16_t cols, uint16_t rows);
  void append(Session& s, uint64_t ts, format::EventBody body);
  void append_event(Session& s, uint64_t ts, format::Event& event);
  void end(Slot slot, format::SessionEnd end, uint64_t out_off, uint64_t in_off, uint64_t ts,
           bool may_hold = true);
  void finish(std::unique_ptr<Session> s);
  void data(Session& s, const Record& r);
  void catch_up(Session& s, format::Stream stream, uint64_t to, uint64_t ts,
                format::Gap::Reason reason);
  void opener(Session& s, uint32_t uid, uint32_t pid, format::Opener::Source source, uint64_t ts);
  Session* by_id(uint64_t id) const;

  SessionBackend& backend_;
  int64_t mono_to_wall_ns_;
  int32_t utc_offset_s_;
  std::map<Slot, std::unique_ptr<Session>> sessions_;
  // Ended sessions whose finish an observer holds, by id (their slot may be reused already).
  std::map<uint64_t, std::unique_ptr<Session>> held_;
  std::vector<SessionObserver*> observers_;
  DaemonHost* loop_ = nullptr;
  KernelView* kernel_ = nullptr;
  TableCounters counters_;
  uint64_t next_id_ = 1;
  // Reused events, so the hot path (output and input chunks) does not allocate per record.
  format::Event output_ev_{0, format::Output{}};
  format::Event input_ev_{0, format::Input{}};
  format::Event scratch_;
};

}  // namespace tap::recorder
