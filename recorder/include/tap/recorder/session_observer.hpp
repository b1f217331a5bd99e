// The daemon's tap for in-process consumers of live sessions (the live socket and the term
// worker, recorder/live/ and recorder/worker/).
//
// Threading: taprec runs one epoll loop on one thread. Every callback below (observer
// methods, fd readiness, timers) runs on that thread, never concurrently, and must not block:
// a slow observer delays capture. Observers copy what they need; they never write files.
//
// Lifetime: a SessionView passed to session_started() stays at the same address and is
// updated in place by the daemon until session_ended() returns for it; an observer may keep
// the reference (or the pointer) until then, and must drop it inside session_ended().
//
// Session end: when the kernel says a session is over, the daemon first calls
// session_ending(). An observer that still has work for the file (the term worker's last
// keyframes) returns true, and the daemon holds the file's finish until every such observer
// has called DaemonHost::release_session(id), or kSessionHoldNs has passed. While held, the
// session is out of sessions() (its pty may already be reused by a new session), takes only
// keyframes and markers, and the rest of the loop (capture of every other session) runs as
// usual. At shutdown nothing is held: stopping() comes first, then every session ends.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::recorder {

// The kernel's identity of a pty session: devpts instance, pts index, and the generation the
// BPF side bumps at every ptmx open (indexes are reused over time and across containers).
struct SessionKey {
  uint64_t pty_dev = 0;     // devpts superblock s_dev
  uint32_t pty_index = 0;   // N of /dev/pts/N
  uint32_t generation = 0;  // bumped per ptmx open of this (pty_dev, pty_index)

  bool operator==(const SessionKey&) const = default;
};

// What the daemon knows about one live session; read-only for observers.
struct SessionView {
  uint64_t id = 0;               // unique per daemon run, never reused; handle for DaemonHost
  SessionKey key;
  uint32_t pty_index = 0;        // == key.pty_index, for convenience
  const format::SessionInfo* info = nullptr;  // the file header (never null while live)
  std::filesystem::path path;    // current .tap file (changes when a new segment opens)

  // Opener: sticky, who logged in (DESIGN §4). opener_known is false until an OPENER event.
  bool opener_known = false;
  uint32_t opener_uid = 0;
  std::string opener_user;       // user name resolved at record time, else empty

  // The process currently writing to the slave side, as of the last writer event.
  uint32_t writer_pid = 0;
  uint32_t writer_uid = 0;
  uint32_t writer_euid = 0;
  std::string writer_comm;

  // The session leader (the process that took the pty as controlling tty), when known.
  uint32_t leader_pid = 0;
  std::string leader_comm;

  uint64_t output_bytes = 0;     // recorded output bytes (gaps not included)
  uint64_t input_bytes = 0;      // recorded input bytes (suppressed input counted as bytes too)
  uint64_t output_events = 0;
  uint64_t input_events = 0;
  uint64_t lost_bytes = 0;       // bytes covered by gap events so far

  uint16_t cols = 0, rows = 0;   // current size, 0 until known
  int64_t start_wall_ns = 0;     // session start, ns since the Unix epoch (== info->start_wall_ns)
  int64_t last_activity_wall_ns = 0;  // wall time of the last output or input event
  uint64_t next_seq = 0;         // sequence number the next appended event will get

  uint64_t cgroup_id = 0;        // cgroup v2 id of the session leader (1 on v1/hybrid hosts)
  uint64_t mnt_ns = 0;           // mount namespace inode
  std::string container;         // cgroup path of the leader (/proc/PID/cgroup), else empty
  bool joined_late = false;      // found running when taprec started
};

// Longest the daemon holds a session's finish for its observers (session_ending()).
inline constexpr int64_t kSessionHoldNs = 2'000'000'000;

// Receives every live session's life. Implemented by the live service.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;

  // A session began (or was found at start, view.joined_late) and its file is open.
  virtual void session_started(const SessionView& view) = 0;
  // `event` was appended to the session with sequence number `seq` (the view's counters
  // already include it). Keyframes the daemon appends on an observer's behalf come here too.
  virtual void event_appended(const SessionView& view, uint64_t seq,
                              const format::Event& event) = 0;
  // The session is over (no more records will come) and its file is about to be finished
  // with `end`. Return true to hold the finish until release_session(view.id) (see above).
  virtual bool session_ending(const SessionView& /*view*/, const format::SessionEnd& /*end*/) {
    return false;
  }
  // The session's file is finished (SessionEnd appended) or the daemon is stopping. The view
  // is destroyed after this returns.
  virtual void session_ended(const SessionView& view, const format::SessionEnd& end) = 0;
  // The daemon is stopping (SIGTERM/SIGINT): append now what is ready (keyframes already
  // produced), without waiting; every session is finished right after.
  virtual void stopping() {}
  // The daemon is about to stop, after every session_ended.
  virtual void shutdown() {}
};

// What the daemon offers observers. All methods are for the loop thread only.
class DaemonHost {
 public:
  virtual ~DaemonHost() = default;

  using FdCallback = std::function<void(uint32_t epoll_events)>;
  using TimerCallback = std::function<void()>;

  // Adds `fd` (not owned) to the daemon's epoll set with `events` (EPOLLIN, ...); `cb` runs
  // on readiness with the ready events. Remove it before closing the fd.
  virtual Result<void> watch_fd(int fd, uint32_t events, FdCallback cb) = 0;
  virtual Result<void> modify_fd(int fd, uint32_t events) = 0;
  virtual void unwatch_fd(int fd) = 0;

  // Runs `cb` every `period_ns` (monotonic; at most once per loop turn). Returns an id.
  virtual uint64_t add_timer(int64_t period_ns, TimerCallback cb) = 0;
  virtual void cancel_timer(uint64_t timer_id) = 0;

  // Appends a keyframe to live session `session_id` (SessionView::id). The daemon writes it
  // with the session's writer; Keyframe::event_seq must name an event already appended.
  // Errors: not_found (session gone), invalid_argument (event_seq beyond next_seq).
  virtual Result<uint64_t> append_keyframe(uint64_t session_id, format::Keyframe keyframe) = 0;
  // Appends a marker (e.g. keyframes_suspended / keyframes_resumed) to a live session.
  virtual Result<uint64_t> append_marker(uint64_t session_id, format::Marker marker) = 0;
  // This observer has nothing more for a session it held in session_ending(); once every
  // holder has released it (or the hold times out) the daemon finishes its file. Unknown or
  // already finished ids are ignored.
  virtual void release_session(uint64_t session_id) = 0;

  // Every live session, in start order (for a late-attaching observer or `tap list`); a held
  // session (ending) is not listed.
  virtual std::vector<const SessionView*> sessions() const = 0;
  // A live or held session.
  virtual const SessionView* find_session(uint64_t session_id) const = 0;
};

// Settings the daemon passes to the live service it constructs (taprec flags/config keys).
struct LiveServiceOptions {
  std::filesystem::path socket_path = "/run/taprec/taprec.sock";  // --socket
  unsigned socket_mode = 0666;
  std::filesystem::path spool_dir = "/var/log/taprec";             // --spool
  std::filesystem::path self_exe;   // taprec's own executable (/proc/self/exe), for a worker
  bool keyframes = true;            // run the term worker and hand keyframes back
};

// Contract with recorder/live (agreed through the headers): when
// recorder/live/include/tap/live/service.hpp exists, taprec calls
//   tap::live::make_service(recorder::DaemonHost& host, const recorder::LiveServiceOptions&)
//       -> Result<std::unique_ptr<recorder::SessionObserver>>
// after the probe is attached and before sessions found at start are announced, and adds the
// result to its observer list. The host outlives the service.

}  // namespace tap::recorder
