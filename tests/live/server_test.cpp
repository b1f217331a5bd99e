// The live server against a fake session source, over real sockets, without BPF.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "tap/live/client.hpp"
#include "tap/live/server.hpp"

namespace tap::live {
namespace {

class FakeSource : public SessionSource {
 public:
  std::vector<Item> items;
  std::vector<std::pair<uint64_t, ScreenConsumer*>> subs;
  bool answer_at_once = true;
  Screen screen;

  FakeSource() {
    screen.cols = 4;
    screen.rows = 1;
    screen.lines = {{Span{Style{}, 4, "hi  "}}};
  }
  std::vector<Item> sessions() const override { return items; }
  void subscribe(uint64_t id, ScreenConsumer* c, bool stream) override {
    if (stream) subs.emplace_back(id, c);
    if (answer_at_once) c->screen_ready(ScreenAt{screen, 42});
    else pending.push_back(c);
  }
  void unsubscribe(uint64_t id, ScreenConsumer* c) override {
    std::erase(subs, std::make_pair(id, c));
    std::erase(pending, c);
  }
  void output(std::string_view bytes) {
    auto copy = subs;
    for (auto& [id, c] : copy) c->output(bytes);
  }
  void end() {
    auto copy = subs;
    subs.clear();
    for (auto& [id, c] : copy) c->ended(End{EndReason::session_ended, "session ended"});
  }
  std::vector<ScreenConsumer*> pending;
};

SessionSource::Item item(uint64_t id, uint32_t pty, uint32_t opener) {
  SessionSource::Item it;
  it.session_id = id;
  it.entry.pty_index = pty;
  it.entry.opener_known = true;
  it.entry.opener_uid = opener;
  it.entry.path = "/spool/pts" + std::to_string(pty) + ".tap";
  return it;
}

class LiveServer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tap-live-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    auto loop = EpollLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_.emplace(std::move(loop).value());
    source_.items = {item(1, 0, 0), item(2, 1, 4242), item(3, 5, 4243)};
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void listen(ServerOptions o = {}) {
    o.socket_path = dir_ / "taprec.sock";
    auto s = Server::listen(*loop_, source_, o);
    ASSERT_TRUE(s.ok()) << s.error().what();
    server_ = std::move(s).value();
  }
  // Runs the loop until `done` or 10 s.
  template <typename F>
  void spin_until(F done) {
    int64_t end = monotonic_ns() + 10'000'000'000;
    while (!done() && monotonic_ns() < end) ASSERT_TRUE(loop_->run_once(10).ok());
  }
  // Runs `fn` on a thread while the loop turns.
  template <typename F>
  void with_client(F fn) {
    std::atomic<bool> finished{false};
    std::thread t([&] {
      fn();
      finished = true;
    });
    spin_until([&] { return finished.load(); });
    t.join();
  }

  std::filesystem::path dir_;
  std::optional<EpollLoop> loop_;
  FakeSource source_;
  std::unique_ptr<Server> server_;
};

Result<Message> ask(const std::filesystem::path& sock, Op op, uint32_t pty = 0) {
  TAP_TRY(Client c, Client::connect(sock));
  TAP_CHECK(c.start(Request{kProtocolVersion, op, pty}));
  return c.next(5000);
}

TEST_F(LiveServer, RootListsEverySessionWithPaths) {
  listen();
  Result<Message> m = fail(ErrorKind::internal, "unset");
  with_client([&] { m = ask(dir_ / "taprec.sock", Op::list); });
  ASSERT_TRUE(m.ok()) << m.error().what();
  ASSERT_EQ(m->type, MessageType::session_list);
  ASSERT_EQ(m->list.sessions.size(), getuid() == 0 ? 3u : 0u);
  if (getuid() == 0) {
    EXPECT_EQ(m->list.sessions[1].path, "/spool/pts1.tap");
  }
}

TEST_F(LiveServer, SocketIsWorldConnectableInARootOwnedDirectory) {
  ServerOptions o;
  o.socket_path = dir_ / "run" / "taprec.sock";
  auto s = Server::listen(*loop_, source_, o);
  ASSERT_TRUE(s.ok()) << s.error().what();
  struct stat st{};
  ASSERT_EQ(::stat(o.socket_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  ASSERT_EQ(::stat((dir_ / "run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST_F(LiveServer, AStaleSocketIsReplacedALiveOneIsNeverStolen) {
  // A socket file nobody listens on, as a crashed daemon leaves it.
  auto path = dir_ / "taprec.sock";
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::close(fd);
  }
  listen();
  ASSERT_TRUE(server_ != nullptr);
  ServerOptions o;
  o.socket_path = path;
  auto second = Server::listen(*loop_, source_, o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), ErrorKind::exists);
  EXPECT_NE(second.error().what().find("another taprec"), std::string::npos);
  // The first server still answers.
  Result<Message> m = fail(ErrorKind::internal, "unset");
  with_client([&] { m = ask(path, Op::list); });
  ASSERT_TRUE(m.ok()) << m.error().what();
}

TEST_F(LiveServer, ARegularFileAtTheSocketPathIsLeftAlone) {
  auto path = dir_ / "taprec.sock";
  { FILE* f = std::fopen(path.c_str(), "w"); std::fputs("keep", f); std::fclose(f); }
  ServerOptions o;
  o.socket_path = path;
  auto s = Server::listen(*loop_, source_, o);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST_F(LiveServer, SnapshotOfAMissingSessionIsNotFound) {
  listen();
  Result<Message> m = fail(ErrorKind::internal, "unset");
  with_client([&] { m = ask(dir_ / "taprec.sock", Op::snapshot, 9); });
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->type, MessageType::error);
  EXPECT_EQ(m->error.code, ErrorCode::not_found);
  EXPECT_EQ(m->error.message, "no active session with pty_index=9");
}

// A real unprivileged caller: the identity comes from the kernel, nothing else.
TEST_F(LiveServer, AUserSeesOnlyTheirOwnSessionsAndCannotProbe) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to run a caller as another uid";
  listen();
  auto sock = dir_ / "taprec.sock";
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    if (::setresgid(4242, 4242, 4242) != 0 || ::setresuid(4242, 4242, 4242) != 0) _exit(3);
    std::string report;
    auto list = ask(sock, Op::list);
    if (!list.ok() || list->type != MessageType::session_list) _exit(4);
    report += std::to_string(list->list.sessions.size()) + ";";
    for (auto& e : list->list.sessions)
      report += std::to_string(e.pty_index) + ":" + e.path + ";";
    // pty 0 is root's (forbidden), pty 9 does not exist, pty 1 is ours.
    for (uint32_t pty : {0u, 9u, 1u}) {
      auto m = ask(sock, Op::snapshot, pty);
      if (!m.ok()) _exit(5);
      report += m->type == MessageType::error ? m->error.message : std::string("screen");
      report += ";";
    }
    (void)!::write(pipefd[1], report.data(), report.size());
    _exit(0);
  }
  ::close(pipefd[1]);
  int status = 0;
  spin_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
  std::string report;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) report.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // One session, without its file path; forbidden and missing read the same.
  EXPECT_EQ(report,
            "1;1:;no active session with pty_index=0;no active session with pty_index=9;screen;");
}

TEST_F(LiveServer, GarbageIsAnsweredAndDropped) {
  listen();
  std::string reply;
  with_client([&] {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, (dir_ / "taprec.sock").c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)!::write(fd, junk.data(), junk.size());
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
    ::close(fd);
  });
  FrameReader r;
  r.append(reply);
  auto f = r.next();
  ASSERT_TRUE(f.ok() && f->has_value());
  auto m = decode_message(**f);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, MessageType::error);
  EXPECT_EQ(m->error.code, ErrorCode::bad_request);
  EXPECT_EQ(server_->client_count(), 0u);
}

TEST_F(LiveServer, ASilentClientIsDroppedAfterTheTimeout) {
  ServerOptions o;
  o.request_timeout_ns = 200'000'000;
  listen(o);
  ssize_t last = -1;
  int64_t waited_ms = 0;
  with_client([&] {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, (dir_ / "taprec.sock").c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    int64_t t0 = monotonic_ns();
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) last = n;
    waited_ms = (monotonic_ns() - t0) / 1'000'000;
    ::close(fd);
  });
  EXPECT_GT(last, 0);  // the timeout error reached it before the close
  EXPECT_GE(waited_ms, 150);
  EXPECT_LT(waited_ms, 3000);
  EXPECT_EQ(server_->client_count(), 0u);
}

TEST_F(LiveServer, WatchGetsTheScreenThenEveryByteInOrderThenTheEnd) {
  source_.answer_at_once = false;
  listen();
  std::string got;
  bool saw_start = false, saw_end = false;
  std::atomic<bool> connected{false};
  std::thread t([&] {
    auto c = Client::connect(dir_ / "taprec.sock");
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->start(Request{kProtocolVersion, Op::watch, 1}).ok());
    connected = true;
    for (;;) {
      auto m = c->next(5000);
      ASSERT_TRUE(m.ok()) << m.error().what();
      if (m->type == MessageType::watch_start) {
        saw_start = true;
        EXPECT_EQ(m->watch.next_seq, 42u);
        EXPECT_EQ(m->watch.screen.line_text(0), "hi");
        EXPECT_TRUE(got.empty());
      } else if (m->type == MessageType::output) {
        EXPECT_TRUE(saw_start);
        got += m->output;
      } else if (m->type == MessageType::end) {
        saw_end = true;
        return;
      }
    }
  });
  spin_until([&] { return !source_.subs.empty(); });
  ASSERT_EQ(source_.subs.size(), 1u);
  // Output that arrives before the screen is held back and follows it.
  source_.output("before-screen|");
  ASSERT_EQ(source_.pending.size(), 1u);
  source_.pending[0]->screen_ready(ScreenAt{source_.screen, 42});
  for (int i = 0; i < 100; ++i) source_.output(std::to_string(i) + ",");
  source_.end();
  spin_until([&] { return saw_end; });
  t.join();
  std::string want = "before-screen|";
  for (int i = 0; i < 100; ++i) want += std::to_string(i) + ",";
  EXPECT_EQ(got, want);
}

TEST_F(LiveServer, ALaggingWatcherIsDroppedWithoutBlocking) {
  ServerOptions o;
  o.max_watch_buffer = 1 << 20;
  listen(o);
  auto c = Client::connect(dir_ / "taprec.sock");
  ASSERT_TRUE(c.ok());
  // The request goes out; the reply waits in the socket while the loop turns.
  std::string req;
  encode_request(req, Request{kProtocolVersion, Op::watch, 1});
  ASSERT_TRUE(write_all(c->fd(), req).ok());
  spin_until([&] { return !source_.subs.empty(); });
  ASSERT_EQ(source_.subs.size(), 1u);
  // 64 MiB to a client that never reads: every call returns at once and the watcher goes.
  std::string chunk(64 * 1024, 'y');
  int64_t t0 = monotonic_ns();
  for (int i = 0; i < 1024 && !source_.subs.empty(); ++i) source_.output(chunk);
  EXPECT_LT((monotonic_ns() - t0) / 1'000'000, 2000);
  EXPECT_TRUE(source_.subs.empty());
  // The client, reading at last, finds the start, some output and then the reason.
  Message last;
  size_t outputs = 0;
  std::atomic<bool> done{false};
  std::thread t([&] {
    auto hello = c->next(5000);  // raw start(): read the hello ourselves
    ASSERT_TRUE(hello.ok());
    for (;;) {
      auto m = c->next(5000);
      if (!m.ok()) break;
      if (m->type == MessageType::output) ++outputs;
      last = *m;
      if (m->type == MessageType::error) break;
    }
    done = true;
  });
  spin_until([&] { return done.load(); });
  t.join();
  EXPECT_EQ(last.type, MessageType::error);
  EXPECT_EQ(last.error.code, ErrorCode::lagging);
  // Bounded: what the server buffered plus what the socket itself holds.
  EXPECT_LE(outputs * chunk.size(), o.max_watch_buffer + (4u << 20));
}

TEST_F(LiveServer, SixtyFourClientsAtOnce) {
  listen();
  constexpr int kClients = 64;
  std::vector<Client> clients;
  for (int i = 0; i < kClients; ++i) {
    auto c = Client::connect(dir_ / "taprec.sock");
    ASSERT_TRUE(c.ok());
    clients.push_back(std::move(c).value());
  }
  // All connected and idle; then all ask at once.
  for (auto& c : clients) {
    std::string req;
    encode_request(req, Request{kProtocolVersion, Op::list, 0});
    ASSERT_TRUE(write_all(c.fd(), req).ok());
  }
  std::atomic<int> ok{0};
  std::atomic<bool> done{false};
  std::thread t([&] {
    for (auto& c : clients) {
      auto hello = c.next(5000);
      auto m = c.next(5000);
      if (hello.ok() && m.ok() && m->type == MessageType::session_list) ++ok;
    }
    done = true;
  });
  spin_until([&] { return done.load(); });
  t.join();
  EXPECT_EQ(ok.load(), kClients);
}

TEST_F(LiveServer, TooManyClientsAreToldSo) {
  ServerOptions o;
  o.max_clients = 2;
  listen(o);
  std::vector<Client> idle;
  for (int i = 0; i < 2; ++i) {
    auto c = Client::connect(dir_ / "taprec.sock");
    ASSERT_TRUE(c.ok());
    idle.push_back(std::move(c).value());
  }
  spin_until([&] { return server_->client_count() == 2; });
  Result<Message> m = fail(ErrorKind::internal, "unset");
  with_client([&] {
    auto c = Client::connect(dir_ / "taprec.sock");
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->start(Request{kProtocolVersion, Op::list, 0}).ok());
    m = c->next(5000);
  });
  ASSERT_TRUE(m.ok()) << m.error().what();
  EXPECT_EQ(m->type, MessageType::error);
  EXPECT_EQ(m->error.code, ErrorCode::busy);
}

}  // namespace
}  // namespace tap::live
