#include "encoder_base.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "tap/support/fd.hpp"
#include "tap/support/text.hpp"

namespace tap::convert {

Result<void> FdSink::write(std::string_view bytes) { return write_all(fd_, bytes); }

std::string_view Utf8Joiner::take(std::string_view data) {
  std::string_view all = data;
  if (!pending_.empty()) {
    joined_.assign(pending_);
    joined_.append(data);
    all = joined_;
  }
  size_t k = utf8_complete_prefix(all);
  if (k == all.size()) {
    pending_.clear();
    return all;
  }
  // `all` may alias joined_; copy the tail out before it is overwritten.
  flushed_.assign(all.substr(k));
  pending_.swap(flushed_);
  return all.substr(0, k);
}

std::string_view Utf8Joiner::flush() {
  flushed_.swap(pending_);
  pending_.clear();
  return flushed_;
}

namespace {

// 0: copy; 1: escape; 2: start of a multi-byte sequence (validate).
constexpr auto kClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
  return t;
}();

constexpr char kHex[] = "0123456789abcdef";

// Length of a valid UTF-8 sequence at p (2..4), 0 if invalid or cut off.
inline size_t utf8_len(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  size_t n;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3;
  else if (c >= 0xF0 && c <= 0xF4) n = 4;
  else return 0;
  if (static_cast<size_t>(end - p) < n) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((p[k] & 0xC0) != 0x80) return 0;
  if (n == 3) {
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // surrogate
  } else if (n == 4) {
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // > U+10FFFF
  }
  return n;
}

}  // namespace

size_t append_json_escaped(std::string& out, std::string_view bytes) {
  size_t replaced = 0;
  auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  auto* end = p + bytes.size();
  // Worst case 6 output bytes per input byte; grow once, write through a raw pointer.
  size_t base = out.size();
  out.resize(base + bytes.size() * 6);
  char* w = out.data() + base;
  while (p < end) {
    // Eight plain ASCII bytes at a time (no control, quote, backslash or high bit): the
    // common case in terminal output between escape sequences.
    while (end - p >= 8) {
      uint64_t v;
      std::memcpy(&v, p, 8);
      constexpr uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
      uint64_t ctl = (v - k01 * 0x20) & ~v;                 // bytes < 0x20 (or high bit)
      uint64_t quote = v ^ (k01 * '"');
      uint64_t bslash = v ^ (k01 * '\\');
      uint64_t special = ctl | ((quote - k01) & ~quote) | ((bslash - k01) & ~bslash) | v;
      if ((special & k80) != 0) break;
      std::memcpy(w, p, 8);
      w += 8;
      p += 8;
    }
    if (p >= end) break;
    unsigned char c = *p;
    uint8_t cls = kClass[c];
    if (cls == 0) {
      *w++ = static_cast<char>(c);
      ++p;
      continue;
    }
    if (cls == 1) {
      *w++ = '\\';
      switch (c) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '\n': *w++ = 'n'; break;
        case '\r': *w++ = 'r'; break;
        case '\t': *w++ = 't'; break;
        case '\b': *w++ = 'b'; break;
        case '\f': *w++ = 'f'; break;
        default:
          *w++ = 'u'; *w++ = '0'; *w++ = '0';
          *w++ = kHex[c >> 4]; *w++ = kHex[c & 0xF];
      }
      ++p;
      continue;
    }
    size_t n = utf8_len(p, end);
    if (n == 0) {
      // U+FFFD: 3 bytes, within the 6 reserved for this input byte.
      *w++ = '\xEF'; *w++ = '\xBF'; *w++ = '\xBD';
      ++replaced;
      ++p;
      continue;
    }
    std::memcpy(w, p, n);
    w += n;
    p += n;
  }
  out.resize(static_cast<size_t>(w - out.data()));
  return replaced;
}

int exit_code_of(int32_t status) {
  if (status < 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

Result<std::unique_ptr<Encoder>> make_encoder(Format format, Sink& out, const EncoderOptions& options) {
  switch (format) {
    case Format::cast_v2: return make_cast_v2_encoder(out);
    case Format::cast_v3: return make_cast_v3_encoder(out);
    case Format::raw: return make_raw_encoder(out);
    case Format::strip: return make_strip_encoder(out);
    case Format::jsonl: return make_jsonl_encoder(out, options.keyframes);
    case Format::script:
    case Format::script_io:
      if (options.timing == nullptr)
        return fail(ErrorKind::invalid_argument, "script output needs a timing file");
      return make_script_encoder(out, *options.timing, format == Format::script_io);
    case Format::text: {
      auto e = make_text_encoder(out);
      if (!e) return fail(ErrorKind::unsupported, "text output needs the terminal model (tap::term)");
      return e;
    }
    case Format::tap:
    case Format::cast_v1:
      break;
  }
  return fail(ErrorKind::invalid_argument,
              "cannot write " + std::string(format_name(format)) + " with an encoder");
}

}  // namespace tap::convert
