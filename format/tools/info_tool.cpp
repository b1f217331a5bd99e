// tapinfo: metadata and timeline of recordings, printed safely (docs/format.md §tapinfo).
#include <cstdio>
#include <map>

#include "cli.hpp"
#include "json_out.hpp"
#include "tap/format/keys.hpp"
#include "tap/format/segments.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/format/verify.hpp"
#include "tap/support/log.hpp"
#include "tap/support/text.hpp"
#include "tap/support/time_spec.hpp"

namespace tap::format::tools {
namespace {

// Timeline lists keep at most this many entries in memory; the rest are counted.
constexpr size_t kListCap = 1000;
constexpr size_t kListShown = 20;

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}
std::string hex(const Id128& id) { return hex(id.data(), id.size()); }

struct TimedEvent {
  Nanos time;
  Event event;
};

struct Summary {
  std::optional<TimedEvent> opener;
  std::vector<TimedEvent> writers, resizes, markers, gaps, execs;
  uint64_t writers_total = 0, resizes_total = 0, markers_total = 0, gaps_total = 0,
           execs_total = 0;
  std::vector<TimedEvent> uid_changes;
  uint64_t uid_changes_total = 0;
  std::array<uint64_t, 12> by_kind{};
  uint64_t out_bytes = 0, in_bytes = 0, suppressed = 0, lost_out = 0, lost_in = 0;
  uint64_t events = 0;
  std::optional<SessionEnd> end;
  std::optional<Error> fault;
};

void keep(std::vector<TimedEvent>& list, uint64_t& total, const Event& e) {
  if (list.size() < kListCap) list.push_back({e.time, e});
  ++total;
}

Summary summarize(SessionReader& r) {
  Summary s;
  std::optional<std::pair<uint32_t, uint32_t>> ids;
  for (;;) {
    auto next = r.next();
    if (!next) {
      s.fault = next.error();
      break;
    }
    const Event* e = *next;
    if (e == nullptr) break;
    ++s.events;
    auto k = static_cast<size_t>(e->kind());
    if (k < s.by_kind.size()) ++s.by_kind[k];
    if (const auto* o = e->get<Output>()) s.out_bytes += o->data.size();
    else if (const auto* i = e->get<Input>()) s.in_bytes += i->data.size();
    else if (const auto* q = e->get<InputSuppressed>()) s.suppressed += q->length;
    else if (e->get<Opener>() && !s.opener) s.opener = TimedEvent{e->time, *e};
    else if (const auto* w = e->get<WriterChange>()) {
      keep(s.writers, s.writers_total, *e);
      std::pair<uint32_t, uint32_t> now{w->uid, w->euid};
      if (ids && *ids != now) keep(s.uid_changes, s.uid_changes_total, *e);
      ids = now;
    } else if (e->get<Resize>()) keep(s.resizes, s.resizes_total, *e);
    else if (e->get<Marker>()) keep(s.markers, s.markers_total, *e);
    else if (e->get<Exec>()) keep(s.execs, s.execs_total, *e);
    else if (const auto* g = e->get<Gap>()) {
      keep(s.gaps, s.gaps_total, *e);
      (g->stream == Stream::output ? s.lost_out : s.lost_in) += g->bytes;
    } else if (const auto* end = e->get<SessionEnd>()) s.end = *end;
  }
  return s;
}

std::string describe(const Event& e) {
  std::string s;
  if (const auto* w = e.get<WriterChange>()) {
    s = "pid " + std::to_string(w->pid) + " uid " + std::to_string(w->uid) + " euid " +
        std::to_string(w->euid);
    if (w->loginuid != WriterChange::kNoLoginUid) s += " loginuid " + std::to_string(w->loginuid);
    s += " " + escape_for_terminal(w->comm);
  } else if (const auto* r = e.get<Resize>()) {
    s = std::to_string(r->cols) + "x" + std::to_string(r->rows);
  } else if (const auto* m = e.get<Marker>()) {
    s = std::string(marker_kind_name(m->kind)) + " " + escape_for_terminal(m->label);
  } else if (const auto* g = e.get<Gap>()) {
    s = std::to_string(g->bytes) + " " + std::string(stream_name(g->stream)) + " bytes at " +
        std::to_string(g->offset) + " (" + std::string(gap_reason_name(g->reason)) + ")";
  } else if (const auto* x = e.get<Exec>()) {
    s = "pid " + std::to_string(x->pid) + " uid " + std::to_string(x->uid) + " " +
        escape_for_terminal(x->filename);
  } else if (const auto* o = e.get<Opener>()) {
    s = "uid " + std::to_string(o->uid) + (o->user.empty() ? "" : " (" + escape_for_terminal(o->user) + ")") +
        " via " + std::string(opener_source_name(o->source)) + ", pid " + std::to_string(o->pid);
  }
  return s;
}

double completeness(uint64_t have, uint64_t lost) {
  return have + lost == 0 ? 100.0 : 100.0 * static_cast<double>(have) / static_cast<double>(have + lost);
}

void print_list(const char* title, const std::vector<TimedEvent>& list, uint64_t total, bool all) {
  if (total == 0) return;
  std::printf("  %-13s %llu\n", title, static_cast<unsigned long long>(total));
  size_t shown = all ? list.size() : std::min(list.size(), kListShown);
  for (size_t i = 0; i < shown; ++i)
    std::printf("    %s  %s\n", format_offset(list[i].time).c_str(), describe(list[i].event).c_str());
  if (total > shown) std::printf("    ... %llu more (--events%s)\n",
                                 static_cast<unsigned long long>(total - shown),
                                 all ? ", first 1000 kept" : "");
}

void list_json(JsonOut& j, const char* key, const std::vector<TimedEvent>& list) {
  j.key(key).begin_array();
  for (const auto& t : list) {
    j.begin_object();
    j.key("time").num(t.time);
    j.key("at").str(format_offset(t.time));
    const Event& e = t.event;
    if (const auto* w = e.get<WriterChange>()) {
      j.key("pid").unum(w->pid).key("uid").unum(w->uid).key("euid").unum(w->euid);
      j.key("loginuid").unum(w->loginuid).key("comm").str(w->comm);
    } else if (const auto* r = e.get<Resize>()) {
      j.key("cols").unum(r->cols).key("rows").unum(r->rows);
    } else if (const auto* m = e.get<Marker>()) {
      j.key("kind").str(marker_kind_name(m->kind)).key("label").str(m->label);
    } else if (const auto* g = e.get<Gap>()) {
      j.key("stream").str(stream_name(g->stream)).key("offset").unum(g->offset);
      j.key("bytes").unum(g->bytes).key("events").unum(g->events);
      j.key("reason").str(gap_reason_name(g->reason));
    } else if (const auto* x = e.get<Exec>()) {
      j.key("pid").unum(x->pid).key("uid").unum(x->uid).key("euid").unum(x->euid);
      j.key("filename").str(x->filename);
    }
    j.end_object();
  }
  j.end_array();
}

}  // namespace

int run_tapinfo(const InfoOptions& o) {
  Keyring ring;
  std::error_code ec;
  std::string dir = o.keyring.empty() ? std::string(kDefaultKeyDir) : o.keyring;
  if (std::filesystem::exists(dir, ec)) (void)ring.add_dir(dir);
  else if (!o.keyring.empty()) {
    log::error("keyring " + escape_for_terminal(dir) + ": no such directory");
    return 2;
  }
  int rc = 0;
  JsonOut j;
  if (o.json && o.files.size() > 1) j.begin_array();
  for (const auto& file : o.files) {
    const std::string name = escape_for_terminal(file);
    auto reader = SessionReader::open(file);
    if (!reader) {
      log::error(escape_for_terminal(reader.error().what()));
      rc = 1;
      continue;
    }
    SessionReader& r = **reader;
    const SessionInfo& info = r.info();
    Summary s = summarize(r);
    VerifyReport v = verify_file(file, &ring);
    auto segs = segment_paths(file);
    if (s.fault) {
      log::error(escape_for_terminal(file + ": " + s.fault->what()) +
                 " (everything before it is described)");
      rc = 1;
    }
    if (o.json) {
      j.begin_object();
      j.key("file").str(file);
      j.key("session_id").str(hex(info.session_id));
      j.key("file_id").str(hex(info.file_id));
      j.key("segment").unum(info.segment);
      j.key("host").str(info.host_name);
      j.key("host_id").str(hex(info.host_id));
      j.key("boot_id").str(hex(info.boot_id));
      j.key("start_wall_ns").num(info.start_wall_ns);
      j.key("start").str(format_wall_time(info.start_wall_ns, info.utc_offset_s));
      j.key("utc_offset_s").num(info.utc_offset_s);
      j.key("duration_ns").num(r.duration());
      j.key("pty_index").unum(info.pty_index);
      j.key("pty_dev").unum(info.pty_dev);
      j.key("cgroup_id").unum(info.cgroup_id);
      j.key("mnt_ns").unum(info.mnt_ns);
      j.key("recorder").str(info.recorder);
      j.key("term").str(info.term);
      j.key("key_id").str(info.key_id);
      j.key("imported").boolean(info.imported);
      j.key("joined_late").boolean(info.joined_late);
      j.key("previous");
      if (info.previous) {
        j.begin_object();
        j.key("file_id").str(hex(info.previous->previous_file_id));
        j.key("last_sealed_head").str(hex(info.previous->last_sealed_head.data(), 32));
        j.key("last_sealed_seq").unum(info.previous->last_sealed_seq);
        j.end_object();
      } else {
        j.null();
      }
      j.key("opener");
      if (s.opener) {
        const Opener& op = *s.opener->event.get<Opener>();
        j.begin_object().key("time").num(s.opener->time).key("uid").unum(op.uid);
        j.key("pid").unum(op.pid).key("user").str(op.user);
        j.key("source").str(opener_source_name(op.source)).end_object();
      } else {
        j.null();
      }
      list_json(j, "writers", s.writers);
      list_json(j, "uid_changes", s.uid_changes);
      list_json(j, "resizes", s.resizes);
      list_json(j, "markers", s.markers);
      list_json(j, "gaps", s.gaps);
      j.key("events").unum(s.events);
      j.key("events_by_kind").begin_object();
      for (size_t k = 1; k < s.by_kind.size(); ++k)
        j.key(kind_name(static_cast<EventKind>(k))).unum(s.by_kind[k]);
      j.end_object();
      j.key("output_bytes").unum(s.out_bytes);
      j.key("input_bytes").unum(s.in_bytes);
      j.key("input_suppressed_bytes").unum(s.suppressed);
      j.key("lost_output_bytes").unum(s.lost_out);
      j.key("lost_input_bytes").unum(s.lost_in);
      j.key("completeness_pct").dbl(completeness(s.out_bytes, s.lost_out));
      j.key("frames").unum(r.status().frames);
      j.key("keyframes").unum(s.by_kind[static_cast<size_t>(EventKind::keyframe)]);
      j.key("file_bytes").unum(v.file_bytes);
      j.key("complete").boolean(r.status().complete);
      j.key("torn_tail").boolean(r.status().torn_tail);
      j.key("zero_tail").boolean(r.status().zero_tail);
      j.key("fault");
      if (s.fault) j.str(s.fault->what()); else j.null();
      j.key("segments").begin_array();
      for (const auto& p : segs) j.str(p.string());
      j.end_array();
      j.key("seal").begin_object();
      j.key("verdict").str(verdict_name(v.verdict)).key("summary").str(v.summary);
      j.key("seals").unum(v.seals).key("signed_seals").unum(v.signed_seals);
      j.end_object();
      j.key("warnings").begin_array();
      for (const auto& w : r.status().warnings) j.str(w);
      j.end_array();
      j.end_object();
      continue;
    }
    std::printf("%s\n", name.c_str());
    std::printf("  %-13s %s  (segment %u, file %s)\n", "session", hex(info.session_id).c_str(),
                info.segment, hex(info.file_id).c_str());
    std::printf("  %-13s %s  (host id %s, boot %s)\n", "host",
                escape_for_terminal(info.host_name).c_str(), hex(info.host_id).c_str(),
                hex(info.boot_id).c_str());
    std::printf("  %-13s %s\n", "started", format_wall_time(info.start_wall_ns, info.utc_offset_s).c_str());
    std::printf("  %-13s %s\n", "duration", format_offset(r.duration()).c_str());
    std::printf("  %-13s /dev/pts/%u (devpts 0x%llx)\n", "pty", info.pty_index,
                static_cast<unsigned long long>(info.pty_dev));
    std::printf("  %-13s %s\n", "recorder", escape_for_terminal(info.recorder).c_str());
    if (!info.term.empty()) std::printf("  %-13s %s\n", "term", escape_for_terminal(info.term).c_str());
    if (info.imported || info.joined_late)
      std::printf("  %-13s %s%s\n", "flags", info.imported ? "imported " : "",
                  info.joined_late ? "joined-late" : "");
    if (info.previous)
      std::printf("  %-13s file %s, sealed head %s at record %llu\n", "previous",
                  hex(info.previous->previous_file_id).c_str(),
                  hex(info.previous->last_sealed_head.data(), 8).c_str(),
                  static_cast<unsigned long long>(info.previous->last_sealed_seq));
    if (s.opener)
      std::printf("  %-13s %s  at %s\n", "opener", describe(s.opener->event).c_str(),
                  format_offset(s.opener->time).c_str());
    print_list("writers", s.writers, s.writers_total, o.events);
    print_list("uid changes", s.uid_changes, s.uid_changes_total, o.events);
    print_list("resizes", s.resizes, s.resizes_total, o.events);
    print_list("markers", s.markers, s.markers_total, o.events);
    print_list("execs", s.execs, s.execs_total, o.events);
    print_list("gaps", s.gaps, s.gaps_total, o.events);
    std::string kinds;
    for (size_t k = 1; k < s.by_kind.size(); ++k)
      if (s.by_kind[k])
        kinds += (kinds.empty() ? "" : ", ") + std::string(kind_name(static_cast<EventKind>(k))) +
                 " " + std::to_string(s.by_kind[k]);
    std::printf("  %-13s %llu (%s)\n", "events", static_cast<unsigned long long>(s.events),
                kinds.c_str());
    std::printf("  %-13s output %llu, input %llu, input suppressed %llu\n", "bytes",
                static_cast<unsigned long long>(s.out_bytes),
                static_cast<unsigned long long>(s.in_bytes),
                static_cast<unsigned long long>(s.suppressed));
    std::printf("  %-13s %.3f%% of output (%llu bytes lost), %.3f%% of input (%llu lost)\n",
                "completeness", completeness(s.out_bytes, s.lost_out),
                static_cast<unsigned long long>(s.lost_out), completeness(s.in_bytes, s.lost_in),
                static_cast<unsigned long long>(s.lost_in));
    std::printf("  %-13s %llu zstd frames, %llu keyframes, %llu bytes on disk\n", "storage",
                static_cast<unsigned long long>(r.status().frames),
                static_cast<unsigned long long>(s.by_kind[static_cast<size_t>(EventKind::keyframe)]),
                static_cast<unsigned long long>(v.file_bytes));
    if (s.end)
      std::printf("  %-13s %s, exit status %d\n", "ended", std::string(end_reason_name(s.end->reason)).c_str(),
                  s.end->exit_status);
    else
      std::printf("  %-13s no end event: the recording was cut short or is still being written\n", "ended");
    if (segs.size() > 1) {
      std::printf("  %-13s %zu\n", "segments", segs.size());
      for (const auto& p : segs) std::printf("    %s\n", escape_for_terminal(p.string()).c_str());
    }
    std::printf("  %-13s %s: %s\n", "seals", std::string(verdict_name(v.verdict)).c_str(),
                escape_for_terminal(v.summary).c_str());
    for (const auto& w : r.status().warnings)
      log::warning(escape_for_terminal(file + ": " + w));
  }
  if (o.json) {
    if (o.files.size() > 1) j.end_array();
    std::printf("%s\n", j.text().c_str());
  }
  return rc;
}

}  // namespace tap::format::tools
