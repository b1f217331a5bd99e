// Reading util-linux `script` recordings as tap events: a typescript with a classic timing
// file (`script -t`: "DELAY BYTES" lines) or a --log-io file with a --log-timing file
// ("O|I DELAY BYTES", "S DELAY SIGWINCH ROWS=R COLS=C", "H DELAY NAME VALUE" lines). The mode is
// taken from the timing file's first line. Delays are relative to the previous entry.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tap/convert/decoder.hpp"
#include "tap/support/result.hpp"

namespace tap::convert {

// `typescript` may be "-" (standard input); the timing must be a file.
Result<std::unique_ptr<Decoder>> open_script_reader(const std::filesystem::path& typescript,
                                                    const std::filesystem::path& timing);
// Same over bytes in memory (tests).
Result<std::unique_ptr<Decoder>> open_script_buffers(std::string typescript, std::string timing);

}  // namespace tap::convert
