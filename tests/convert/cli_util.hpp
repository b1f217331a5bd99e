// Running tapconv in the CLI and compat tests.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "require.hpp"

namespace tap::convert::test {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out, err;
};

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// A fresh directory for one test, under the build tree.
inline fs::path scratch_dir() {
  const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path d = fs::path(tap::test::binary_dir()) / "tests" / "convert" / "scratch" /
               (std::string(t->test_suite_name()) + "." + t->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs a shell command in `dir`, capturing stdout and stderr.
inline Run sh(const fs::path& dir, const std::string& cmd) {
  Run r;
  fs::path o = dir / ".stdout", e = dir / ".stderr";
  std::string full = "cd " + quote(dir.string()) + " && { " + cmd + " ; } >" + quote(o.string()) + " 2>" + quote(e.string());
  int st = std::system(full.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = read_file(o);
  r.err = read_file(e);
  return r;
}

inline std::string tapconv() { return quote((fs::path(tap::test::binary_dir()) / "bin" / "tapconv").string()); }
inline fs::path data_dir() { return fs::path(tap::test::source_dir()) / "tests" / "data" / "convert"; }
inline fs::path expected_dir() { return fs::path(tap::test::source_dir()) / "tests" / "data" / "expected" / "convert"; }

}  // namespace tap::convert::test
