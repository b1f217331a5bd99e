// Compact event encoding inside zstd frames (docs/format.md §Events).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tap/format/event.hpp"

namespace tap::format::codec {

// Appends one event: varint Δt (ns since the previous event of the frame), kind byte, varint
// body length, body.
void encode_event(std::string& out, Nanos delta, const Event& event);

enum class Parse { ok, need_more, corrupt };

// Parses the event header at data[0..): on ok sets delta, kind, body (a view into data) and
// *consumed. need_more when data ends inside the event; corrupt on an impossible length.
Parse parse_event(std::string_view data, uint64_t* delta, uint8_t* kind, std::string_view* body,
                  size_t* consumed);

// Decodes a body of a known kind into `out.body`; false when the kind is unknown (skipped by
// the reader) or the body is malformed.
enum class Body { ok, unknown_kind, corrupt };
Body decode_body(uint8_t kind, std::string_view body, Event& out);

}  // namespace tap::format::codec
