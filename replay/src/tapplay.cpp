#include "tap/replay/tapplay.hpp"

#include <signal.h>
#include <unistd.h>

#include <cmath>

#include "tap/replay/player.hpp"
#include "tap/replay/recording.hpp"
#include "tap/replay/render.hpp"
#include "tap/replay/replay_index.hpp"
#include "tap/replay/seek.hpp"
#include "tap/support/log.hpp"
#include "tap/support/text.hpp"
#include "tap/support/time_spec.hpp"

namespace tap::replay {
namespace {


std::string display_name(const std::string& path) {
  return path == "-" ? std::string("<stdin>") : escape_for_terminal(path);
}

// Torn or zeroed tails and faults found on open are reported once, before anything plays.
void report_status(const std::string& name, const format::ReadStatus& status) {
  for (const std::string& w : status.warnings) log::warning(name, ": ", escape_for_terminal(w));
  if ((status.torn_tail || status.zero_tail) && status.warnings.empty()) {
    log::warning(name, ": the recording ends in a ", status.torn_tail ? "torn" : "zeroed",
                 " record: playing up to the last intact record");
  }
}

Result<int> render_at(Recording& rec, const std::string& name, const std::string& when,
                      RenderFormat format) {
  TAP_TRY(TimeSpec spec, parse_time_spec(when));
  format::SessionReader& reader = rec.reader();
  const format::SessionInfo& info = reader.info();
  auto resolved = resolve_time_spec(spec, info.start_wall_ns, info.utc_offset_s, reader.duration());
  if (!resolved.ok()) return fail(std::move(resolved).error().context(name));
  const format::Nanos t = *resolved;

  // The index is needed for who was writing (JSON) and for keyframes the file lacks.
  bool need_keyframes = false;
  if (rec.size() >= ReplayIndex::kCacheMinBytes) {
    // A keyframe at or before t settles it cheaply (screen_at finds the same one again);
    // without one, the recording may have none at all.
    TAP_TRY(auto kf, reader.seek_keyframe(t));
    if (!kf) {
      TAP_TRY(auto last, reader.seek_keyframe(reader.duration()));
      need_keyframes = !last.has_value();
    }
  }
  std::optional<ReplayIndex> index;
  if (need_keyframes || format == RenderFormat::json) {
    if (rec.in_memory()) {
      TAP_TRY(ReplayIndex built, ReplayIndex::build(reader, {need_keyframes}));
      index.emplace(std::move(built));
    } else {
      TAP_TRY(ReplayIndex loaded, ReplayIndex::load_or_build(rec.path(), reader, need_keyframes));
      index.emplace(std::move(loaded));
    }
  }
  TAP_TRY(Position pos, screen_at(reader, index ? &*index : nullptr, t));

  RenderContext ctx;
  ctx.time_ns = t;
  ctx.wall_ns = info.start_wall_ns + t;
  ctx.utc_offset_s = info.utc_offset_s;
  ctx.source = rec.path() == "-" ? std::string("stdin")
                                 : std::filesystem::path(rec.path()).filename().string();
  if (index) {
    ctx.writer = pos.writer ? pos.writer : index->writer_at(t);
    ctx.opener = index->opener();
  }
  TAP_CHECK(write_all(STDOUT_FILENO, render(pos.terminal, format, ctx)));
  if (pos.fault) {
    if (pos.fault->kind() == ErrorKind::truncated) {
      log::warning(name, ": ", pos.fault->what(), ": rendered up to the last intact record");
      return 0;
    }
    log::error(name, ": ", pos.fault->what(), ": rendered up to the last intact record");
    return 1;
  }
  return 0;
}

}  // namespace

Result<int> run_tapplay(const TapplayOptions& options) {
  RecordingArg arg = split_recording_arg(options.file);
  if (arg.time && options.at) {
    return fail(ErrorKind::invalid_argument, "give the time either as FILE@T or as --at, not both");
  }
  std::optional<std::string> at = options.at ? options.at : arg.time;
  if (options.format && !at) {
    return fail(ErrorKind::invalid_argument, "--format needs --at T (or FILE@T)");
  }
  RenderFormat format = RenderFormat::text;
  if (options.format) {
    TAP_TRY(format, parse_render_format(*options.format));
  }
  if (!(options.speed >= 0) || !std::isfinite(options.speed)) {
    return fail(ErrorKind::invalid_argument, "--speed must be a number >= 0");
  }
  if (options.idle_limit && (!(*options.idle_limit > 0) || !std::isfinite(*options.idle_limit))) {
    return fail(ErrorKind::invalid_argument, "--idle-limit must be a number of seconds > 0");
  }
  if (options.follow && at) {
    return fail(ErrorKind::invalid_argument, "--follow plays; it does not go with --at");
  }
  if (options.follow && arg.path == "-") {
    return fail(ErrorKind::invalid_argument, "--follow needs a file, not standard input");
  }

  const std::string name = display_name(arg.path);
  auto opened = Recording::open(arg.path);
  if (!opened.ok()) {
    Error e = std::move(opened).error();
    if (e.kind() == ErrorKind::invalid_argument) e = Error(ErrorKind::io, e.what());
    return fail(std::move(e));  // the readers name the file in their open errors
  }
  Recording rec = std::move(opened).value();
  report_status(name, rec.reader().status());
  if (options.follow && rec.in_memory()) {
    return fail(ErrorKind::invalid_argument, "--follow needs a .tap file being written");
  }
  // A damaged import played up to the fault: the fault decides the exit code at the end.
  auto import_verdict = [&](int code) {
    if (!rec.import_fault() || code != 0) return code;
    // The decoder's message already names the file and the line.
    log::error(rec.import_fault()->what(), ": played up to the damage");
    return 1;
  };

  if (at) {
    TAP_TRY(int code, render_at(rec, name, *at, format));
    return import_verdict(code);
  }

  // A reader that went away must not kill us before the terminal is restored.
  ::signal(SIGPIPE, SIG_IGN);
  PlayOptions play_options;
  play_options.speed = options.speed;
  play_options.follow = options.follow;
  if (options.idle_limit) {
    play_options.idle_limit = static_cast<format::Nanos>(std::llround(*options.idle_limit * 1e9));
  }
  TAP_TRY(PlayResult result, play(rec, play_options, STDOUT_FILENO));
  for (const std::string& w : result.warnings) log::warning(w);
  if (result.signal != 0) return 128 + result.signal;
  if (!result.fault) return import_verdict(0);
  if (result.fault) {
    // A recording cut short is normal after a crash: a warning. Corruption is a failure.
    if (result.fault->kind() == ErrorKind::truncated) {
      log::warning(name, ": ", result.fault->what(), ": played up to the last intact record");
      return 0;
    }
    log::error(name, ": ", result.fault->what(), ": played up to the last intact record");
    return 1;
  }
  return 0;
}

}  // namespace tap::replay
