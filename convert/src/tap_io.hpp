// .tap on both sides of a conversion, through tap::format's reader and writer; keyframes on
// import by tap::term's KeyframingWriter.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "tap/convert/decoder.hpp"
#include "tap/convert/encoder.hpp"
#include "tap/term/terminal.hpp"

namespace tap::convert {

// `path` "-": standard input, read whole (the reader needs to seek); `head`: bytes of it
// already read. A file is read with every segment of its session, as one stream.
Result<std::unique_ptr<Decoder>> open_tap_decoder(const std::string& path, std::string head = {});
// Writes a new .tap at `path` (which must not exist), marked imported, with fresh ids.
std::unique_ptr<Encoder> make_tap_encoder(std::filesystem::path path, bool keyframes);

}  // namespace tap::convert

namespace tap::convert {
// When `d` reads a .tap: positions it at the last keyframe before time `t` and returns that
// keyframe's terminal, from which replaying the events up to `t` gives the screen at `t`.
// nullopt (and `d` at the start) when there is no usable keyframe or `d` is not a .tap.
Result<std::optional<term::Terminal>> seek_screen_before(Decoder& d, format::Nanos t);
// A warning about how a .tap input ended (a torn tail), when `d` reads a .tap.
std::optional<std::string> tap_status_warning(const Decoder& d);
}  // namespace tap::convert
