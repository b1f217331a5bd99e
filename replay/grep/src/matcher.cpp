#include "tap/grep/matcher.hpp"

#include <re2/re2.h>

#include <cstring>

namespace tap::grep {

namespace {

// grep treats a newline inside a pattern as a separator between patterns.
std::vector<std::string> split_patterns(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& p : in) {
    size_t start = 0;
    while (true) {
      size_t nl = p.find('\n', start);
      out.push_back(p.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return out;
}

}  // namespace

Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;
Matcher::~Matcher() = default;

Result<Matcher> Matcher::create(const MatchOptions& options) {
  std::vector<std::string> patterns = split_patterns(options.patterns);
  if (patterns.empty()) return fail(ErrorKind::invalid_argument, "no pattern given");
  Matcher m;
  if (options.fixed) {
    for (const auto& p : patterns) {
      if (p.empty()) m.match_empty_ = true;
    }
  }
  if (options.fixed && !options.ignore_case && patterns.size() == 1) {
    m.literal_ = LiteralSearch(patterns[0]);
    m.use_literal_ = true;
    return m;
  }
  std::string expr = "(?m)";
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (i > 0) expr += '|';
    expr += "(?:";
    expr += options.fixed ? RE2::QuoteMeta(patterns[i]) : patterns[i];
    expr += ')';
  }
  RE2::Options ro;
  ro.set_log_errors(false);
  ro.set_case_sensitive(!options.ignore_case);
  ro.set_never_nl(true);       // a match never spans two lines
  ro.set_max_mem(64 << 20);    // RE2 falls back to slower engines past this, never fails a search
  auto re = std::make_unique<RE2>(expr, ro);
  if (!re->ok()) {
    return fail(ErrorKind::invalid_argument, "bad pattern: " + re->error());
  }
  m.match_empty_ = m.match_empty_ || RE2::FullMatch("", *re);
  m.re_ = std::move(re);
  return m;
}

size_t Matcher::find(std::string_view text, size_t from, size_t to) const {
  if (to > text.size()) to = text.size();
  if (from >= to) return std::string_view::npos;
  if (match_empty_) return from;
  if (use_literal_) {
    // The literal holds no '\n' (split_patterns), so a hit never spans lines.
    const size_t hit = literal_.find(text.substr(from, to - from));
    return hit == std::string_view::npos ? hit : from + hit;
  }
  re2::StringPiece sub;
  re2::StringPiece whole(text.data(), to);
  if (!re_->Match(whole, from, to, RE2::UNANCHORED, &sub, 1)) return std::string_view::npos;
  return static_cast<size_t>(sub.data() - text.data());
}

bool Matcher::matches(std::string_view line) const {
  return find(line, 0, line.size()) != std::string_view::npos || (match_empty_ && line.empty());
}

}  // namespace tap::grep
