// Shared parts of the encoders: an output buffer flushed in large writes, UTF-8 hold-back for
// targets whose strings must be valid UTF-8, and the factories make_encoder picks from.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tap/convert/encoder.hpp"

namespace tap::convert {

class BufferedEncoder : public Encoder {
 public:
  explicit BufferedEncoder(Sink& out) : out_(out) { buf_.reserve(kFlushAt + 4096); }

 protected:
  // Called after each event: one large write instead of many small ones.
  Result<void> maybe_flush() {
    if (buf_.size() < kFlushAt) return {};
    return flush();
  }
  Result<void> flush() {
    if (buf_.empty()) return {};
    auto r = out_.write(buf_);
    buf_.clear();
    return r;
  }
  static constexpr size_t kFlushAt = 256 * 1024;
  Sink& out_;
  std::string buf_;
};

// Joins a byte stream cut into events so no UTF-8 sequence is split across two strings: an
// incomplete sequence at the end of an event is held back and put before the next one.
class Utf8Joiner {
 public:
  // The part of pending + data that ends on a sequence boundary; the rest is kept. The view
  // is valid until the next call.
  std::string_view take(std::string_view data);
  // What is still held back (an incomplete sequence at the end of the stream).
  std::string_view flush();
  bool empty() const { return pending_.empty(); }

 private:
  std::string pending_;
  std::string joined_;
  std::string flushed_;
};

// Escapes bytes as a JSON string body: valid UTF-8 kept, controls \u-escaped, invalid bytes
// become U+FFFD. Returns the count of replaced bytes. Faster than the generic helper on
// terminal output, which is dense in ESC bytes.
size_t append_json_escaped(std::string& out, std::string_view bytes);

// "wait status" → the exit code a shell would report (128 + signal for a killed leader).
int exit_code_of(int32_t wait_status);

std::unique_ptr<Encoder> make_cast_v2_encoder(Sink& out);
std::unique_ptr<Encoder> make_cast_v3_encoder(Sink& out);
std::unique_ptr<Encoder> make_raw_encoder(Sink& out);
std::unique_ptr<Encoder> make_strip_encoder(Sink& out);
std::unique_ptr<Encoder> make_script_encoder(Sink& typescript, Sink& timing, bool log_io);
std::unique_ptr<Encoder> make_jsonl_encoder(Sink& out, bool keyframes);
// nullptr when this build has no terminal model.
std::unique_ptr<Encoder> make_text_encoder(Sink& out);

}  // namespace tap::convert
