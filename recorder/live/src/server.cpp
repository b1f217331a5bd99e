// The live socket server (docs/live-protocol.md §Server).
#include "tap/live/server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tap/support/log.hpp"

namespace tap::live {

bool may_see(const Peer& peer, const SessionEntry& entry) {
  if (peer.uid == 0) return true;
  return entry.opener_known && entry.opener_uid == peer.uid;
}

std::string no_session_message(uint32_t pty_index) {
  return "no active session with pty_index=" + std::to_string(pty_index);
}

class Server::Client final : public ScreenConsumer {
 public:
  Client(Server& server, Fd fd, Peer peer, int64_t deadline)
      : server_(server), fd_(std::move(fd)), peer_(peer), deadline_(deadline),
        reader_(kMaxRequestFrame) {}
  ~Client() override {
    if (subscribed_) server_.source_.unsubscribe(session_id_, this);
  }

  // ScreenConsumer
  void screen_ready(Result<ScreenAt> screen) override {
    if (!awaiting_screen_) return;
    awaiting_screen_ = false;
    if (!screen.ok()) {
      // The session may have ended or the model is unavailable; either way no stream follows.
      finish_subscription();
      ErrorCode code = screen.error().kind() == ErrorKind::not_found ? ErrorCode::not_found
                                                                    : ErrorCode::unavailable;
      std::string msg = code == ErrorCode::not_found ? no_session_message(pty_index_)
                                                     : screen.error().what();
      send_error(code, msg);
      return;
    }
    if (!streaming_) {
      finish_subscription();
      encode_screen(out_, screen->screen);
      close_after_flush();
      return;
    }
    WatchStart ws;
    ws.stream_id = stream_id_;
    ws.next_seq = screen->next_seq;
    ws.screen = std::move(screen->screen);
    encode_watch_start(out_, ws);
    // Output that arrived while the screen was on its way follows it, in order.
    out_.append(held_);
    held_.clear();
    held_.shrink_to_fit();
    flush();
  }

  void output(std::string_view bytes) override {
    if (!streaming_ || dropped_ || closing_) return;
    std::string& dst = awaiting_screen_ ? held_ : out_;
    if (dst.size() - (awaiting_screen_ ? 0 : out_pos_) + bytes.size() >
        server_.options_.max_watch_buffer) {
      drop_lagging();
      return;
    }
    encode_output(dst, bytes);
    if (!awaiting_screen_) flush();
  }

  void ended(const End& end) override {
    subscribed_ = false;
    if (closing_) return;
    if (awaiting_screen_) {
      awaiting_screen_ = false;
      send_error(ErrorCode::not_found, no_session_message(pty_index_));
      return;
    }
    encode_end(out_, end);
    close_after_flush();
  }

  // Returns false when the client is done and can be destroyed.
  bool on_events(uint32_t events) {
    if (events & EPOLLIN) {
      if (!read_input()) return false;
    }
    if (events & (EPOLLHUP | EPOLLERR)) {
      if (!(events & EPOLLIN)) return false;
    }
    if (events & EPOLLOUT) flush();
    return !finished();
  }

  bool on_timer(int64_t now) {
    if (now < deadline_) return true;
    if (!request_done_ && !closing_) {
      send_error(ErrorCode::timeout, "no request within the time limit");
      // Give the error one more deadline to leave, then drop.
      return !finished();
    }
    // A closing client that did not read its reply in time, or a request-less one.
    return false;
  }

  void stop() {
    if (closing_) return;
    finish_subscription();
    encode_end(out_, End{EndReason::server_stopping, "taprec is stopping"});
    close_after_flush();
  }

  bool finished() const { return closing_ && out_pos_ == out_.size(); }
  int fd() const { return fd_.get(); }

 private:
  bool read_input() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n > 0) {
        // After the request, anything further from the client is ignored.
        if (request_done_) continue;
        reader_.append(std::string_view(buf, static_cast<size_t>(n)));
        auto frame = reader_.next();
        if (!frame.ok()) {
          send_error(ErrorCode::bad_request, frame.error().what());
          return !finished();
        }
        if (!frame->has_value()) continue;
        request_done_ = true;
        auto req = decode_request(**frame);
        if (!req.ok()) {
          bool version = req.error().kind() == ErrorKind::unsupported_version;
          if (version) encode_hello(out_);
          send_error(version ? ErrorCode::unsupported_version : ErrorCode::bad_request,
                     req.error().what());
          return !finished();
        }
        server_.handle_request(*this, *req);
        continue;
      }
      if (n == 0) {
        // The client hung up: nobody is left to read a reply.
        return false;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;
      return false;
    }
  }

  void flush() {
    while (out_pos_ < out_.size()) {
      ssize_t n = ::send(fd_.get(), out_.data() + out_pos_, out_.size() - out_pos_,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        out_pos_ += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      // The peer is gone: drop everything; the loop closes us on HUP/ERR.
      out_pos_ = out_.size();
      closing_ = true;
      break;
    }
    // Keep the buffer from growing: move the unsent tail to the front once half is sent.
    if (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
      frame_start_ = 0;
    } else {
      advance_frame_start();
      if (out_pos_ > (1u << 16) && out_pos_ * 2 > out_.size()) {
        out_.erase(0, frame_start_);
        out_pos_ -= frame_start_;
        frame_start_ = 0;
      }
    }
    bool want_out = out_pos_ < out_.size();
    if (want_out != want_out_) {
      want_out_ = want_out;
      (void)server_.loop_.modify_fd(fd_.get(), EPOLLIN | (want_out ? uint32_t(EPOLLOUT) : 0u));
    }
  }

  // frame_start_ follows the start of the frame holding out_pos_, so a lagging watcher can
  // be cut at a frame boundary.
  void advance_frame_start() {
    while (frame_start_ + 4 <= out_.size()) {
      uint32_t n = 0;
      for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(out_[frame_start_ + i]);
      size_t end = frame_start_ + 4 + n;
      if (end > out_pos_) break;
      frame_start_ = end;
    }
  }

  void drop_lagging() {
    dropped_ = true;
    finish_subscription();
    advance_frame_start();
    size_t keep = out_.size();
    if (frame_start_ + 4 <= out_.size()) {
      if (out_pos_ > frame_start_) {
        uint32_t n = 0;
        for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(out_[frame_start_ + i]);
        keep = frame_start_ + 4 + n;
      } else {
        keep = frame_start_;
      }
    }
    out_.resize(keep);
    held_.clear();
    if (awaiting_screen_) awaiting_screen_ = false;
    send_error(ErrorCode::lagging, "watcher fell behind the session and was dropped");
  }

  void send_error(ErrorCode code, const std::string& msg) {
    encode_error(out_, ErrorReply{code, msg});
    close_after_flush();
  }

  void close_after_flush() {
    closing_ = true;
    deadline_ = monotonic_ns() + server_.options_.flush_timeout_ns;
    flush();
  }

  void finish_subscription() {
    if (subscribed_) {
      subscribed_ = false;
      server_.source_.unsubscribe(session_id_, this);
    }
  }

  friend class Server;
  Server& server_;
  Fd fd_;
  Peer peer_;
  int64_t deadline_;
  FrameReader reader_;
  std::string out_;
  size_t out_pos_ = 0;
  size_t frame_start_ = 0;
  std::string held_;
  bool want_out_ = false;
  bool request_done_ = false;
  bool closing_ = false;
  bool dropped_ = false;
  bool subscribed_ = false;
  bool awaiting_screen_ = false;
  bool streaming_ = false;
  uint64_t session_id_ = 0;
  uint32_t pty_index_ = 0;
  uint64_t stream_id_ = 0;
};

Server::Server(Loop& loop, SessionSource& source, const ServerOptions& options)
    : loop_(loop), source_(source), options_(options) {}

Server::~Server() {
  if (timer_ != 0) loop_.cancel_timer(timer_);
  for (auto& [fd, c] : clients_) loop_.unwatch_fd(fd);
  clients_.clear();
  if (listen_fd_.valid()) {
    loop_.unwatch_fd(listen_fd_.get());
    // Remove the path only while it is still our socket (a successor may have replaced it).
    struct stat st{};
    if (::lstat(options_.socket_path.c_str(), &st) == 0 && st.st_ino == socket_ino_)
      ::unlink(options_.socket_path.c_str());
  }
}

namespace {

Result<sockaddr_un> socket_address(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path)
    return fail(ErrorKind::invalid_argument, "socket path too long: " + path.native());
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  return addr;
}

// A live socket answers connect(); a stale one (its daemon died) refuses.
Result<void> clear_stale_socket(const std::filesystem::path& path, const sockaddr_un& addr) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Error::from_errno("stat " + path.native(), errno);
  }
  if (!S_ISSOCK(st.st_mode))
    return fail(ErrorKind::exists, path.native() + " exists and is not a socket; not replacing it");
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return Error::from_errno("socket", errno);
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    return fail(ErrorKind::exists, "another taprec is serving " + path.native());
  if (errno != ECONNREFUSED && errno != ENOENT)
    return Error::from_errno("probe " + path.native(), errno);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::from_errno("remove stale socket " + path.native(), errno);
  return {};
}

}  // namespace

Result<std::unique_ptr<Server>> Server::listen(Loop& loop, SessionSource& source,
                                               const ServerOptions& options) {
  std::unique_ptr<Server> s(new Server(loop, source, options));
  const auto& path = options.socket_path;
  TAP_TRY(sockaddr_un addr, socket_address(path));
  std::filesystem::path dir = path.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      // Created root-owned 0755: anyone may reach the socket, only root may replace it.
      std::filesystem::create_directories(dir, ec);
      if (ec) return fail(ErrorKind::io, "create " + dir.native() + ": " + ec.message());
      if (::chmod(dir.c_str(), 0755) != 0) return Error::from_errno("chmod " + dir.native(), errno);
    }
  }
  TAP_CHECK(clear_stale_socket(path, addr));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("socket", errno);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EADDRINUSE)
      return fail(ErrorKind::exists, "another taprec is serving " + path.native());
    return Error::from_errno("bind " + path.native(), errno);
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) s->socket_ino_ = st.st_ino;
  if (::chmod(path.c_str(), options.socket_mode) != 0)
    return Error::from_errno("chmod " + path.native(), errno);
  if (::listen(fd.get(), 128) != 0) return Error::from_errno("listen " + path.native(), errno);
  s->listen_fd_ = std::move(fd);
  Server* self = s.get();
  TAP_CHECK(loop.watch_fd(s->listen_fd_.get(), EPOLLIN, [self](uint32_t) { self->on_accept(); }));
  int64_t period = std::min<int64_t>(options.request_timeout_ns / 4, 250'000'000);
  s->timer_ = loop.add_timer(std::max<int64_t>(period, 10'000'000), [self] { self->on_timer(); });
  return s;
}

void Server::on_accept() {
  for (;;) {
    int cfd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN)
        log::warning("live socket: accept: ", std::strerror(errno));
      return;
    }
    auto r = add_connection(Fd(cfd));
    if (!r.ok()) log::warning("live socket: ", r.error().what());
  }
}

Result<void> Server::add_connection(Fd fd) {
  if (timer_ == 0) {
    int64_t period = std::min<int64_t>(options_.request_timeout_ns / 4, 250'000'000);
    timer_ = loop_.add_timer(std::max<int64_t>(period, 10'000'000), [this] { on_timer(); });
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return Error::from_errno("SO_PEERCRED", errno);
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
  if (clients_.size() >= options_.max_clients) {
    std::string out;
    encode_hello(out);
    encode_error(out, ErrorReply{ErrorCode::busy, "too many clients; try again"});
    (void)::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return {};
  }
  Peer peer{cred.pid, cred.uid, cred.gid};
  int cfd = fd.get();
  auto client =
      std::make_unique<Client>(*this, std::move(fd), peer, monotonic_ns() + options_.request_timeout_ns);
  TAP_CHECK(loop_.watch_fd(cfd, EPOLLIN, [this, cfd](uint32_t ev) {
    auto it = clients_.find(cfd);
    if (it == clients_.end()) return;
    if (!it->second->on_events(ev)) close_client(cfd);
  }));
  clients_[cfd] = std::move(client);
  return {};
}

void Server::handle_request(Client& c, const Request& req) {
  encode_hello(c.out_);
  if (req.op == Op::list) {
    SessionList list;
    list.now_wall_ns = wall_ns();
    for (auto& item : source_.sessions()) {
      if (!may_see(c.peer_, item.entry)) continue;
      if (c.peer_.uid != 0) item.entry.path.clear();
      list.sessions.push_back(std::move(item.entry));
    }
    encode_session_list(c.out_, list);
    c.close_after_flush();
    return;
  }
  // Snapshot and watch: a forbidden session is answered exactly like a missing one.
  const SessionSource::Item* found = nullptr;
  auto items = source_.sessions();
  for (const auto& item : items) {
    if (item.entry.pty_index != req.pty_index || !may_see(c.peer_, item.entry)) continue;
    // Prefer the host's devpts when a container reuses the index.
    if (found == nullptr || (!found->entry.container.empty() && item.entry.container.empty()))
      found = &item;
  }
  if (found == nullptr) {
    c.send_error(ErrorCode::not_found, no_session_message(req.pty_index));
    return;
  }
  c.pty_index_ = req.pty_index;
  c.session_id_ = found->session_id;
  c.streaming_ = req.op == Op::watch;
  c.stream_id_ = c.streaming_ ? next_stream_++ : 0;
  c.awaiting_screen_ = true;
  c.subscribed_ = true;
  c.flush();
  source_.subscribe(found->session_id, &c, c.streaming_);
}

void Server::on_timer() {
  int64_t now = monotonic_ns();
  std::vector<int> expired;
  for (auto& [fd, c] : clients_)
    if (!c->on_timer(now) || c->finished()) expired.push_back(fd);
  for (int fd : expired) close_client(fd);
}

void Server::close_client(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  loop_.unwatch_fd(fd);
  clients_.erase(it);
}

void Server::stop() {
  if (listen_fd_.valid()) {
    loop_.unwatch_fd(listen_fd_.get());
  }
  std::vector<int> done;
  for (auto& [fd, c] : clients_) {
    c->stop();
    if (c->finished()) done.push_back(fd);
  }
  for (int fd : done) close_client(fd);
}

}  // namespace tap::live
