// Matcher: finds the patterns of a tapgrep search inside one line of a text buffer.
//
// The engine is RE2 (linear time, no backtracking: a recording is untrusted input and a pattern
// must not be able to make a search take exponential time). A batch of lines is searched in
// one call, so the per-line cost is paid only where something matches; a single fixed string
// without -i uses LiteralSearch, which runs at memory speed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tap/grep/literal_search.hpp"
#include "tap/support/result.hpp"

namespace re2 {
class RE2;
}

namespace tap::grep {

struct MatchOptions {
  std::vector<std::string> patterns;  // -e (several) or PATTERN; a '\n' separates patterns
  bool fixed = false;                 // -F: patterns are literal strings
  bool ignore_case = false;           // -i
};

class Matcher {
 public:
  static Result<Matcher> create(const MatchOptions& options);
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;
  ~Matcher();

  // Offset of the first match in text[from, to) that lies inside one '\n'-separated line, or
  // std::string_view::npos. Lines are never joined: a match cannot contain '\n'.
  size_t find(std::string_view text, size_t from, size_t to) const;
  // True when `line` (no '\n' inside) contains a match.
  bool matches(std::string_view line) const;
  // The search is one non-empty fixed string (-F, one pattern, no -i): its LiteralSearch, which
  // callers may run on text that is not split into lines yet. Else nullptr.
  const LiteralSearch* literal() const { return use_literal_ && !match_empty_ ? &literal_ : nullptr; }

 private:
  Matcher() = default;
  LiteralSearch literal_;           // set when a fixed string search does it
  bool use_literal_ = false;
  bool match_empty_ = false;        // a pattern that matches the empty string: every line
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace tap::grep
