#include "tap/support/result.hpp"

#include <cstring>

namespace tap {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::internal: return "internal";
    case ErrorKind::invalid_argument: return "invalid_argument";
    case ErrorKind::io: return "io";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::permission: return "permission";
    case ErrorKind::exists: return "exists";
    case ErrorKind::truncated: return "truncated";
    case ErrorKind::corrupt: return "corrupt";
    case ErrorKind::unsupported_version: return "unsupported_version";
    case ErrorKind::tampered: return "tampered";
    case ErrorKind::untrusted: return "untrusted";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::timeout: return "timeout";
  }
  return "unknown";
}

Error Error::from_errno(std::string_view what, int err) {
  ErrorKind kind = ErrorKind::io;
  if (err == ENOENT) kind = ErrorKind::not_found;
  else if (err == EACCES || err == EPERM) kind = ErrorKind::permission;
  else if (err == EEXIST) kind = ErrorKind::exists;
  else if (err == ETIMEDOUT) kind = ErrorKind::timeout;
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return Error(kind, std::move(message));
}

}  // namespace tap
