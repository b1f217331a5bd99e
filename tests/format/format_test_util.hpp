// Helpers shared by the tap::format tests: temporary files, random event streams, read-all.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tap/format/event.hpp"
#include "tap/format/session_reader.hpp"
#include "tap/format/session_writer.hpp"

namespace tap::format::test {

// A directory removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tapfmt-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    if (std::getenv("TAP_TEST_KEEP") == nullptr) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline SessionInfo sample_info() {
  SessionInfo info;
  for (size_t i = 0; i < 16; ++i) {
    info.session_id[i] = static_cast<uint8_t>(i + 1);
    info.file_id[i] = static_cast<uint8_t>(0xA0 + i);
    info.host_id[i] = static_cast<uint8_t>(0x10 + i);
    info.boot_id[i] = static_cast<uint8_t>(0x20 + i);
  }
  info.host_name = "testhost";
  info.start_wall_ns = 1'795'000'000'000'000'000;
  info.utc_offset_s = 3600;
  info.pty_index = 7;
  info.pty_dev = 0x1234;
  info.recorder = "taprec 0.1.0";
  info.term = "xterm-256color";
  return info;
}

// GCC 12 reports a moved-from std::variant<..., std::string, ...> as maybe uninitialized here
// (a false positive of its inliner); the warning is silenced for this function only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// A random stream of every event kind, times non-decreasing; sizes from empty to `max_payload`.
inline std::vector<Event> random_events(std::mt19937_64& rng, size_t count, size_t max_payload) {
  std::vector<Event> events;
  Nanos t = 0;
  auto bytes = [&](size_t max) {
    std::uniform_int_distribution<size_t> len_dist(0, max);
    size_t n = len_dist(rng);
    // Mostly small, sometimes large.
    if (rng() % 8 != 0) n %= 200;
    std::string s(n, '\0');
    // Text with some binary: 8 bytes per draw keeps megabyte payloads cheap to make.
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = rng();
      for (size_t k = 0; k < 8 && i + k < n; ++k, v >>= 8)
        s[i + k] = static_cast<char>((v & 0xC0) == 0 ? v : 'a' + (v & 0x3F) % 26);
    }
    return s;
  };
  for (size_t i = 0; i < count; ++i) {
    if (rng() % 3 != 0) t += static_cast<Nanos>(rng() % 3'000'000'000ULL);
    Event e;
    e.time = t;
    switch (rng() % 11) {
      case 0: e.body = Output{bytes(max_payload)}; break;
      case 1: e.body = Input{bytes(max_payload)}; break;
      case 2: e.body = InputSuppressed{static_cast<uint32_t>(rng())}; break;
      case 3: e.body = Resize{static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())}; break;
      case 4:
        e.body = Opener{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                        static_cast<Opener::Source>(rng() % 4), bytes(40)};
        break;
      case 5:
        e.body = WriterChange{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                              static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                              bytes(15)};
        break;
      case 6: {
        Exec x;
        x.pid = static_cast<uint32_t>(rng());
        x.uid = static_cast<uint32_t>(rng());
        x.euid = static_cast<uint32_t>(rng());
        x.filename = bytes(100);
        x.argv = bytes(300);
        e.body = std::move(x);
        break;
      }
      case 7: e.body = Marker{static_cast<Marker::Kind>(rng() % 6), bytes(50)}; break;
      case 8:
        e.body = Gap{static_cast<Stream>(rng() % 2), rng(), rng(), rng(),
                     static_cast<Gap::Reason>(rng() % 5)};
        break;
      case 9: e.body = Keyframe{i == 0 ? 0 : rng() % (i + 1), bytes(max_payload)}; break;
      default:
        e.body = Marker{Marker::Kind::note, "n"};
        break;
    }
    events.push_back(std::move(e));
  }
  return events;
}
#pragma GCC diagnostic pop

// Every event until the end or an error; `error` receives the error's kind if one came.
inline std::vector<Event> read_all(SessionReader& r, std::optional<ErrorKind>* error = nullptr) {
  std::vector<Event> out;
  for (;;) {
    auto e = r.next();
    if (!e) {
      if (error) *error = e.error().kind();
      break;
    }
    if (*e == nullptr) break;
    out.push_back(**e);
  }
  return out;
}

}  // namespace tap::format::test
