// Ed25519 keys that sign a recording's seals (docs/integrity.md §Keys).
//
// A host key pair lives in a key directory (default /etc/taprec/keys): `<id>.key` holds the
// secret seed (mode 0600, root-only) and `<id>.pub` the public key an auditor verifies with.
// A key id is 16 hex digits derived from the public key, so a key cannot be swapped under an
// existing id.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tap/support/result.hpp"

namespace tap::format {

inline constexpr std::string_view kDefaultKeyDir = "/etc/taprec/keys";

using Signature = std::array<uint8_t, 64>;

class PublicKey {
 public:
  PublicKey() = default;
  explicit PublicKey(const std::array<uint8_t, 32>& bytes);

  // Reads a `<id>.pub` file ("tap-ed25519 <id> <64 hex digits>").
  static Result<PublicKey> load(const std::filesystem::path& path);
  static Result<PublicKey> parse(std::string_view text);

  const std::string& id() const { return id_; }
  const std::array<uint8_t, 32>& bytes() const { return bytes_; }
  bool verify(std::string_view message, std::string_view signature) const;
  // The `<id>.pub` file's contents.
  std::string to_text() const;

 private:
  std::array<uint8_t, 32> bytes_{};
  std::string id_;
};

class SigningKey {
 public:
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // A new random key (not saved).
  static std::shared_ptr<const SigningKey> generate();
  // A key from a 32-byte seed: deterministic, for tests and samples.
  static std::shared_ptr<const SigningKey> from_seed(const std::array<uint8_t, 32>& seed);
  // Reads a `<id>.key` file.
  static Result<std::shared_ptr<const SigningKey>> load(const std::filesystem::path& key_file);
  // The host key in `dir`: the only `*.key` there, created (dir 0700, key 0600, pub 0644) when
  // there is none. Several keys: the newest by modification time signs (rotation keeps the old
  // ones' .pub for verification).
  static Result<std::shared_ptr<const SigningKey>> load_or_create(
      const std::filesystem::path& dir = std::filesystem::path(kDefaultKeyDir));

  // Writes `<id>.key` and `<id>.pub` into `dir` (refuses to overwrite).
  Result<void> save(const std::filesystem::path& dir) const;

  const std::string& id() const { return public_.id(); }
  const PublicKey& public_key() const { return public_; }
  Signature sign(std::string_view message) const;

 private:
  SigningKey() = default;
  std::array<uint8_t, 64> secret_{};  // libsodium's seed ‖ public key form
  PublicKey public_;
};

// Public keys an auditor trusts.
class Keyring {
 public:
  // Every `*.pub` in `dir`.
  static Result<Keyring> load_dir(const std::filesystem::path& dir);
  // Adds every `*.pub` in `dir`.
  Result<void> add_dir(const std::filesystem::path& dir);
  void add(PublicKey key);
  const PublicKey* find(std::string_view id) const;
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

 private:
  std::vector<PublicKey> keys_;
};

}  // namespace tap::format
