#include "tap/support/text.hpp"

#include <cstdint>

namespace tap {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 if the bytes there are not
// a complete, well-formed, shortest-form sequence (RFC 3629: no surrogates, ≤ U+10FFFF).
size_t utf8_seq_len(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) { *cp = c; return 1; }
  size_t n;
  uint32_t v;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return n;
}

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, const char* prefix, unsigned v) {
  out += prefix;
  out += kHex[(v >> 4) & 0xF];
  out += kHex[v & 0xF];
}

}  // namespace

std::string escape_for_terminal(std::string_view bytes, bool keep_tab) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    uint32_t cp = 0;
    size_t n = utf8_seq_len(bytes, i, &cp);
    if (n == 0) {
      append_hex_byte(out, "\\x", static_cast<unsigned char>(bytes[i]));
      ++i;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F) {
      switch (cp) {
        case '\t':
          if (keep_tab) out += '\t'; else out += "\\t";
          break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case 0x1B: out += "\\e"; break;
        default: append_hex_byte(out, "\\x", cp); break;
      }
    } else if (cp >= 0x80 && cp <= 0x9F) {
      append_hex_byte(out, "\\u00", cp);
    } else if (cp == '\\') {
      out += "\\\\";
    } else {
      out.append(bytes.data() + i, n);
    }
    i += n;
  }
  return out;
}

size_t append_json_string_body(std::string& out, std::string_view bytes) {
  size_t replaced = 0;
  for (size_t i = 0; i < bytes.size();) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      // Fast path for runs of plain ASCII.
      size_t j = i + 1;
      while (j < bytes.size()) {
        auto d = static_cast<unsigned char>(bytes[j]);
        if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
        ++j;
      }
      out.append(bytes.data() + i, j - i);
      i = j;
      continue;
    }
    uint32_t cp = 0;
    size_t n = utf8_seq_len(bytes, i, &cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++replaced;
      ++i;
      continue;
    }
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (cp < 0x20) {
          append_hex_byte(out, "\\u00", cp);
        } else {
          out.append(bytes.data() + i, n);
        }
    }
    i += n;
  }
  return replaced;
}

size_t utf8_complete_prefix(std::string_view bytes) {
  // Look back at most 3 bytes for a lead byte whose sequence is not yet complete.
  size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 1;
    if (need > back) {
      // Hold back only if the bytes so far are valid continuations of this lead.
      return n - back;
    }
    return n;
  }
  return n;
}

}  // namespace tap
