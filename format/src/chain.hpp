// The SHA-256 hash chain over a file's stored bytes (docs/integrity.md §Chain).
#pragma once

#include <sodium.h>

#include <string_view>

#include "layout.hpp"
#include "sodium_init.hpp"

namespace tap::format {

class Chain {
 public:
  // H0 = SHA-256("tap/v1/chain\0" ‖ file header bytes).
  void start(std::string_view header) {
    ensure_sodium();
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    update(st, layout::kChainDomain);
    update(st, header);
    crypto_hash_sha256_final(&st, head_.data());
  }
  // Hi = SHA-256(Hi-1 ‖ record header ‖ payload), the payload given in up to two pieces.
  void add(std::string_view header, std::string_view payload_a, std::string_view payload_b = {}) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, head_.data(), head_.size());
    update(st, header);
    update(st, payload_a);
    update(st, payload_b);
    crypto_hash_sha256_final(&st, head_.data());
  }
  const Hash256& head() const { return head_; }
  void reset(const Hash256& head) { head_ = head; }

 private:
  static void update(crypto_hash_sha256_state& st, std::string_view s) {
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  }
  Hash256 head_{};
};

}  // namespace tap::format
