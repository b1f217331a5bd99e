// Text helpers shared by the tools. A recording is untrusted input: anything from it that is
// printed to a terminal goes through escape_for_terminal first.
#pragma once

#include <string>
#include <string_view>

namespace tap {

// Makes untrusted bytes safe to print on a terminal: C0 controls, DEL, C1 controls (U+0080..
// U+009F) and invalid UTF-8 become visible escapes (\e, \r, \x07, \u009b, \xff); printable
// UTF-8 (including wide and combining characters) passes through. Tab is kept when keep_tab.
std::string escape_for_terminal(std::string_view bytes, bool keep_tab = false);

// Appends `bytes` to `out` as the body of a JSON string (RFC 8259): valid UTF-8 is kept,
// controls are \u-escaped, each invalid byte becomes U+FFFD. Returns the number of invalid
// bytes replaced.
size_t append_json_string_body(std::string& out, std::string_view bytes);

// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence which
// could still be completed by more input (used by streaming decoders to hold back a tail).
size_t utf8_complete_prefix(std::string_view bytes);

}  // namespace tap
