// libFuzzer entry point for SessionReader and the verifier: any bytes must give events or a
// typed error, never a crash, hang or unbounded allocation. The corpus (tests/format/corpus/)
// replays on every ctest through the plain driver.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tap/format/session_reader.hpp"
#include "tap/format/verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tap::format;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto r = SessionReader::open_buffer(bytes);
  if (r) {
    SessionReader& reader = **r;
    Nanos last = 0;
    for (int i = 0; i < 1'000'000; ++i) {
      auto e = reader.next();
      if (!e || *e == nullptr) break;
      last = (*e)->time;
    }
    (void)reader.seek(last / 2);
    (void)reader.next();
    (void)reader.seek_keyframe(last);
    (void)reader.next();
    (void)reader.seek(-1);
    (void)reader.duration();
  }
  Keyring none;
  (void)verify_buffer(std::move(bytes), &none);
  return 0;
}
