// Encoders: tap events → another format, behind one three-method interface (begin, event,
// end), as asciinema 3 structures its encoders. An encoder writes to a Sink; it never
// allocates per event beyond its output buffer's growth.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tap/convert/formats.hpp"
#include "tap/format/event.hpp"
#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::convert {

// Where encoded bytes go: a file, a pipe, memory.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Result<void> write(std::string_view bytes) = 0;
};

// Collects everything in memory (tests, small outputs).
class StringSink final : public Sink {
 public:
  Result<void> write(std::string_view bytes) override {
    data.append(bytes);
    return {};
  }
  std::string data;
};

// Writes to a descriptor (not owned), retrying short writes.
class FdSink final : public Sink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Result<void> write(std::string_view bytes) override;

 private:
  int fd_;
};

// What the start of a session says, gathered before the first event is encoded: formats such
// as asciicast need the size and title in their header.
struct Header {
  format::SessionInfo info;
  uint16_t cols = 0, rows = 0;             // initial size; 0 when unknown (encoders use 80×24)
  std::string title;                       // from a title marker at the start, if any
  std::string command, shell;
  std::optional<format::Nanos> duration;   // when known before the end (.tap END, v2 header)
};

// What an encoder could not carry, for the warning lines tapconv prints.
struct EncodeStats {
  uint64_t events = 0;           // events written
  uint64_t dropped_events = 0;   // events the target has no place for (listed in docs)
  uint64_t replaced_bytes = 0;   // invalid UTF-8 bytes written as U+FFFD
};

class Encoder {
 public:
  virtual ~Encoder() = default;
  virtual Result<void> begin(const Header& header) = 0;
  virtual Result<void> event(const format::Event& event) = 0;
  // `end_time`: the session's end (its END event, else the last event's time).
  virtual Result<void> end(format::Nanos end_time) = 0;
  const EncodeStats& stats() const { return stats_; }

 protected:
  EncodeStats stats_;
};

struct EncoderOptions {
  // script formats: where the timing goes (classic mode writes the typescript to the main
  // sink). Required for Format::script and Format::script_io.
  Sink* timing = nullptr;
  // jsonl: include keyframe events (their state as base64); off by default.
  bool keyframes = false;
};

// An encoder for any writable format except .tap (written through tap::format's writer).
Result<std::unique_ptr<Encoder>> make_encoder(Format format, Sink& out,
                                              const EncoderOptions& options = {});

}  // namespace tap::convert
