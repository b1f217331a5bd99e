// Fuzz entry point for the asciicast reader: any bytes, read to the end, never crash, never
// yield decreasing times or a size of zero.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tap/convert/cast_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto dec = tap::convert::open_cast_buffer(std::string(reinterpret_cast<const char*>(data), size));
  if (!dec.ok()) return 0;
  int64_t last = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    auto e = (*dec)->next();
    if (!e.ok() || *e == nullptr) break;
    if ((*e)->time < last) std::abort();
    last = (*e)->time;
    if (const auto* r = (*e)->get<tap::format::Resize>(); r && (r->cols == 0 || r->rows == 0)) std::abort();
  }
  return 0;
}
