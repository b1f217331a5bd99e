#include "tap/live/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tap::live {

Result<Client> Client::connect(const std::filesystem::path& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.native().size() >= sizeof addr.sun_path)
    return fail(ErrorKind::invalid_argument, "socket path too long: " + socket_path.native());
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.native().size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("socket", errno);
  while (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED)
      return fail(ErrorKind::not_found, "taprec is not running (no daemon at " +
                                            socket_path.native() + ": " + std::strerror(err) + ")");
    return fail(Error::from_errno("connect " + socket_path.native(), err));
  }
  return Client(std::move(fd));
}

Result<void> Client::start(const Request& request) {
  std::string out;
  encode_request(out, request);
  // MSG_NOSIGNAL: a server that refused us (too many clients) has already answered and
  // closed; its answer is still readable, so a failed send is not the end.
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd_.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  TAP_TRY(Message hello, next(30'000));
  if (hello.type == MessageType::error)
    return fail(ErrorKind::protocol, hello.error.message);
  if (hello.type != MessageType::hello)
    return fail(ErrorKind::protocol, "the peer did not greet as a taprec live socket");
  if (hello.hello_version != kProtocolVersion)
    return fail(ErrorKind::unsupported_version,
                "taprec speaks live protocol version " + std::to_string(hello.hello_version) +
                    ", this tap speaks " + std::to_string(kProtocolVersion));
  return {};
}

Result<Message> Client::next(int timeout_ms) {
  for (;;) {
    TAP_TRY(auto frame, reader_.next());
    if (frame.has_value()) return decode_message(*frame);
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll", errno);
    }
    if (r == 0) return fail(ErrorKind::timeout, "taprec did not answer in time");
    char buf[65536];
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::from_errno("read from taprec", errno);
    }
    if (n == 0) return fail(ErrorKind::protocol, "taprec closed the connection");
    reader_.append(std::string_view(buf, static_cast<size_t>(n)));
  }
}

}  // namespace tap::live
