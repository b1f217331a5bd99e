// The live service inside taprec: socket server + term worker supervision
// (docs/live-protocol.md §Term worker).
#include "tap/live/service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <vector>

#include "tap/live/protocol.hpp"
#include "tap/live/worker_channel.hpp"
#include "tap/support/log.hpp"

extern char** environ;

namespace tap::live {

namespace {

using recorder::DaemonHost;
using recorder::SessionView;

// Runs the live server on taprec's own loop.
class HostLoop final : public Loop {
 public:
  explicit HostLoop(DaemonHost& host) : host_(host) {}
  Result<void> watch_fd(int fd, uint32_t events, FdCallback cb) override {
    return host_.watch_fd(fd, events, std::move(cb));
  }
  Result<void> modify_fd(int fd, uint32_t events) override { return host_.modify_fd(fd, events); }
  void unwatch_fd(int fd) override { host_.unwatch_fd(fd); }
  uint64_t add_timer(int64_t period_ns, TimerCallback cb) override {
    return host_.add_timer(period_ns, std::move(cb));
  }
  void cancel_timer(uint64_t id) override { host_.cancel_timer(id); }

 private:
  DaemonHost& host_;
};

SessionEntry entry_of(const SessionView& v) {
  SessionEntry e;
  e.pty_index = v.pty_index;
  e.opener_known = v.opener_known;
  e.opener_uid = v.opener_uid;
  e.opener_user = v.opener_user;
  e.writer_pid = v.writer_pid;
  e.writer_uid = v.writer_uid;
  e.writer_comm = v.writer_comm;
  e.leader_pid = v.leader_pid;
  e.leader_comm = v.leader_comm;
  e.output_bytes = v.output_bytes;
  e.output_events = v.output_events;
  e.input_bytes = v.input_bytes;
  e.input_events = v.input_events;
  e.lost_bytes = v.lost_bytes;
  e.cols = v.cols;
  e.rows = v.rows;
  e.start_wall_ns = v.start_wall_ns;
  e.last_activity_wall_ns = v.last_activity_wall_ns;
  e.container = v.container;
  e.path = v.path.native();
  return e;
}

class Service final : public recorder::SessionObserver, public SessionSource {
 public:
  Service(DaemonHost& host, const recorder::LiveServiceOptions& options, const ServiceTuning& t)
      : host_(host), loop_(host), options_(options), tuning_(t) {}

  ~Service() override {
    if (release_timer_ != 0) host_.cancel_timer(release_timer_);
    server_.reset();
    stop_worker(true);
  }

  Result<void> start() {
    ServerOptions so = tuning_.server;
    so.socket_path = options_.socket_path;
    so.socket_mode = options_.socket_mode;
    TAP_TRY(server_, Server::listen(loop_, *this, so));
    // A drained queue keeps its capacity while output flows (no regrowth per read); every
    // 10 s, queues found empty give it back, so an idle session holds no worker buffer.
    release_timer_ = host_.add_timer(10'000'000'000, [this] { release_drained_queues(); });
    worker_exe_ = find_worker_exe(options_, tuning_);
    if (worker_exe_.empty()) {
      log::warning("term worker (taprec-worker) not found: no snapshots or keyframes");
    } else {
      auto r = spawn_worker();
      if (!r.ok()) log::warning("term worker: ", r.error().what());
    }
    return {};
  }

  // --- SessionObserver ---------------------------------------------------------------------
  void session_started(const SessionView& view) override {
    Sess& s = sessions_[view.id];
    s.view = &view;
    s.sid = view.id;
    if (worker_up()) {
      worker::encode_open(s.queue, view.id, view.cols ? view.cols : 80, view.rows ? view.rows : 24);
      if (view.joined_late || view.next_seq > 0) {
        // Events appended before we heard of the session are in the file already.
        worker::encode_resync(s.queue, view.id, view.next_seq, view.path.native());
        s.state = State::resyncing;
      } else {
        s.state = State::streaming;
      }
      s.queued_total = s.queue.size();
      mark_ready(s);
      pump();
    } else {
      s.state = State::down;
    }
  }

  void event_appended(const SessionView& view, uint64_t seq, const format::Event& ev) override {
    auto it = sessions_.find(view.id);
    if (it == sessions_.end()) return;
    Sess& s = it->second;
    if (const auto* out = ev.get<format::Output>()) {
      dispatch_output(s, out->data);
      if (s.state == State::streaming || s.state == State::resyncing) {
        std::string_view rest = out->data;
        // One read can exceed the worker's feed limit; each piece keeps the event's seq, so
        // a keyframe is only ever taken after the whole event.
        while (rest.size() > worker::kMaxOutputChunk) {
          worker::encode_output(s.queue, s.sid, seq, rest.substr(0, worker::kMaxOutputChunk),
                                false);
          rest.remove_prefix(worker::kMaxOutputChunk);
        }
        worker::encode_output(s.queue, s.sid, seq, rest);
        enqueued(s);
      }
    } else if (const auto* rz = ev.get<format::Resize>()) {
      if (s.state == State::streaming || s.state == State::resyncing) {
        worker::encode_resize(s.queue, s.sid, seq, rz->cols, rz->rows);
        enqueued(s);
      }
    }
  }

  // The session is over: watchers get their end now, and the worker gets `close` behind the
  // output still queued. The file's finish is held until the worker answers `closed` (every
  // keyframe it made for the session arrived before that answer), so a flood that ends while
  // the worker is behind still gets its keyframes.
  bool session_ending(const SessionView& view, const format::SessionEnd& end) override {
    auto it = sessions_.find(view.id);
    if (it == sessions_.end()) return false;
    Sess& s = it->second;
    end_consumers(s, end);
    s.ending = true;
    bool hold = options_.keyframes && worker_up() &&
                (s.state == State::streaming || s.state == State::resyncing);
    if (!hold) return false;
    worker::encode_close(s.queue, s.sid);
    s.closing = true;
    s.awaiting_closed = true;
    mark_ready(s);
    pump();
    return true;
  }

  void session_ended(const SessionView& view, const format::SessionEnd& end) override {
    auto it = sessions_.find(view.id);
    if (it == sessions_.end()) return;
    Sess& s = it->second;
    end_consumers(s, end);
    s.view = nullptr;
    s.awaiting_closed = false;
    if (!worker_up()) {
      sessions_.erase(it);
      return;
    }
    if (s.closing) {
      // `close` is queued (held session): gone once it is written.
      if (s.head >= s.queue.size() && current_ != s.sid) sessions_.erase(it);
      return;
    }
    if (current_ != s.sid) {
      // Unsent data for a finished session is of no use to anyone.
      s.queue.clear();
      s.head = 0;
    }
    worker::encode_close(s.queue, s.sid);
    s.closing = true;
    mark_ready(s);
    pump();
  }

  // Keyframes the worker has already sent go into their files before they are finished.
  void stopping() override {
    if (worker_up()) on_worker_events(EPOLLIN);
  }

  void shutdown() override {
    if (server_) server_->stop();
    stop_worker(false);
  }

  // --- SessionSource -----------------------------------------------------------------------
  std::vector<Item> sessions() const override {
    std::vector<Item> items;
    for (const SessionView* v : host_.sessions()) items.push_back(Item{v->id, entry_of(*v)});
    return items;
  }

  void subscribe(uint64_t session_id, ScreenConsumer* consumer, bool stream) override {
    auto it = sessions_.find(session_id);
    if (it == sessions_.end() || it->second.view == nullptr) {
      consumer->screen_ready(fail(ErrorKind::not_found, "no such session"));
      return;
    }
    Sess& s = it->second;
    if (s.ending) {
      consumer->screen_ready(fail(ErrorKind::not_found, "no such session"));
      return;
    }
    if (!worker_up() || s.state == State::suspended || s.state == State::down) {
      consumer->screen_ready(fail(ErrorKind::io,
                                  worker_up() ? "the terminal model is catching up on this "
                                                "session; try again in a moment"
                                              : "the terminal model is restarting; try again"));
      return;
    }
    uint64_t tag = next_tag_++;
    s.consumers.push_back(Consumer{consumer, tag, s.view->next_seq, stream, true});
    worker::encode_snapshot(s.queue, s.sid, tag);
    enqueued(s);
  }

  void unsubscribe(uint64_t session_id, ScreenConsumer* consumer) override {
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    for (auto& c : it->second.consumers)
      if (c.consumer == consumer) c.consumer = nullptr;
    if (!dispatching_) compact(it->second);
  }

 private:
  enum class State { streaming, suspended, resyncing, down };
  static constexpr size_t kCompactAt = 4u << 20;
  static constexpr size_t kTurnBytes = 1u << 20;  // at most this much per turn and write
  static constexpr size_t kKeepCapacity = 8u << 20;
  struct Consumer {
    ScreenConsumer* consumer;
    uint64_t tag;
    uint64_t next_seq;
    bool stream;
    bool awaiting;
  };
  struct Sess {
    uint64_t sid = 0;
    const SessionView* view = nullptr;
    State state = State::down;
    std::string queue;         // frames for the worker, unsent part from `head`
    size_t head = 0;
    size_t frame_base = 0;     // a frame boundary at or before head
    uint64_t queued_total = 0;  // bytes ever queued (to tell which requests were dropped)
    bool in_ready = false;
    bool closing = false;          // `close` is queued for the worker
    bool ending = false;           // session_ending() came: no more events but keyframes
    bool awaiting_closed = false;  // the daemon holds the file until the worker's `closed`
    std::vector<Consumer> consumers;
  };

  bool worker_up() const { return worker_fd_.valid(); }

  void release_drained_queues() {
    for (auto& [sid, s] : sessions_)
      if (s.queue.empty() && s.queue.capacity() > 0 && current_ != sid) std::string().swap(s.queue);
  }

  void end_consumers(Sess& s, const format::SessionEnd& end) {
    if (s.consumers.empty()) return;
    End e{EndReason::session_ended,
          std::string("session ended (") + std::string(format::end_reason_name(end.reason)) + ")"};
    auto consumers = s.consumers;  // ended() may unsubscribe
    for (auto& c : consumers)
      if (c.consumer != nullptr) {
        if (c.awaiting) c.consumer->screen_ready(fail(ErrorKind::not_found, "session ended"));
        else c.consumer->ended(e);
      }
    s.consumers.clear();
  }

  void compact(Sess& s) {
    s.consumers.erase(std::remove_if(s.consumers.begin(), s.consumers.end(),
                                     [](const Consumer& c) { return c.consumer == nullptr; }),
                      s.consumers.end());
  }

  void dispatch_output(Sess& s, std::string_view bytes) {
    if (s.consumers.empty()) return;
    dispatching_ = true;
    for (size_t i = 0; i < s.consumers.size(); ++i) {
      Consumer& c = s.consumers[i];
      if (c.consumer != nullptr && c.stream) c.consumer->output(bytes);
    }
    dispatching_ = false;
    compact(s);
  }

  void mark_ready(Sess& s) {
    if (!s.in_ready && s.head < s.queue.size() && current_ != s.sid) {
      s.in_ready = true;
      ready_.push_back(s.sid);
    }
  }

  void enqueued(Sess& s) {
    s.queued_total = s.queue.size();
    if (s.queue.size() - s.head > tuning_.lag_limit) {
      suspend(s, "the terminal model fell more than " +
                     std::to_string(tuning_.lag_limit >> 20) + " MiB behind");
      return;
    }
    mark_ready(s);
    // Sent on the next loop turn (the socket is writable, so that is at once): everything the
    // daemon takes from the ring in one go leaves in a few large writes, not one per event.
    arm_out();
  }

  void arm_out() {
    if (!worker_up() || want_out_ || (current_ == 0 && ready_.empty())) return;
    want_out_ = true;
    (void)host_.modify_fd(worker_fd_.get(), EPOLLIN | EPOLLOUT);
  }

  // Drops what the worker has not read yet for this session; it is rebuilt from the file.
  void suspend(Sess& s, const std::string& why) {
    size_t keep = 0;
    if (current_ == s.sid && s.head > 0) {
      // The frame being written must be completed or the channel desynchronises.
      size_t pos = frame_cut(s);
      keep = pos;
    }
    s.queue.resize(std::max(keep, s.head));
    if (s.head == s.queue.size()) {
      s.queue.clear();
      s.head = 0;
    }
    s.state = State::suspended;
    fail_awaiting(s, "the terminal model is catching up on this session; try again in a moment");
    (void)host_.append_marker(s.sid, format::Marker{format::Marker::Kind::keyframes_suspended, why});
    maybe_resync(s);
  }

  // End of the frame that contains s.head (the queue holds whole frames from offset 0 after
  // each compaction, so walking from the start finds it).
  size_t frame_cut(const Sess& s) const {
    size_t pos = s.frame_base;
    while (pos + 4 <= s.queue.size()) {
      uint32_t n = 0;
      for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(s.queue[pos + i]);
      size_t end = pos + 4 + n;
      if (end >= s.head) return end;
      pos = end;
    }
    return s.queue.size();
  }

  void fail_awaiting(Sess& s, const std::string& msg) {
    dispatching_ = true;
    for (auto& c : s.consumers)
      if (c.consumer != nullptr && c.awaiting) {
        auto* consumer = c.consumer;
        c.consumer = nullptr;
        consumer->screen_ready(fail(ErrorKind::io, msg));
      }
    dispatching_ = false;
    compact(s);
  }

  void maybe_resync(Sess& s) {
    if (s.state != State::suspended || !worker_up() || s.view == nullptr) return;
    if (s.head < s.queue.size()) return;  // wait until the worker has read everything
    worker::encode_resync(s.queue, s.sid, s.view->next_seq, s.view->path.native());
    s.state = State::resyncing;
    s.queued_total = s.queue.size();
    mark_ready(s);
    pump();
  }

  // Writes queued frames to the worker until the socket is full.
  void pump() {
    if (!worker_up()) return;
    for (;;) {
      if (current_ == 0) {
        if (ready_.empty()) break;
        current_ = ready_.front();
        ready_.pop_front();
        auto it = sessions_.find(current_);
        if (it != sessions_.end()) it->second.in_ready = false;
      }
      auto it = sessions_.find(current_);
      if (it == sessions_.end()) {
        current_ = 0;
        continue;
      }
      Sess& s = it->second;
      if (s.head >= s.queue.size()) {
        finish_current(s);
        continue;
      }
      size_t stop = turn_stop(s);
      ssize_t n = ::send(worker_fd_.get(), s.queue.data() + s.head, stop - s.head,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        worker_failed("write to term worker: " + std::string(std::strerror(errno)));
        return;
      }
      s.head += static_cast<size_t>(n);
      if (s.head >= s.queue.size()) {
        finish_current(s);
        continue;
      }
      bool turn_done = s.head == stop;
      if (s.head >= kCompactAt && s.head >= s.queue.size() / 2) drop_sent(s);
      if (turn_done && !ready_.empty()) {
        // Sessions take turns at frame boundaries, so a flood cannot starve the others.
        current_ = 0;
        mark_ready(s);
      }
    }
    bool want = current_ != 0 || !ready_.empty();
    if (want != want_out_) {
      want_out_ = want;
      (void)host_.modify_fd(worker_fd_.get(), EPOLLIN | (want ? uint32_t(EPOLLOUT) : 0u));
    }
  }

  // Where the current turn of `s` ends: the end of the last whole frame within kTurnBytes of
  // head (at least the end of the frame holding head). Advances frame_base past sent frames.
  size_t turn_stop(Sess& s) {
    size_t pos = s.frame_base;
    size_t stop = 0;
    while (pos + 4 <= s.queue.size()) {
      uint32_t n = 0;
      for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(s.queue[pos + i]);
      size_t end = pos + 4 + n;
      if (end <= s.head) {
        s.frame_base = end;
      } else {
        if (stop != 0 && end - s.head > kTurnBytes) break;
        stop = end;
      }
      pos = end;
    }
    return stop == 0 ? s.queue.size() : std::min(stop, s.queue.size());
  }

  // A session that never drains (the worker is slower than its output) would keep everything
  // sent in front of its queue: drop the sent whole frames once they are half of it.
  void drop_sent(Sess& s) {
    size_t pos = s.frame_base;
    while (pos + 4 <= s.queue.size()) {
      uint32_t n = 0;
      for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(s.queue[pos + i]);
      size_t end = pos + 4 + n;
      if (end > s.head) break;
      pos = end;
    }
    s.queue.erase(0, pos);
    s.head -= pos;
    s.frame_base = 0;
  }

  void finish_current(Sess& s) {
    s.queue.clear();
    // A flood may have grown the buffer; do not keep megabytes per idle session.
    if (s.queue.capacity() > kKeepCapacity) s.queue.shrink_to_fit();
    s.head = 0;
    s.frame_base = 0;
    current_ = 0;
    if (s.closing) {
      // A held session stays until the worker's `closed` (its keyframes come before it).
      if (s.view == nullptr) sessions_.erase(s.sid);
      return;
    }
    maybe_resync(s);
  }

  void on_worker_events(uint32_t events) {
    if (events & EPOLLIN) {
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(worker_fd_.get(), buf, sizeof buf);
        if (n > 0) {
          from_worker_.append(std::string_view(buf, static_cast<size_t>(n)));
          for (;;) {
            auto frame = from_worker_.next();
            if (!frame.ok()) {
              worker_failed("term worker: " + frame.error().what());
              return;
            }
            if (!frame->has_value()) break;
            auto msg = worker::decode(**frame);
            if (!msg.ok()) {
              worker_failed("term worker: " + msg.error().what());
              return;
            }
            handle_worker_message(*msg);
            if (!worker_up()) return;
          }
          continue;
        }
        if (n == 0) {
          worker_failed("term worker exited");
          return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        worker_failed("read from term worker: " + std::string(std::strerror(errno)));
        return;
      }
    }
    if (events & (EPOLLERR | EPOLLHUP)) {
      worker_failed("term worker exited");
      return;
    }
    if (events & EPOLLOUT) pump();
  }

  void handle_worker_message(const worker::Message& m) {
    auto it = sessions_.find(m.sid);
    if (it == sessions_.end() || it->second.view == nullptr) return;
    Sess& s = it->second;
    switch (m.type) {
      case worker::Type::keyframe:
        if (options_.keyframes && s.state != State::suspended) {
          auto r = host_.append_keyframe(s.sid, format::Keyframe{m.seq, std::string(m.bytes)});
          if (!r.ok()) log::debug("keyframe for session ", s.sid, ": ", r.error().what());
        }
        break;
      case worker::Type::screen: {
        dispatching_ = true;
        for (auto& c : s.consumers) {
          if (c.consumer == nullptr || c.tag != m.tag || !c.awaiting) continue;
          c.awaiting = false;
          ScreenConsumer* consumer = c.consumer;
          if (!c.stream) c.consumer = nullptr;
          if (m.ok) {
            consumer->screen_ready(ScreenAt{m.screen, c.next_seq});
          } else {
            c.consumer = nullptr;
            consumer->screen_ready(fail(ErrorKind::io, std::string(m.bytes)));
          }
        }
        dispatching_ = false;
        compact(s);
        break;
      }
      case worker::Type::closed:
        if (s.awaiting_closed) {
          s.awaiting_closed = false;
          host_.release_session(s.sid);  // finishes the file; session_ended() may erase `s`
        }
        break;
      case worker::Type::resynced:
        if (s.state == State::resyncing) {
          s.state = State::streaming;
          if (m.ok) {
            (void)host_.append_marker(
                s.sid, format::Marker{format::Marker::Kind::keyframes_resumed,
                                      "the terminal model caught up from the file"});
          } else {
            log::warning("term worker could not rebuild session ", s.sid, ": ",
                         std::string(m.bytes));
          }
        }
        break;
      default:
        break;
    }
  }

  Result<void> spawn_worker() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return Error::from_errno("socketpair", errno);
    Fd mine(sv[0]), theirs(sv[1]);
    // Room for bursts so a busy flood rarely meets a full socket (root may exceed rmem_max).
    int size = 8 << 20;
    ::setsockopt(mine.get(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    ::setsockopt(theirs.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, theirs.get(), 3);
    std::string exe = worker_exe_.native();
    std::vector<std::string> args = {"taprec-worker", "--fd", "3"};
    if (!options_.keyframes) args.push_back("--no-keyframes");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return Error::from_errno("spawn " + exe, rc);
    theirs.reset();
    ::fcntl(mine.get(), F_SETFL, O_NONBLOCK);
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    worker_pid_ = pid;
    pidfd_.reset(pidfd);
    worker_fd_ = std::move(mine);
    from_worker_ = FrameReader(worker::kMaxFrame);
    want_out_ = false;
    TAP_CHECK(host_.watch_fd(worker_fd_.get(), EPOLLIN,
                             [this](uint32_t ev) { on_worker_events(ev); }));
    if (pidfd_.valid()) {
      (void)host_.watch_fd(pidfd_.get(), EPOLLIN,
                           [this](uint32_t) { worker_failed("term worker exited"); });
    }
    ++worker_starts_;
    // Every live session is rebuilt from its file on a fresh worker.
    for (auto& [sid, s] : sessions_) {
      if (s.view == nullptr || s.ending) continue;
      s.queue.clear();
      s.head = 0;
      s.frame_base = 0;
      worker::encode_open(s.queue, sid, s.view->cols ? s.view->cols : 80,
                          s.view->rows ? s.view->rows : 24);
      worker::encode_resync(s.queue, sid, s.view->next_seq, s.view->path.native());
      s.state = State::resyncing;
      s.in_ready = false;
      mark_ready(s);
    }
    pump();
    return {};
  }

  void stop_worker(bool kill_now) {
    if (worker_fd_.valid()) host_.unwatch_fd(worker_fd_.get());
    if (pidfd_.valid()) host_.unwatch_fd(pidfd_.get());
    worker_fd_.reset();  // the worker sees EOF and exits
    pidfd_.reset();
    if (worker_pid_ > 0) {
      if (kill_now) ::kill(worker_pid_, SIGKILL);
      // Reap without hanging the daemon: give it a moment, then kill.
      for (int i = 0; i < 50; ++i) {
        if (::waitpid(worker_pid_, nullptr, WNOHANG) != 0) {
          worker_pid_ = 0;
          break;
        }
        ::usleep(10'000);
      }
      if (worker_pid_ > 0) {
        ::kill(worker_pid_, SIGKILL);
        ::waitpid(worker_pid_, nullptr, 0);
        worker_pid_ = 0;
      }
    }
  }

  void worker_failed(const std::string& why) {
    if (!worker_up()) return;
    log::warning(why, "; restarting it");
    if (worker_fd_.valid()) host_.unwatch_fd(worker_fd_.get());
    if (pidfd_.valid()) host_.unwatch_fd(pidfd_.get());
    worker_fd_.reset();
    pidfd_.reset();
    if (worker_pid_ > 0) {
      ::kill(worker_pid_, SIGKILL);
      ::waitpid(worker_pid_, nullptr, 0);
      worker_pid_ = 0;
    }
    current_ = 0;
    ready_.clear();
    std::vector<uint64_t> release;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Sess& s = it->second;
      if (s.view == nullptr) {
        it = sessions_.erase(it);
        continue;
      }
      if (s.ending) {
        // No keyframes will come: its file need not wait.
        if (s.awaiting_closed) release.push_back(s.sid);
        s.awaiting_closed = false;
        s.queue.clear();
        s.head = 0;
        s.frame_base = 0;
        s.in_ready = false;
        s.state = State::down;
        ++it;
        continue;
      }
      s.queue.clear();
      s.head = 0;
      s.frame_base = 0;
      s.in_ready = false;
      fail_awaiting(s, "the terminal model is restarting; try again in a moment");
      if (s.state != State::suspended && s.state != State::down)
        (void)host_.append_marker(s.sid, format::Marker{format::Marker::Kind::keyframes_suspended,
                                                        "the terminal model restarted"});
      s.state = State::down;
      ++it;
    }
    for (uint64_t sid : release) host_.release_session(sid);
    if (restart_timer_ == 0) {
      restart_timer_ = host_.add_timer(tuning_.restart_delay_ns, [this] {
        host_.cancel_timer(restart_timer_);
        restart_timer_ = 0;
        auto r = spawn_worker();
        if (!r.ok()) {
          log::warning("term worker: ", r.error().what());
          worker_failed_spawn();
        }
      });
    }
  }

  void worker_failed_spawn() {
    if (restart_timer_ != 0) return;
    restart_timer_ = host_.add_timer(tuning_.restart_delay_ns * 10, [this] {
      host_.cancel_timer(restart_timer_);
      restart_timer_ = 0;
      if (!spawn_worker().ok()) worker_failed_spawn();
    });
  }

  DaemonHost& host_;
  HostLoop loop_;
  recorder::LiveServiceOptions options_;
  ServiceTuning tuning_;
  std::unique_ptr<Server> server_;
  std::filesystem::path worker_exe_;
  Fd worker_fd_;
  Fd pidfd_;
  pid_t worker_pid_ = 0;
  uint64_t worker_starts_ = 0;
  uint64_t restart_timer_ = 0;
  uint64_t release_timer_ = 0;
  FrameReader from_worker_{worker::kMaxFrame};
  std::unordered_map<uint64_t, Sess> sessions_;
  std::deque<uint64_t> ready_;
  uint64_t current_ = 0;  // session whose queue is being written (0: none)
  bool want_out_ = false;
  bool dispatching_ = false;
  uint64_t next_tag_ = 1;
};

}  // namespace

std::filesystem::path find_worker_exe(const recorder::LiveServiceOptions& options,
                                      const ServiceTuning& tuning) {
  std::error_code ec;
  std::vector<std::filesystem::path> candidates;
  if (!tuning.worker_exe.empty()) return tuning.worker_exe;
  std::filesystem::path self = options.self_exe;
  if (self.empty()) self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!self.empty()) candidates.push_back(self.parent_path() / "taprec-worker");
  candidates.push_back(std::filesystem::path(TAP_LIBEXECDIR) / "taprec-worker");
  for (const auto& c : candidates)
    if (::access(c.c_str(), X_OK) == 0) return c;
  return {};
}

Result<std::unique_ptr<recorder::SessionObserver>> make_service(
    recorder::DaemonHost& host, const recorder::LiveServiceOptions& options) {
  return make_service(host, options, ServiceTuning{});
}

Result<std::unique_ptr<recorder::SessionObserver>> make_service(
    recorder::DaemonHost& host, const recorder::LiveServiceOptions& options,
    const ServiceTuning& tuning) {
  auto service = std::make_unique<Service>(host, options, tuning);
  TAP_CHECK(service->start());
  return std::unique_ptr<recorder::SessionObserver>(std::move(service));
}

}  // namespace tap::live
