#include "json_time.hpp"

#include <cmath>
#include <cstdlib>

namespace tap::convert {

bool parse_seconds(std::string_view text, int64_t* ns) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r'))
    text.remove_suffix(1);
  size_t i = 0;
  bool neg = false;
  if (i < text.size() && text[i] == '-') { neg = true; ++i; }
  int64_t whole = 0;
  size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (whole > 9'000'000'000LL) return false;
    whole = whole * 10 + (text[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0) return false;
  int64_t frac = 0;
  int frac_digits = 0;
  int round_digit = -1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (frac_digits < 9) {
        frac = frac * 10 + (text[i] - '0');
        ++frac_digits;
      } else if (round_digit < 0) {
        round_digit = text[i] - '0';
      }
      ++i;
    }
    if (i == start) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    // Exponent forms are rare (other tools' writers): go through double.
    std::string copy(text);
    char* end = nullptr;
    double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(v) || std::fabs(v) > 9.2e9) return false;
    *ns = std::llround(v * 1e9);
    return true;
  }
  if (i != text.size()) return false;
  if (whole > 9'200'000'000LL) return false;
  while (frac_digits < 9) { frac *= 10; ++frac_digits; }
  int64_t v = whole * 1'000'000'000LL + frac + (round_digit >= 5 ? 1 : 0);
  *ns = neg ? -v : v;
  return true;
}

int64_t round_to_us(int64_t ns) {
  return ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000);
}

void append_micros(std::string& out, int64_t us) {
  char buf[32];
  char* p = buf + sizeof buf;
  bool neg = us < 0;
  uint64_t v = neg ? static_cast<uint64_t>(-us) : static_cast<uint64_t>(us);
  for (int k = 0; k < 6; ++k) { *--p = static_cast<char>('0' + v % 10); v /= 10; }
  *--p = '.';
  do { *--p = static_cast<char>('0' + v % 10); v /= 10; } while (v != 0);
  if (neg) *--p = '-';
  out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

void append_seconds_us(std::string& out, int64_t ns) { append_micros(out, round_to_us(ns)); }

}  // namespace tap::convert
