// Fuzz entry point: every decoder of the live protocol and the worker channel over arbitrary
// bytes, directly and through the frame reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tap/live/protocol.hpp"
#include "tap/live/worker_channel.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)tap::live::decode_message(in);
  (void)tap::live::decode_request(in);
  (void)tap::live::worker::decode(in);
  tap::live::FrameReader reader(1 << 16);
  reader.append(in);
  for (int i = 0; i < 1000; ++i) {
    auto f = reader.next();
    if (!f.ok() || !f->has_value()) break;
    (void)tap::live::decode_message(**f);
  }
  return 0;
}
