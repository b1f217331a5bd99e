#include "tap/format/event.hpp"

namespace tap::format {

std::string_view kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::output: return "output";
    case EventKind::input: return "input";
    case EventKind::input_suppressed: return "input-suppressed";
    case EventKind::resize: return "resize";
    case EventKind::opener: return "opener";
    case EventKind::writer: return "writer";
    case EventKind::exec: return "exec";
    case EventKind::marker: return "marker";
    case EventKind::gap: return "gap";
    case EventKind::keyframe: return "keyframe";
    case EventKind::end: return "end";
  }
  return "unknown";
}

std::string_view stream_name(Stream stream) {
  return stream == Stream::output ? "output" : stream == Stream::input ? "input" : "unknown";
}

std::string_view gap_reason_name(Gap::Reason reason) {
  switch (reason) {
    case Gap::Reason::unknown: return "unknown";
    case Gap::Reason::ring_overflow: return "ring-overflow";
    case Gap::Reason::recorder_down: return "recorder-down";
    case Gap::Reason::joined_late: return "joined-late";
    case Gap::Reason::source_damaged: return "source-damaged";
  }
  return "unknown";
}

std::string_view end_reason_name(SessionEnd::Reason reason) {
  switch (reason) {
    case SessionEnd::Reason::unknown: return "unknown";
    case SessionEnd::Reason::closed: return "closed";
    case SessionEnd::Reason::hangup: return "hangup";
    case SessionEnd::Reason::recorder_stopped: return "recorder-stopped";
    case SessionEnd::Reason::source_ended: return "source-ended";
  }
  return "unknown";
}

std::string_view marker_kind_name(Marker::Kind kind) {
  switch (kind) {
    case Marker::Kind::note: return "note";
    case Marker::Kind::prompt: return "prompt";
    case Marker::Kind::joined_late: return "joined-late";
    case Marker::Kind::keyframes_suspended: return "keyframes-suspended";
    case Marker::Kind::keyframes_resumed: return "keyframes-resumed";
    case Marker::Kind::title: return "title";
  }
  return "unknown";
}

std::string_view opener_source_name(Opener::Source source) {
  switch (source) {
    case Opener::Source::loginuid: return "loginuid";
    case Opener::Source::leader_exec: return "leader-exec";
    case Opener::Source::master_open: return "master-open";
    case Opener::Source::imported: return "imported";
  }
  return "unknown";
}

}  // namespace tap::format
