#include "require.hpp"

#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace tap::test {

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

std::string missing_tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return {};
  }
  return "needs '" + name + "' on PATH (install the packages in tests/deps.txt)";
}

std::string bpf_unavailable_reason() {
  if (::geteuid() != 0) return "needs root to load BPF programs";
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
    return "kernel has no BTF (/sys/kernel/btf/vmlinux missing)";
  // A real probe: create a small ring buffer map, as the recorder does first.
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_RINGBUF;
  attr.max_entries = 4096;
  int fd = static_cast<int>(::syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
  if (fd < 0) return std::string("bpf(BPF_MAP_CREATE ringbuf) failed: ") + std::strerror(errno);
  ::close(fd);
  return {};
}

std::string source_dir() {
  const char* v = std::getenv("TAP_SOURCE_DIR");
  return v ? v : TAP_TEST_SOURCE_DIR;
}

std::string binary_dir() {
  const char* v = std::getenv("TAP_BINARY_DIR");
  return v ? v : TAP_TEST_BINARY_DIR;
}

}  // namespace tap::test
