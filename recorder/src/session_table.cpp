#include "tap/recorder/session_table.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cstring>

#include "tap/support/log.hpp"

namespace tap::recorder {

namespace {

constexpr uint32_t kNoLoginUid = 0xFFFFFFFF;
// sshd opens the master as root and execs the user's shell a few ms later; wait this long for
// the leader's exec before the master opener becomes the opener.
constexpr uint64_t kOpenerGraceNs = 2'000'000'000;
// A master closed by process exit makes no syscall: sessions quiet this long are checked.
constexpr uint64_t kAliveCheckNs = 2'000'000'000;

format::Id128 random_id() {
  format::Id128 id{};
  size_t got = 0;
  while (got < id.size()) {
    ssize_t n = ::getrandom(id.data() + got, id.size() - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return id;
}

}  // namespace

struct SessionTable::Session {
  SessionView view;
  format::SessionInfo info;
  std::unique_ptr<SessionFile> file;
  uint64_t start_mono = 0;
  format::Nanos last_t = 0;
  uint64_t next[2] = {0, 0};     // expected offset per stream (output, input)
  bool seen[2] = {false, false}; // a record of the stream arrived since the file began
  format::Gap::Reason first_reason = format::Gap::Reason::joined_late;
  uint64_t last_record = 0;      // CLOCK_MONOTONIC of the last record
  uint64_t last_alive_check = 0;
  uint32_t master_uid = 0, master_pid = 0;
  bool master_known = false;
  bool failed = false;
  // While held (session_ending): how to finish, how many observers still hold it, and the
  // CLOCK_MONOTONIC time the hold gives up (0 until the next tick sets it).
  format::SessionEnd end{format::SessionEnd::Reason::unknown, -1};
  int holders = 0;
  bool held = false;
  uint64_t hold_until = 0;
};

SessionTable::SessionTable(SessionBackend& backend, int64_t mono_to_wall_ns, int32_t utc_offset_s)
    : backend_(backend), mono_to_wall_ns_(mono_to_wall_ns), utc_offset_s_(utc_offset_s) {}

SessionTable::~SessionTable() = default;

void SessionTable::append(Session& s, uint64_t ts, format::EventBody body) {
  scratch_.body = std::move(body);
  append_event(s, ts, scratch_);
}

void SessionTable::append_event(Session& s, uint64_t ts, format::Event& ev) {
  format::Nanos t = static_cast<format::Nanos>(ts) - static_cast<format::Nanos>(s.start_mono);
  // Records from different CPUs may carry slightly older times than the last one appended.
  s.last_t = std::max(s.last_t, t);
  ev.time = s.last_t;
  if (s.failed || !s.file) return;
  auto seq = s.file->append(ev);
  if (!seq.ok()) {
    s.failed = true;
    ++counters_.write_errors;
    log::error("session pts", s.view.pty_index, ": ", s.view.path.string(), ": ",
               seq.error().what(), "; no more events are written to it");
    return;
  }
  s.view.next_seq = *seq + 1;
  for (SessionObserver* o : observers_) o->event_appended(s.view, *seq, ev);
}

void SessionTable::opener(Session& s, uint32_t uid, uint32_t pid, format::Opener::Source source,
                          uint64_t ts) {
  if (s.view.opener_known) return;
  s.view.opener_known = true;
  s.view.opener_uid = uid;
  s.view.opener_user = backend_.user_name(uid);
  append(s, ts, format::Opener{uid, pid, source, s.view.opener_user});
}

SessionTable::Session* SessionTable::start(const Record* r, const SessionKey& key, uint64_t ts,
                                           bool late, uint64_t out_off, uint64_t in_off,
                                           uint16_t cols, uint16_t rows) {
  auto s = std::make_unique<Session>();
  std::optional<Resume> resume;
  if (late) resume = backend_.resume(key);
  format::SessionInfo& info = s->info;
  backend_.fill_host(info);
  info.file_id = random_id();
  info.pty_index = key.pty_index;
  info.pty_dev = key.pty_dev;
  info.utc_offset_s = utc_offset_s_;
  if (r != nullptr && r->has_meta) {
    info.cgroup_id = r->cgroup_id;
    info.mnt_ns = r->mnt_ns;
  }
  if (resume) {
    // A later segment continues the session's clock and identity.
    info.session_id = resume->previous.session_id;
    info.segment = resume->previous.segment + 1;
    info.start_wall_ns = resume->previous.start_wall_ns;
    info.previous = resume->link;
    if (!info.previous) {
      format::SegmentLink link;
      link.previous_file_id = resume->previous.file_id;
      info.previous = link;
    }
    if (info.cgroup_id == 0) info.cgroup_id = resume->previous.cgroup_id;
    if (info.mnt_ns == 0) info.mnt_ns = resume->previous.mnt_ns;
    s->start_mono = static_cast<uint64_t>(info.start_wall_ns - mono_to_wall_ns_);
    s->next[0] = resume->out_off;
    s->next[1] = resume->in_off;
    s->first_reason = format::Gap::Reason::recorder_down;
  } else {
    info.session_id = random_id();
    info.start_wall_ns = static_cast<int64_t>(ts) + mono_to_wall_ns_;
    info.joined_late = late;
    s->start_mono = ts;
    s->first_reason = format::Gap::Reason::joined_late;
  }

  SessionView& v = s->view;
  v.id = next_id_++;
  v.key = key;
  v.pty_index = key.pty_index;
  v.info = &s->info;
  v.start_wall_ns = info.start_wall_ns;
  v.last_activity_wall_ns = info.start_wall_ns;
  v.cgroup_id = info.cgroup_id;
  v.mnt_ns = info.mnt_ns;
  v.joined_late = late;
  if (kernel_ && r != nullptr && r->tgid != 0) v.container = kernel_->container(r->tgid);
  v.cols = cols;
  v.rows = rows;

  auto file = backend_.create(info);
  if (file.ok()) {
    s->file = std::move(file).value();
    v.path = s->file->path();
  } else {
    ++counters_.write_errors;
    s->failed = true;
    log::error("session pts", key.pty_index, ": ", file.error().what(),
               "; this session is not recorded");
  }
  Session* raw = s.get();
  sessions_[{key.pty_dev, key.pty_index}] = std::move(s);
  ++counters_.sessions_started;
  if (!raw->failed) backend_.started(key, info, v.path, raw->next[0], raw->next[1]);

  if (late && !resume) append(*raw, ts, format::Marker{format::Marker::Kind::joined_late, "joined late"});
  if (cols != 0 && rows != 0) append(*raw, ts, format::Resize{cols, rows});
  // Whatever the streams carried before the file began is one exact gap.
  if (out_off > raw->next[0]) catch_up(*raw, format::Stream::output, out_off, ts, raw->first_reason);
  if (in_off > raw->next[1]) catch_up(*raw, format::Stream::input, in_off, ts, raw->first_reason);
  for (SessionObserver* o : observers_) o->session_started(raw->view);
  return raw;
}

void SessionTable::catch_up(Session& s, format::Stream stream, uint64_t to, uint64_t ts,
                            format::Gap::Reason reason) {
  int i = stream == format::Stream::output ? 0 : 1;
  if (to <= s.next[i]) return;
  uint64_t bytes = to - s.next[i];
  format::Gap gap;
  gap.stream = stream;
  gap.offset = s.next[i];
  gap.bytes = bytes;
  gap.reason = reason;
  s.next[i] = to;
  s.view.lost_bytes += bytes;
  counters_.gap_bytes += bytes;
  append(s, ts, gap);
}

void SessionTable::data(Session& s, const Record& r) {
  bool output = r.kind == RecordKind::output ||
                (r.kind == RecordKind::fault && !r.input_fault());
  format::Stream stream = output ? format::Stream::output : format::Stream::input;
  int i = output ? 0 : 1;
  catch_up(s, stream, r.offset, r.ts_ns,
           s.seen[i] ? format::Gap::Reason::ring_overflow : s.first_reason);
  s.seen[i] = true;
  uint64_t end = r.offset + r.len;
  if (end <= s.next[i]) return;  // already covered (a record re-delivered or overlapping)
  uint64_t skip = s.next[i] > r.offset ? s.next[i] - r.offset : 0;
  uint64_t n = r.len - skip;
  s.next[i] = end;
  int64_t wall = static_cast<int64_t>(r.ts_ns) + mono_to_wall_ns_;
  switch (r.kind) {
    case RecordKind::output:
      s.view.output_bytes += n;
      ++s.view.output_events;
      s.view.last_activity_wall_ns = wall;
      counters_.output_bytes += n;
      // The payload goes into a reused event: no allocation per record once warm.
      output_ev_.get<format::Output>()->data.assign(r.payload.substr(skip));
      append_event(s, r.ts_ns, output_ev_);
      break;
    case RecordKind::input:
      s.view.input_bytes += n;
      ++s.view.input_events;
      s.view.last_activity_wall_ns = wall;
      counters_.input_bytes += n;
      input_ev_.get<format::Input>()->data.assign(r.payload.substr(skip));
      append_event(s, r.ts_ns, input_ev_);
      break;
    case RecordKind::input_suppressed:
      s.view.input_bytes += n;
      ++s.view.input_events;
      s.view.last_activity_wall_ns = wall;
      append(s, r.ts_ns, format::InputSuppressed{static_cast<uint32_t>(n)});
      break;
    default: {  // fault: bytes the kernel could not copy
      format::Gap gap;
      gap.stream = stream;
      gap.offset = r.offset + skip;
      gap.bytes = n;
      gap.events = 0;
      gap.reason = format::Gap::Reason::unknown;
      s.view.lost_bytes += n;
      counters_.gap_bytes += n;
      append(s, r.ts_ns, gap);
    }
  }
}

void SessionTable::end(Slot slot, format::SessionEnd e, uint64_t out_off, uint64_t in_off,
                       uint64_t ts, bool may_hold) {
  auto it = sessions_.find(slot);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  // Loss at the tail shows only in the final offsets.
  catch_up(s, format::Stream::output, out_off, ts, format::Gap::Reason::ring_overflow);
  catch_up(s, format::Stream::input, in_off, ts, format::Gap::Reason::ring_overflow);
  if (!s.view.opener_known && s.master_known)
    opener(s, s.master_uid, s.master_pid, format::Opener::Source::master_open, ts);
  s.end = e;
  // Out of the slot map first: a new session on the same pty may start while this one is held.
  // Observers can still append (keyframes, markers) from session_ending() on.
  uint64_t id = s.view.id;
  held_[id] = std::move(it->second);
  sessions_.erase(it);
  if (may_hold && s.file && !s.failed) {
    for (SessionObserver* o : observers_)
      if (o->session_ending(s.view, e)) ++s.holders;
  }
  if (s.holders == 0) {
    std::unique_ptr<Session> owned = std::move(held_[id]);
    held_.erase(id);
    finish(std::move(owned));
    return;
  }
  // Held: the restart state goes now, since a new session on the same pty writes its own.
  s.held = true;
  (void)s.file->flush();
  backend_.ended(s.view.key);
}

void SessionTable::finish(std::unique_ptr<Session> sp) {
  Session& s = *sp;
  if (s.file && !s.failed) {
    auto r = s.file->finish(s.end);
    if (!r.ok()) {
      ++counters_.write_errors;
      log::error("session pts", s.view.pty_index, ": finish ", s.view.path.string(), ": ",
                 r.error().what());
    }
  }
  for (SessionObserver* o : observers_) o->session_ended(s.view, s.end);
  if (!s.failed && !s.held) backend_.ended(s.view.key);
  ++counters_.sessions_ended;
}

void SessionTable::release_session(uint64_t session_id) {
  auto it = held_.find(session_id);
  if (it == held_.end() || !it->second->held) return;
  if (--it->second->holders > 0) return;
  std::unique_ptr<Session> s = std::move(it->second);
  held_.erase(it);
  finish(std::move(s));
}

void SessionTable::handle(const Record& r) {
  Slot slot{r.key.pty_dev, r.key.pty_index};
  auto it = sessions_.find(slot);
  Session* s = it == sessions_.end() ? nullptr : it->second.get();

  if (r.kind == RecordKind::open) {
    if (s) end(slot, {format::SessionEnd::Reason::unknown, -1}, 0, 0, r.ts_ns);
    s = start(&r, r.key, r.ts_ns, false, 0, 0, 0, 0);
    s->master_uid = r.uid;
    s->master_pid = r.tgid;
    s->master_known = true;
    return;
  }
  if (s && s->view.key.generation != r.key.generation) {
    if (r.key.generation < s->view.key.generation) return;  // the previous session's last words
    end(slot, {format::SessionEnd::Reason::unknown, -1}, 0, 0, r.ts_ns);
    s = nullptr;
  }
  if (!s) {
    if (r.kind == RecordKind::close || r.kind == RecordKind::hangup) return;
    uint64_t out = r.has_meta ? r.out_off : 0, in = r.has_meta ? r.in_off : 0;
    s = start(&r, r.key, r.ts_ns, true, out, in, r.has_meta ? r.cols : 0,
              r.has_meta ? r.rows : 0);
  }

  s->last_record = std::max(s->last_record, r.ts_ns);
  if (r.has_meta && r.tgid != 0 && s->master_pid == 0) s->master_pid = r.tgid;
  switch (r.kind) {
    case RecordKind::output:
    case RecordKind::input:
    case RecordKind::input_suppressed:
    case RecordKind::fault:
      data(*s, r);
      break;
    case RecordKind::resize:
      if (r.cols == s->view.cols && r.rows == s->view.rows) break;
      s->view.cols = r.cols;
      s->view.rows = r.rows;
      append(*s, r.ts_ns, format::Resize{r.cols, r.rows});
      break;
    case RecordKind::writer:
      s->view.writer_pid = r.tgid;
      s->view.writer_uid = r.uid;
      s->view.writer_euid = r.euid;
      s->view.writer_comm = std::string(r.comm);
      append(*s, r.ts_ns, format::WriterChange{r.tgid, r.uid, r.euid, r.loginuid, std::string(r.comm)});
      break;
    case RecordKind::cred:
      // A set*uid by the current writer changes who writes; others show at their next write.
      if (r.tgid == s->view.writer_pid &&
          (r.uid != s->view.writer_uid || r.euid != s->view.writer_euid)) {
        s->view.writer_uid = r.uid;
        s->view.writer_euid = r.euid;
        s->view.writer_comm = std::string(r.comm);
        append(*s, r.ts_ns, format::WriterChange{r.tgid, r.uid, r.euid, r.loginuid, std::string(r.comm)});
      }
      break;
    case RecordKind::leader:
      s->view.leader_pid = r.tgid;
      s->view.leader_comm = std::string(r.comm);
      if (r.loginuid != kNoLoginUid)
        opener(*s, r.loginuid, r.tgid, format::Opener::Source::loginuid, r.ts_ns);
      break;
    case RecordKind::exec:
      if (r.leader_exec()) {
        s->view.leader_comm = std::string(r.comm);
        if (r.loginuid != kNoLoginUid)
          opener(*s, r.loginuid, r.tgid, format::Opener::Source::loginuid, r.ts_ns);
        else
          opener(*s, r.uid, r.tgid, format::Opener::Source::leader_exec, r.ts_ns);
      }
      append(*s, r.ts_ns, format::Exec{r.tgid, r.uid, r.euid, std::string(r.filename), {}});
      break;
    case RecordKind::close:
      end(slot, {format::SessionEnd::Reason::closed, -1}, r.out_off, r.in_off, r.ts_ns);
      break;
    case RecordKind::hangup:
      end(slot, {format::SessionEnd::Reason::hangup, -1}, r.out_off, r.in_off, r.ts_ns);
      break;
    case RecordKind::open:
      break;
  }
}

void SessionTable::tick(uint64_t now_ns) {
  std::vector<Slot> gone;
  for (auto& [slot, sp] : sessions_) {
    Session& s = *sp;
    uint64_t quiet_since = std::max(s.last_record, s.start_mono);
    if (kernel_ && now_ns > quiet_since + kAliveCheckNs && now_ns > s.last_alive_check + kAliveCheckNs) {
      s.last_alive_check = now_ns;
      uint32_t pid = s.view.writer_pid ? s.view.writer_pid : s.master_pid;
      if (!kernel_->pty_alive(s.view.key, pid)) gone.push_back(slot);
    }
    if (!s.view.opener_known && s.master_known && now_ns > s.start_mono + kOpenerGraceNs)
      opener(s, s.master_uid, s.master_pid, format::Opener::Source::master_open, now_ns);
    if (s.file && !s.failed) {
      format::Nanos t = std::max<format::Nanos>(
          s.last_t, static_cast<format::Nanos>(now_ns) - static_cast<format::Nanos>(s.start_mono));
      auto r = s.file->tick(t);
      if (!r.ok()) {
        s.failed = true;
        ++counters_.write_errors;
        log::error("session pts", s.view.pty_index, ": ", r.error().what());
      }
    }
  }
  // Held sessions: keep their writer ticking, and finish those held too long.
  std::vector<uint64_t> expired;
  for (auto& [id, sp] : held_) {
    Session& s = *sp;
    if (s.hold_until == 0) s.hold_until = now_ns + static_cast<uint64_t>(kSessionHoldNs);
    else if (now_ns >= s.hold_until) expired.push_back(id);
    if (s.file && !s.failed) (void)s.file->tick(s.last_t);
  }
  for (uint64_t id : expired) {
    auto it = held_.find(id);
    log::debug("session pts", it->second->view.pty_index, ": finished after waiting ",
               kSessionHoldNs / 1'000'000, " ms for the live service");
    std::unique_ptr<Session> s = std::move(it->second);
    held_.erase(it);
    finish(std::move(s));
  }
  for (const Slot& slot : gone) {
    Session& s = *sessions_.at(slot);
    uint64_t out = s.next[0], in = s.next[1];
    if (auto off = kernel_->offsets(s.view.key)) {
      out = off->first;
      in = off->second;
    }
    end(slot, {format::SessionEnd::Reason::closed, -1}, out, in,
        std::max<uint64_t>(s.last_record, static_cast<uint64_t>(s.last_t) + s.start_mono));
  }
}

void SessionTable::join_existing(const SessionKey& key, uint16_t cols, uint16_t rows,
                                 uint64_t now_ns, uint64_t out_off, uint64_t in_off) {
  if (sessions_.count({key.pty_dev, key.pty_index}) != 0) return;
  start(nullptr, key, now_ns, true, out_off, in_off, cols, rows);
}

void SessionTable::finish_all(format::SessionEnd::Reason reason) {
  for (SessionObserver* o : observers_) o->stopping();
  while (!held_.empty()) {
    std::unique_ptr<Session> s = std::move(held_.begin()->second);
    held_.erase(held_.begin());
    finish(std::move(s));
  }
  while (!sessions_.empty()) {
    auto it = sessions_.begin();
    Session& s = *it->second;
    end(it->first, {reason, -1}, s.next[0], s.next[1],
        static_cast<uint64_t>(s.last_t) + s.start_mono, false);
  }
}

void SessionTable::flush_all() {
  for (auto& [slot, s] : sessions_)
    if (s->file && !s->failed) (void)s->file->flush();
}

const SessionView* SessionTable::find_key(uint64_t pty_dev, uint32_t pty_index) const {
  auto it = sessions_.find({pty_dev, pty_index});
  return it == sessions_.end() ? nullptr : &it->second->view;
}

SessionTable::Session* SessionTable::by_id(uint64_t id) const {
  for (const auto& [slot, s] : sessions_)
    if (s->view.id == id) return s.get();
  auto it = held_.find(id);
  return it == held_.end() ? nullptr : it->second.get();
}

Result<void> SessionTable::watch_fd(int fd, uint32_t events, FdCallback cb) {
  if (!loop_) return fail(ErrorKind::unsupported, "no event loop");
  return loop_->watch_fd(fd, events, std::move(cb));
}
Result<void> SessionTable::modify_fd(int fd, uint32_t events) {
  if (!loop_) return fail(ErrorKind::unsupported, "no event loop");
  return loop_->modify_fd(fd, events);
}
void SessionTable::unwatch_fd(int fd) {
  if (loop_) loop_->unwatch_fd(fd);
}
uint64_t SessionTable::add_timer(int64_t period_ns, TimerCallback cb) {
  return loop_ ? loop_->add_timer(period_ns, std::move(cb)) : 0;
}
void SessionTable::cancel_timer(uint64_t timer_id) {
  if (loop_) loop_->cancel_timer(timer_id);
}

Result<uint64_t> SessionTable::append_keyframe(uint64_t session_id, format::Keyframe keyframe) {
  Session* s = by_id(session_id);
  if (!s) return fail(ErrorKind::not_found, "no live session " + std::to_string(session_id));
  if (keyframe.event_seq > s->view.next_seq)
    return fail(ErrorKind::invalid_argument, "keyframe names an event not yet appended");
  uint64_t seq = s->view.next_seq;
  append(*s, static_cast<uint64_t>(s->last_t) + s->start_mono, std::move(keyframe));
  return seq;
}

Result<uint64_t> SessionTable::append_marker(uint64_t session_id, format::Marker marker) {
  Session* s = by_id(session_id);
  if (!s) return fail(ErrorKind::not_found, "no live session " + std::to_string(session_id));
  uint64_t seq = s->view.next_seq;
  append(*s, static_cast<uint64_t>(s->last_t) + s->start_mono, std::move(marker));
  return seq;
}

std::vector<const SessionView*> SessionTable::sessions() const {
  std::vector<const SessionView*> out;
  for (const auto& [slot, s] : sessions_) out.push_back(&s->view);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

const SessionView* SessionTable::find_session(uint64_t session_id) const {
  Session* s = by_id(session_id);
  return s ? &s->view : nullptr;
}

}  // namespace tap::recorder
