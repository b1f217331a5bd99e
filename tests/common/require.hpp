// Skips that become failures in CI. A test that needs BPF or an outside tool calls one of these
// first; when the thing is missing it skips with the reason, unless TAP_REQUIRE_BPF=1 or
// TAP_REQUIRE_TOOLS=1 is set (as .ci/run does), in which case it fails.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace tap::test {

// Empty when the tool is on PATH, else a reason.
std::string missing_tool(const std::string& name);
// Empty when this process can load and attach BPF tracepoint programs, else a reason.
std::string bpf_unavailable_reason();
bool env_flag(const char* name);
// Root of the source tree (TAP_SOURCE_DIR), for tests/data and samples.
std::string source_dir();
// Root of the build tree (TAP_BINARY_DIR), for the built tools in bin/.
std::string binary_dir();

}  // namespace tap::test

#define TAP_REQUIRE_TOOL(name)                                                          \
  do {                                                                                  \
    std::string tap_reason = ::tap::test::missing_tool(name);                           \
    if (!tap_reason.empty()) {                                                          \
      if (::tap::test::env_flag("TAP_REQUIRE_TOOLS")) FAIL() << tap_reason;             \
      GTEST_SKIP() << tap_reason;                                                       \
    }                                                                                   \
  } while (0)

#define TAP_REQUIRE_BPF()                                                               \
  do {                                                                                  \
    std::string tap_reason = ::tap::test::bpf_unavailable_reason();                     \
    if (!tap_reason.empty()) {                                                          \
      if (::tap::test::env_flag("TAP_REQUIRE_BPF")) FAIL() << tap_reason;               \
      GTEST_SKIP() << tap_reason;                                                       \
    }                                                                                   \
  } while (0)
