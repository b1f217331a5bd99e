// The live protocol between `tap` and taprec's socket (docs/live-protocol.md).
//
// Every message is a frame: a 4-byte little-endian payload length, then the payload, whose
// first byte is the message type. The client sends one Request; the server answers with a
// Hello (its version) and then the reply for that request: a SessionList, a Screen, or a
// WatchStart followed by Output frames and an End; an Error ends any exchange. Nothing on the
// wire names a user: the server takes the caller's identity from SO_PEERCRED.
//
// Decoders take untrusted bytes: every length is checked against what remains and against the
// limits below; malformed input is an Error of kind `protocol`, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tap/live/screen.hpp"
#include "tap/support/result.hpp"

namespace tap::live {

inline constexpr uint16_t kProtocolVersion = 1;
inline constexpr std::string_view kMagic = "TAPL";
// A request is tiny; anything larger is garbage.
inline constexpr uint32_t kMaxRequestFrame = 4096;
// A screen at 4096 × 4096 cells would not fit; real screens are far below this.
inline constexpr uint32_t kMaxFrame = 16u << 20;

enum class MessageType : uint8_t {
  request = 0x01,
  hello = 0x80,
  session_list = 0x81,
  screen = 0x82,
  watch_start = 0x83,
  output = 0x84,
  end = 0x85,
  error = 0x7f,
};

enum class Op : uint8_t { list = 1, snapshot = 2, watch = 3 };

struct Request {
  uint16_t version = kProtocolVersion;
  Op op = Op::list;
  uint32_t pty_index = 0;  // snapshot, watch

  bool operator==(const Request&) const = default;
};

// What `tap list` shows for one session.
struct SessionEntry {
  uint32_t pty_index = 0;
  bool opener_known = false;
  uint32_t opener_uid = 0;
  std::string opener_user;
  uint32_t writer_pid = 0;
  uint32_t writer_uid = 0;
  std::string writer_user;
  std::string writer_comm;
  uint32_t leader_pid = 0;
  std::string leader_comm;
  uint64_t output_bytes = 0, output_events = 0;
  uint64_t input_bytes = 0, input_events = 0;
  uint64_t lost_bytes = 0;
  uint16_t cols = 0, rows = 0;
  int64_t start_wall_ns = 0;
  int64_t last_activity_wall_ns = 0;
  std::string container;  // empty on the host
  std::string path;       // the .tap file; sent to root only

  bool operator==(const SessionEntry&) const = default;
};

struct SessionList {
  int64_t now_wall_ns = 0;  // the server's clock, so ages do not depend on the client's
  std::vector<SessionEntry> sessions;

  bool operator==(const SessionList&) const = default;
};

struct WatchStart {
  uint64_t stream_id = 0;
  uint64_t next_seq = 0;  // sequence number of the first event after the screen
  Screen screen;

  bool operator==(const WatchStart&) const = default;
};

enum class EndReason : uint8_t { session_ended = 1, server_stopping = 2 };

struct End {
  EndReason reason = EndReason::session_ended;
  std::string message;

  bool operator==(const End&) const = default;
};

enum class ErrorCode : uint8_t {
  not_found = 1,            // no such session, or one the caller may not see
  bad_request = 2,          // the request did not parse
  unsupported_version = 3,  // the peer speaks another protocol version
  busy = 4,                 // too many clients
  unavailable = 5,          // the terminal model cannot answer now (restarting, catching up)
  lagging = 6,              // a watcher did not read fast enough and was dropped
  timeout = 7,              // no complete request in time
  internal = 8,
};

struct ErrorReply {
  ErrorCode code = ErrorCode::internal;
  std::string message;

  bool operator==(const ErrorReply&) const = default;
};

// A decoded server message.
struct Message {
  MessageType type = MessageType::error;
  uint16_t hello_version = 0;
  SessionList list;
  Screen screen;
  WatchStart watch;
  std::string output;
  End end;
  ErrorReply error;
};

// Appends one whole frame (length prefix included) to `out`.
void encode_request(std::string& out, const Request& r);
void encode_hello(std::string& out);
void encode_session_list(std::string& out, const SessionList& list);
void encode_screen(std::string& out, const Screen& screen);
void encode_watch_start(std::string& out, const WatchStart& w);
void encode_output(std::string& out, std::string_view bytes);
void encode_end(std::string& out, const End& e);
void encode_error(std::string& out, const ErrorReply& e);

// Payload decoders (the frame's length prefix already removed).
Result<Request> decode_request(std::string_view payload);
Result<Message> decode_message(std::string_view payload);

// Screen body encoding, shared with the worker channel.
void put_screen(std::string& out, const Screen& screen);

// Reassembles frames from a byte stream.
class FrameReader {
 public:
  explicit FrameReader(uint32_t max_frame = kMaxFrame) : max_frame_(max_frame) {}
  void append(std::string_view bytes) { buf_.append(bytes); }
  // The next complete payload, nullopt when more bytes are needed, or an error when the
  // length prefix exceeds the limit (the stream cannot be trusted after that).
  Result<std::optional<std::string_view>> next();
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  uint32_t max_frame_;
  std::string buf_;
  size_t pos_ = 0;
};

// Little-endian field codec used by both protocols.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void str(std::string_view s);
  void raw(std::string_view s) { out_.append(s); }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u8(uint8_t* v);
  bool u16(uint16_t* v);
  bool u32(uint32_t* v);
  bool u64(uint64_t* v);
  bool i64(int64_t* v);
  // A length-prefixed string no longer than `max`.
  bool str(std::string* s, size_t max = kMaxFrame);
  bool get_screen(Screen* s);
  bool done() const { return pos_ == in_.size(); }
  std::string_view rest() const { return in_.substr(pos_); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// Starts a frame in `out`; finish_frame writes its length.
size_t begin_frame(std::string& out, uint8_t type);
void finish_frame(std::string& out, size_t start);

std::string_view error_code_name(ErrorCode code);

}  // namespace tap::live
