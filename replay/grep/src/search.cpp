#include "tap/grep/search.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "tap/grep/file_walker.hpp"
#include "tap/term/rendered_lines.hpp"
#include "tap/support/text.hpp"
#include "tap/support/time_spec.hpp"

namespace tap::grep {

namespace {

using format::Nanos;
using term::LineConsumer;
using term::RenderedLines;

// Lines are searched in batches of this many bytes: one RE2 or memmem call per batch, on
// text that is still in the cache it was just copied into.
constexpr size_t kBatchBytes = 256 << 10;
// A raw or input "line" with no '\n' for this long is cut, so memory stays bounded.
constexpr size_t kMaxLineBytes = 1 << 20;
// While --user waits for the opener event, a batch may grow to this before it is searched.
constexpr size_t kMaxWaitBytes = 64 << 20;
// Output a file's search has produced is handed on in pieces of about this size.
constexpr size_t kOutChunk = 64 << 10;

std::string hex(const format::Id128& id) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : id) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::string uid_name(uint32_t uid) { return uid == 0 ? "root" : std::to_string(uid); }

// format_offset cuts to the millisecond; rounding up makes FILE@T land after the event that
// produced the text, so `tapplay FILE@T` shows it.
Nanos ceil_ms(Nanos t) { return (t + 999'999) / 1'000'000 * 1'000'000; }

void json_field(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":\"";
  append_json_string_body(out, value);
  out += "\",";
}

std::string& scratch_text() {
  thread_local std::string text;
  return text;
}

struct WriterSpan {
  Nanos time;
  uint32_t uid;
  uint32_t euid;
};

class FileSearch final : public LineConsumer {
 public:
  FileSearch(const std::string& name, const GrepOptions& options, const Matcher& matcher,
             const format::SessionInfo& info, const std::function<void(std::string_view)>& write)
      : name_(name), opt_(options), matcher_(matcher), info_(info), write_(write) {
    // The batch buffer is reused across the files a thread searches: a fresh one per file
    // costs a page fault per page, more than the copy into it.
    text_.swap(scratch_text());
    text_.clear();
    text_.reserve(kBatchBytes + (64 << 10));
  }
  ~FileSearch() override {
    if (text_.capacity() <= 2 * kMaxLineBytes) {
      text_.clear();
      text_.swap(scratch_text());
    }
  }
  FileSearch(const FileSearch&) = delete;
  FileSearch& operator=(const FileSearch&) = delete;

  // LineConsumer: one rendered line.
  void line(std::string_view text, Nanos time) override {
    entries_.push_back({text_.size(), time});
    text_.append(text);
    text_.push_back('\n');
    maybe_flush();
  }

  // Raw output or input bytes: lines are split on '\n' (and '\r' for keystrokes).
  void bytes(std::string_view data, Nanos time) {
    if (fast_ != nullptr && tail_clean_ && !(opt_.user && !opener_)) {
      if (skip_clean(data, time)) return;
      // A hit in this read: search it now, with the line it continues.
      entries_.push_back({text_.size(), time});
      text_.append(data);
      flush(false);
      return;
    }
    tail_clean_ = false;
    entries_.push_back({text_.size(), time});
    if (opt_.mode == Mode::input) {
      const size_t at = text_.size();
      text_.append(data);
      std::replace(text_.begin() + static_cast<std::ptrdiff_t>(at), text_.end(), '\r', '\n');
    } else {
      text_.append(data);
    }
    maybe_flush();
  }

  // The raw search for one fixed string without context: reads that hold no hit are not copied
  // into the batch, only the end of their last line is kept (it may still become a hit).
  void enable_fast_raw() {
    if (opt_.mode == Mode::raw && opt_.context == 0) fast_ = matcher_.literal();
  }

  void set_opener(const format::Opener& opener) { opener_ = opener; }
  bool opener_known() const { return opener_.has_value(); }
  bool opener_matches(const std::string& who) const {
    return opener_ && (opener_->user == who || std::to_string(opener_->uid) == who);
  }
  void add_writer(Nanos time, const format::WriterChange& w) { writers_.push_back({time, w.uid, w.euid}); }

  void finish() {
    flush(true);
    if (opt_.count && !opt_.files_with_matches) {
      if (opt_.json) {
        out_ += "{";
        json_field(out_, "file", name_);
        out_ += "\"count\":" + std::to_string(hits_) + "}\n";
      } else {
        out_ += escape_for_terminal(name_) + ":" + std::to_string(hits_) + "\n";
      }
    }
    if (!out_.empty()) write_(out_);
    out_.clear();
  }

  bool stopped() const { return stop_; }
  uint64_t hits() const { return hits_; }

 private:
  struct Entry {
    size_t offset;  // in text_
    Nanos time;
  };

  // With tail_clean_ (text_ is the start of a line, searched, without a hit): true when `data`
  // adds no hit, having kept only what the next read may still complete.
  bool skip_clean(std::string_view data, Nanos time) {
    if (fast_->find(data) != std::string_view::npos) return false;
    const size_t m = fast_->needle().size();
    if (!text_.empty() && m > 1) {
      // A hit that begins in the kept line and ends in this read.
      const size_t a = std::min(m - 1, text_.size()), b = std::min(m - 1, data.size());
      seam_.assign(text_, text_.size() - a, a);
      seam_.append(data.data(), b);
      if (fast_->find(seam_) != std::string_view::npos) return false;
    }
    const void* nl = memrchr(data.data(), '\n', data.size());
    if (nl != nullptr) {
      // Every line that ends in this read is complete without a hit: keep the rest only.
      const size_t cut = static_cast<size_t>(static_cast<const char*>(nl) - data.data()) + 1;
      base_ += text_.size() + cut;
      text_.assign(data.data() + cut, data.size() - cut);
      entries_.clear();
      if (!text_.empty()) entries_.push_back({0, time});
      return true;
    }
    entries_.push_back({text_.size(), time});
    text_.append(data);
    if (text_.size() >= kMaxLineBytes) {  // the line is cut here (see kMaxLineBytes)
      base_ += text_.size();
      text_.clear();
      entries_.clear();
    }
    return true;
  }

  void maybe_flush() {
    const size_t pending = text_.size() - searchable_;
    if (pending < kBatchBytes) return;
    // --user needs the opener to decide on hits; it comes early, so wait for it a little.
    if (opt_.user && !opener_ && pending < kMaxWaitBytes) return;
    flush(false);
  }

  void flush(bool final) {
    size_t limit = text_.size();
    if (!final) {
      const void* nl = memrchr(text_.data() + searchable_, '\n', text_.size() - searchable_);
      if (nl != nullptr) {
        limit = static_cast<const char*>(nl) - text_.data() + 1;
      } else if (text_.size() - searchable_ < kMaxLineBytes) {
        update_clean();
        return;  // one long line still growing
      }
    }
    size_t pos = searchable_;
    while (pos < limit && !stop_) {
      const size_t m = matcher_.find(text_, pos, limit);
      if (m == std::string_view::npos) break;
      const size_t ls = line_start(m);
      const size_t le = line_end(m, limit);
      on_match(ls, le);
      pos = le + 1;
    }
    if (!stop_) after_context(limit);
    if (out_.size() >= kOutChunk || final) {
      if (!out_.empty()) write_(out_);
      out_.clear();
    }
    if (final) {
      text_.clear();
      entries_.clear();
      searchable_ = 0;
      return;
    }
    // Keep the lines before-context may still need, and the unfinished tail.
    size_t keep = limit;
    for (int i = 0; i < opt_.context && keep > 0; ++i) keep = line_start(keep - 1);
    trim(keep);
    searchable_ = limit - keep;
    update_clean();
  }

  // Whether reads may skip the batch again: text_ is one unfinished line without a hit.
  void update_clean() {
    tail_clean_ = fast_ != nullptr && searchable_ == 0 && std::memchr(text_.data(), '\n', text_.size()) == nullptr &&
                  fast_->find(text_) == std::string_view::npos;
  }

  void trim(size_t keep) {
    if (keep == 0) return;
    text_.erase(0, keep);
    base_ += keep;
    auto it = std::upper_bound(entries_.begin(), entries_.end(), keep,
                               [](size_t v, const Entry& e) { return v < e.offset; });
    if (it != entries_.begin()) --it;  // the entry covering `keep` stays
    entries_.erase(entries_.begin(), it);
    for (Entry& e : entries_) e.offset = e.offset > keep ? e.offset - keep : 0;
  }

  size_t line_start(size_t pos) const {
    if (pos == 0) return 0;
    const void* nl = memrchr(text_.data(), '\n', pos);
    return nl == nullptr ? 0 : static_cast<const char*>(nl) - text_.data() + 1;
  }
  size_t line_end(size_t pos, size_t limit) const {
    const void* nl = std::memchr(text_.data() + pos, '\n', limit - pos);
    return nl == nullptr ? limit : static_cast<const char*>(nl) - text_.data();
  }

  // The time of a line: when its last byte arrived (raw, input), when its text last changed
  // (rendered: one entry per line).
  Nanos time_of(size_t ls, size_t le) const {
    const size_t at = le > ls ? le - 1 : ls;
    auto it = std::upper_bound(entries_.begin(), entries_.end(), at,
                               [](size_t v, const Entry& e) { return v < e.offset; });
    if (it == entries_.begin()) return entries_.empty() ? 0 : entries_.front().time;
    return std::prev(it)->time;
  }

  const WriterSpan* writer_at(Nanos t) const {
    auto it = std::upper_bound(writers_.begin(), writers_.end(), t,
                               [](Nanos v, const WriterSpan& w) { return v < w.time; });
    return it == writers_.begin() ? nullptr : &*std::prev(it);
  }

  bool passes(Nanos t) const {
    const int64_t wall = info_.start_wall_ns + t;
    if (opt_.since_ns && wall < *opt_.since_ns) return false;
    if (opt_.until_ns && wall > *opt_.until_ns) return false;
    if (opt_.user && !opener_matches(*opt_.user)) return false;
    if (opt_.as_uid) {
      const WriterSpan* w = writer_at(t);
      if (w != nullptr) return w->uid == *opt_.as_uid || w->euid == *opt_.as_uid;
      return opener_ && opener_->uid == *opt_.as_uid;
    }
    return true;
  }

  void on_match(size_t ls, size_t le) {
    const Nanos t = time_of(ls, le);
    if (!passes(t)) return;
    ++hits_;
    if (opt_.files_with_matches) {
      if (opt_.json) {
        out_ += "{";
        json_field(out_, "file", name_);
        out_.back() = '}';
        out_ += '\n';
      } else {
        out_ += escape_for_terminal(name_) + "\n";
      }
      stop_ = true;
      return;
    }
    if (opt_.count) return;
    after_context(ls);
    // Before-context: up to N lines, not reaching back into what was printed already.
    size_t start = ls;
    const size_t floor = printed_upto_ > base_ ? printed_upto_ - base_ : 0;
    for (int i = 0; i < opt_.context && start > floor; ++i) start = std::max(line_start(start - 1), floor);
    if (opt_.context > 0 && printed_any_ && base_ + start != printed_upto_ && !opt_.json) out_ += "--\n";
    while (start < ls) {
      const size_t e = line_end(start, ls);
      print(start, e, false);
      start = e + 1;
    }
    print(ls, le, true);
    after_left_ = opt_.context;
  }

  void after_context(size_t upto) {
    while (after_left_ > 0 && printed_upto_ >= base_) {
      const size_t cur = printed_upto_ - base_;
      if (cur >= upto) break;
      const void* nl = std::memchr(text_.data() + cur, '\n', upto - cur);
      if (nl == nullptr) break;
      print(cur, static_cast<const char*>(nl) - text_.data(), false);
      --after_left_;
    }
  }

  void print(size_t ls, size_t le, bool match) {
    printed_upto_ = base_ + le + 1;
    printed_any_ = true;
    std::string_view line(text_.data() + ls, le - ls);
    if (opt_.mode != Mode::rendered && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    const Nanos t = time_of(ls, le);
    const WriterSpan* w = writer_at(t);
    if (opt_.json) {
      out_ += '{';
      json_field(out_, "file", name_);
      json_field(out_, "session_id", hex(info_.session_id));
      json_field(out_, "host", info_.host_name);
      json_field(out_, "offset", format_offset(ceil_ms(t)));
      out_ += "\"offset_ns\":" + std::to_string(t) + ",";
      json_field(out_, "wall_time", format_wall_time(info_.start_wall_ns + t, info_.utc_offset_s));
      if (opener_) {
        json_field(out_, "opener", opener_->user);
        out_ += "\"opener_uid\":" + std::to_string(opener_->uid) + ",";
      } else {
        out_ += "\"opener\":null,\"opener_uid\":null,";
      }
      if (w != nullptr) {
        out_ += "\"writer_uid\":" + std::to_string(w->uid) + ",\"writer_euid\":" + std::to_string(w->euid) + ",";
      } else {
        out_ += "\"writer_uid\":null,\"writer_euid\":null,";
      }
      out_ += match ? "\"context\":false," : "\"context\":true,";
      json_field(out_, "line", line);
      out_.back() = '}';
      out_ += '\n';
      return;
    }
    out_ += escape_for_terminal(name_);
    out_ += '@';
    out_ += format_offset(ceil_ms(t));
    out_ += "  ";
    out_ += who(w);
    out_ += match ? "  " : "- ";
    out_ += escape_for_terminal(line, /*keep_tab=*/true);
    out_ += '\n';
  }

  std::string who(const WriterSpan* w) const {
    std::string s;
    if (opener_) {
      s = opener_->user.empty() ? std::to_string(opener_->uid) : escape_for_terminal(opener_->user);
    } else {
      s = "?";
    }
    if (w != nullptr && (!opener_ || w->euid != opener_->uid)) {
      s += "\u2192";
      s += uid_name(w->euid);
    }
    return s;
  }

  const std::string& name_;
  const GrepOptions& opt_;
  const Matcher& matcher_;
  const format::SessionInfo& info_;
  const std::function<void(std::string_view)>& write_;

  std::string text_;
  std::string seam_;                    // the few bytes around a read's start (fast raw search)
  const LiteralSearch* fast_ = nullptr;  // set for the fast raw search
  bool tail_clean_ = true;               // see update_clean()
  std::vector<Entry> entries_;
  size_t searchable_ = 0;    // text_ before this was searched already (kept for context)
  uint64_t base_ = 0;        // stream offset of text_[0]
  uint64_t printed_upto_ = 0;
  bool printed_any_ = false;
  int after_left_ = 0;
  std::optional<format::Opener> opener_;
  std::vector<WriterSpan> writers_;
  uint64_t hits_ = 0;
  bool stop_ = false;
  std::string out_;
};

// Filters the header decides, before anything is decoded.
bool header_excludes(const EventSource& source, const GrepOptions& opt) {
  const format::SessionInfo& info = source.info();
  if (opt.host && info.host_name != *opt.host) return true;
  if (opt.tty && info.pty_index != *opt.tty) return true;
  if (opt.until_ns && info.start_wall_ns > *opt.until_ns) return true;
  if (opt.since_ns) {
    const std::optional<Nanos> d = source.duration();
    if (d && info.start_wall_ns + *d < *opt.since_ns) return true;
  }
  return false;
}

}  // namespace

FileOutcome search_source(EventSource& source, const std::string& name, const GrepOptions& opt,
                          const Matcher& matcher, const std::function<void(std::string_view)>& write) {
  FileOutcome outcome;
  if (header_excludes(source, opt)) {
    outcome.skipped = true;
    return outcome;
  }
  FileSearch search(name, opt, matcher, source.info(), write);
  search.enable_fast_raw();
  std::optional<RenderedLines> rendered;
  if (opt.mode == Mode::rendered) rendered.emplace(search);
  Nanos last = 0;
  while (!search.stopped()) {
    auto next = source.next();
    if (!next.ok()) {
      outcome.error = std::move(next).error();
      break;
    }
    const format::Event* e = next.value();
    if (e == nullptr) break;
    last = e->time;
    switch (e->kind()) {
      case format::EventKind::opener:
        search.set_opener(*e->get<format::Opener>());
        break;
      case format::EventKind::writer:
        search.add_writer(e->time, *e->get<format::WriterChange>());
        break;
      case format::EventKind::output:
        if (rendered) {
          rendered->output(e->time, e->get<format::Output>()->data);
        } else if (opt.mode == Mode::raw) {
          search.bytes(e->get<format::Output>()->data, e->time);
        }
        break;
      case format::EventKind::input:
        if (opt.mode == Mode::input) search.bytes(e->get<format::Input>()->data, e->time);
        break;
      default:
        if (rendered) rendered->apply(*e);
        break;
    }
    // The opener never changes: a session of someone else is done with once it is known.
    if (opt.user && search.opener_known() && !search.opener_matches(*opt.user)) break;
    // Raw bytes arrive in time order: nothing after --until can match.
    if (opt.mode != Mode::rendered && opt.until_ns && source.info().start_wall_ns + e->time > *opt.until_ns) {
      break;
    }
  }
  // What is on the screen at the end (or at a fault) was shown too: nothing is lost.
  if (rendered && !search.stopped()) rendered->finish(last);
  search.finish();
  outcome.hits = search.hits();
  if (!outcome.error) outcome.warnings = source.warnings();
  return outcome;
}

FileOutcome search_file(const std::string& path, const GrepOptions& options, const Matcher& matcher,
                        const std::function<void(std::string_view)>& write) {
  auto source = open_event_source(path);
  if (!source.ok()) {
    FileOutcome outcome;
    outcome.error = std::move(source).error();
    return outcome;
  }
  return search_source(**source, path, options, matcher, write);
}

Result<GrepSummary> run_grep(const GrepOptions& options, const std::vector<std::string>& paths,
                             const GrepOutput& output) {
  TAP_TRY(Matcher matcher, Matcher::create(options.match));
  GrepSummary summary;
  WalkResult walk = walk_paths(paths);
  for (const Error& e : walk.errors) {
    output.err(true, escape_for_terminal(e.what()));
    ++summary.failures;
  }
  const size_t n = walk.files.size();
  summary.files = n;
  if (n == 0) return summary;

  // Workers search files in order; the calling thread prints each file's output in file order.
  // A worker whose output is not being printed yet stops when it holds kMaxBuffered bytes, so
  // memory stays bounded however many hits there are.
  constexpr size_t kMaxBuffered = 4 << 20;
  struct Slot {
    std::string buf;
    bool done = false;
    FileOutcome outcome;
  };
  std::vector<Slot> slots(n);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};

  unsigned jobs = options.jobs != 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<size_t>(jobs, n));

  auto worker = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= n) break;
      Slot& slot = slots[i];
      std::function<void(std::string_view)> write = [&](std::string_view s) {
        std::unique_lock lock(mu);
        slot.buf.append(s);
        cv.notify_all();
        cv.wait(lock, [&] { return slot.buf.size() < kMaxBuffered; });
      };
      FileOutcome outcome = search_file(walk.files[i].string(), options, matcher, write);
      std::lock_guard lock(mu);
      slot.outcome = std::move(outcome);
      slot.done = true;
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);

  for (size_t i = 0; i < n; ++i) {
    Slot& slot = slots[i];
    std::unique_lock lock(mu);
    while (true) {
      if (!slot.buf.empty()) {
        std::string chunk;
        chunk.swap(slot.buf);
        cv.notify_all();
        lock.unlock();
        output.out(chunk);
        lock.lock();
        continue;
      }
      if (slot.done) break;
      cv.wait(lock);
    }
    const FileOutcome& o = slot.outcome;
    lock.unlock();
    const std::string name = escape_for_terminal(walk.files[i].string());
    for (const std::string& w : o.warnings) output.err(false, name + ": " + escape_for_terminal(w));
    if (o.error) {
      // Readers usually name the file already; say it once.
      const std::string& what = o.error->what();
      const std::string& path = walk.files[i].string();
      const bool named = what.compare(0, path.size(), path) == 0;
      output.err(true, named ? escape_for_terminal(what) : name + ": " + escape_for_terminal(what));
      ++summary.failures;
    }
    summary.hits += o.hits;
    if (o.hits > 0) ++summary.files_matched;
    slot.outcome = FileOutcome{};
  }
  for (auto& t : threads) t.join();
  return summary;
}

int exit_code(const GrepSummary& summary) {
  if (summary.hits > 0) return 0;
  return summary.failures > 0 ? 2 : 1;
}

}  // namespace tap::grep
