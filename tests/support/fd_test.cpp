#include "tap/support/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tap/support/c_deleter.hpp"

namespace tap {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(Fd, ClosesExactlyOnceAndMovesOwnership) {
  Result<Fd> r = Fd::open("/dev/null", O_RDONLY);
  ASSERT_TRUE(r.ok()) << r.error().what();
  int raw = r->get();
  EXPECT_TRUE(is_open(raw));
  EXPECT_TRUE(::fcntl(raw, F_GETFD) & FD_CLOEXEC);
  {
    Fd moved = std::move(*r);
    EXPECT_EQ(moved.get(), raw);
    EXPECT_FALSE(r->valid());
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(Fd, OpenFailureNamesThePathAndKind) {
  Result<Fd> r = Fd::open("/nonexistent/dir/file", O_RDONLY);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::not_found);
  EXPECT_NE(r.error().what().find("/nonexistent/dir/file"), std::string::npos);
}

TEST(Fd, WriteAllAndPreadFullRoundTrip) {
  char tmpl[] = "/tmp/tap_fd_test_XXXXXX";
  Fd fd(::mkstemp(tmpl));
  ASSERT_TRUE(fd.valid());
  ::unlink(tmpl);
  std::string data(100000, 'a');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(write_all(fd.get(), data).ok());
  std::string back(data.size() + 10, '\0');
  Result<size_t> n = pread_full(fd.get(), back.data(), back.size(), 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, data.size());  // stops at EOF without error
  back.resize(*n);
  EXPECT_EQ(back, data);
  Result<size_t> tail = pread_full(fd.get(), back.data(), 4, data.size() - 2);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, 2u);
}

int g_freed = 0;
void free_counted(int* p) {
  ++g_freed;
  delete p;
}

TEST(CDeleter, CallsTheCFunctionOnceAndIsZeroSize) {
  g_freed = 0;
  {
    CPtr<int, &free_counted> p(new int(3));
    static_assert(sizeof(p) == sizeof(int*));
    CPtr<int, &free_counted> empty;
  }
  EXPECT_EQ(g_freed, 1);
}

}  // namespace
}  // namespace tap
