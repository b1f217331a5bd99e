// The live socket server: accepts `tap` clients on a Unix socket, takes each caller's identity
// from SO_PEERCRED, and answers list / snapshot / watch from a SessionSource. It never blocks:
// every socket is non-blocking, every client has a bounded output buffer and a deadline.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tap/live/loop.hpp"
#include "tap/live/protocol.hpp"
#include "tap/support/fd.hpp"
#include "tap/support/result.hpp"

namespace tap::live {

// A screen and the sequence number of the first event it does not reflect.
struct ScreenAt {
  Screen screen;
  uint64_t next_seq = 0;
};

// Receives one subscription's screen, then (for a watch) every output byte after it.
class ScreenConsumer {
 public:
  virtual ~ScreenConsumer() = default;
  // Exactly once per subscription, before any output.
  virtual void screen_ready(Result<ScreenAt> screen) = 0;
  // Output bytes recorded after the screen's point, in order (watch only).
  virtual void output(std::string_view bytes) = 0;
  // The session ended; the source forgets the consumer after this.
  virtual void ended(const End& end) = 0;
};

// Where the server's sessions come from: the daemon's live service, or a fake in tests.
class SessionSource {
 public:
  struct Item {
    uint64_t session_id = 0;
    SessionEntry entry;
  };
  virtual ~SessionSource() = default;
  virtual std::vector<Item> sessions() const = 0;
  // Asks for the session's current screen (and, with `stream`, its output from then on).
  // screen_ready may run before this returns.
  virtual void subscribe(uint64_t session_id, ScreenConsumer* consumer, bool stream) = 0;
  // The consumer goes away; no call reaches it afterwards.
  virtual void unsubscribe(uint64_t session_id, ScreenConsumer* consumer) = 0;
};

struct ServerOptions {
  std::filesystem::path socket_path = "/run/taprec/taprec.sock";
  unsigned socket_mode = 0666;
  int64_t request_timeout_ns = 5'000'000'000;  // a client must send its request by then
  int64_t flush_timeout_ns = 5'000'000'000;    // a closing client must read its reply by then
  size_t max_clients = 256;
  size_t max_watch_buffer = 8u << 20;          // a watcher this far behind is dropped
};

// The caller as the kernel reports it.
struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// uid 0 sees every session; anyone else only sessions they opened (DESIGN §6).
bool may_see(const Peer& peer, const SessionEntry& entry);
// The one answer for a missing and for a forbidden session.
std::string no_session_message(uint32_t pty_index);

class Server {
 public:
  // Binds `options.socket_path` (creating its directory 0755; replacing a stale socket, never
  // a live one) and starts accepting on `loop`.
  static Result<std::unique_ptr<Server>> listen(Loop& loop, SessionSource& source,
                                                const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves an already connected socket (tests over socketpair; the peer is still read with
  // SO_PEERCRED).
  Result<void> add_connection(Fd fd);
  // Tells every watcher the server stops, stops accepting.
  void stop();
  size_t client_count() const { return clients_.size(); }
  const std::filesystem::path& socket_path() const { return options_.socket_path; }

 private:
  class Client;
  Server(Loop& loop, SessionSource& source, const ServerOptions& options);
  void on_accept();
  void on_timer();
  void close_client(int fd);
  void handle_request(Client& c, const Request& req);

  Loop& loop_;
  SessionSource& source_;
  ServerOptions options_;
  Fd listen_fd_;
  ino_t socket_ino_ = 0;
  uint64_t timer_ = 0;
  uint64_t next_stream_ = 1;
  std::unordered_map<int, std::unique_ptr<Client>> clients_;
  std::vector<int> doomed_;  // clients closed from inside their own callbacks
};

}  // namespace tap::live
