// libsodium must be initialised once before use; every user in tap::format calls this first.
#pragma once

namespace tap::format {
void ensure_sodium();
}  // namespace tap::format
