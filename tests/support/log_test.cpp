#include "tap/support/log.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace tap {
namespace {

// Captures what the logger writes to stderr (fd 2) while `fn` runs.
template <typename Fn>
std::string capture_stderr(Fn fn) {
  int pipefd[2];
  EXPECT_EQ(::pipe(pipefd), 0);
  int saved = ::dup(2);
  ::dup2(pipefd[1], 2);
  fn();
  ::dup2(saved, 2);
  ::close(saved);
  ::close(pipefd[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  return out;
}

TEST(Log, WritesOneLinePerMessageWithProgramAndLevel) {
  log::set_program("taptest");
  log::set_level(log::Level::info);
  std::string out = capture_stderr([] {
    log::debug("hidden ", 1);
    log::info("sessions=", 3, " bytes=", 42);
    log::warning("torn tail at offset ", 4096);
    log::error("no key");
  });
  EXPECT_EQ(out, "taptest: sessions=3 bytes=42\n"
                 "taptest: warning: torn tail at offset 4096\n"
                 "taptest: error: no key\n");
}

TEST(Log, ParsesLevelNames) {
  log::Level lvl = log::Level::info;
  EXPECT_TRUE(log::parse_level("debug", &lvl));
  EXPECT_EQ(lvl, log::Level::debug);
  EXPECT_FALSE(log::parse_level("verbose", &lvl));
  EXPECT_EQ(lvl, log::Level::debug);
}

}  // namespace
}  // namespace tap
