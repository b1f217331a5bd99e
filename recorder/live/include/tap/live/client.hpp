// The client side of the live protocol: one connection, one request, the replies in order.
#pragma once

#include <filesystem>
#include <string>

#include "tap/live/protocol.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/result.hpp"

namespace tap::live {

class Client {
 public:
  // Connects to taprec's socket. When nothing listens there the error says that taprec is
  // not running (kind not_found), naming the path and the reason.
  static Result<Client> connect(const std::filesystem::path& socket_path);

  // Sends the request and reads the server's Hello, checking its version.
  Result<void> start(const Request& request);
  // The next message; waits at most `timeout_ms` (-1: no limit). A connection closed
  // between messages is an error of kind `protocol`.
  Result<Message> next(int timeout_ms = -1);
  int fd() const { return fd_.get(); }

 private:
  explicit Client(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
  FrameReader reader_;
};

}  // namespace tap::live
