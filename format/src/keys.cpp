#include "tap/format/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sodium_init.hpp"
#include "tap/support/fd.hpp"

namespace tap::format {

void ensure_sodium() {
  static const int once = sodium_init();
  (void)once;
}

namespace {

std::string to_hex(const uint8_t* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[p[i] >> 4]);
    s.push_back(kDigits[p[i] & 15]);
  }
  return s;
}

bool from_hex(std::string_view hex, uint8_t* out, size_t n) {
  if (hex.size() != n * 2) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < n; ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  TAP_TRY(Fd fd, Fd::open(path.string(), O_RDONLY));
  char buf[1024];
  TAP_TRY(size_t n, pread_full(fd.get(), buf, sizeof buf, 0));
  if (n == sizeof buf) return fail(ErrorKind::corrupt, path.string() + ": not a key file (too long)");
  return std::string(buf, n);
}

Result<void> write_new_file(const std::filesystem::path& path, std::string_view data,
                            unsigned mode) {
  TAP_TRY(Fd fd, Fd::open(path.string(), O_WRONLY | O_CREAT | O_EXCL, mode));
  TAP_CHECK(write_all(fd.get(), data));
  if (::fsync(fd.get()) != 0) return fail(Error::from_errno("fsync " + path.string(), errno));
  return {};
}

}  // namespace

PublicKey::PublicKey(const std::array<uint8_t, 32>& bytes) : bytes_(bytes) {
  ensure_sodium();
  static constexpr char kDomain[] = "tap/v1/key";
  uint8_t h[32];
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(kDomain), sizeof kDomain);
  crypto_hash_sha256_update(&st, bytes_.data(), bytes_.size());
  crypto_hash_sha256_final(&st, h);
  id_ = to_hex(h, 8);
}

Result<PublicKey> PublicKey::parse(std::string_view text) {
  auto w = split_words(text);
  std::array<uint8_t, 32> pk{};
  if (w.size() != 3 || w[0] != "tap-ed25519" || !from_hex(w[2], pk.data(), 32))
    return fail(ErrorKind::corrupt, "not a tap public key (expected \"tap-ed25519 ID HEX\")");
  PublicKey key(pk);
  if (key.id() != w[1])
    return fail(ErrorKind::corrupt, "key id " + std::string(w[1]) + " does not match the key");
  return key;
}

Result<PublicKey> PublicKey::load(const std::filesystem::path& path) {
  TAP_TRY(std::string text, read_small_file(path));
  auto key = parse(text);
  if (!key) return fail(std::move(key).error().context(path.string()));
  return key;
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != crypto_sign_BYTES || id_.empty()) return false;
  ensure_sodium();
  return crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(signature.data()),
                                     reinterpret_cast<const uint8_t*>(message.data()),
                                     message.size(), bytes_.data()) == 0;
}

std::string PublicKey::to_text() const {
  return "tap-ed25519 " + id_ + " " + to_hex(bytes_.data(), bytes_.size()) + "\n";
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }

std::shared_ptr<const SigningKey> SigningKey::from_seed(const std::array<uint8_t, 32>& seed) {
  ensure_sodium();
  std::shared_ptr<SigningKey> key(new SigningKey());
  std::array<uint8_t, 32> pk{};
  crypto_sign_seed_keypair(pk.data(), key->secret_.data(), seed.data());
  key->public_ = PublicKey(pk);
  return key;
}

std::shared_ptr<const SigningKey> SigningKey::generate() {
  ensure_sodium();
  std::array<uint8_t, 32> seed{};
  randombytes_buf(seed.data(), seed.size());
  auto key = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<std::shared_ptr<const SigningKey>> SigningKey::load(const std::filesystem::path& key_file) {
  TAP_TRY(std::string text, read_small_file(key_file));
  auto w = split_words(text);
  std::array<uint8_t, 32> seed{};
  if (w.size() != 3 || w[0] != "tap-ed25519-secret" || !from_hex(w[2], seed.data(), 32))
    return fail(ErrorKind::corrupt, key_file.string() + ": not a tap secret key");
  auto key = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  const bool id_matches = key->id() == w[1];
  sodium_memzero(text.data(), text.size());  // w points into text: compared above
  if (!id_matches)
    return fail(ErrorKind::corrupt, key_file.string() + ": key id does not match the key");
  return key;
}

Result<void> SigningKey::save(const std::filesystem::path& dir) const {
  std::string text = "tap-ed25519-secret " + id() + " " + to_hex(secret_.data(), 32) + "\n";
  auto r = write_new_file(dir / (id() + ".key"), text, 0600);
  sodium_memzero(text.data(), text.size());
  TAP_CHECK(r);
  auto pub = dir / (id() + ".pub");
  std::error_code ec;
  if (!std::filesystem::exists(pub, ec)) TAP_CHECK(write_new_file(pub, public_.to_text(), 0644));
  return {};
}

Result<std::shared_ptr<const SigningKey>> SigningKey::load_or_create(
    const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(ErrorKind::io, "create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  std::filesystem::path newest;
  std::filesystem::file_time_type newest_time{};
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".key") continue;
    auto t = e.last_write_time(ec);
    if (newest.empty() || t > newest_time) {
      newest = e.path();
      newest_time = t;
    }
  }
  if (ec) return fail(ErrorKind::io, "read " + dir.string() + ": " + ec.message());
  if (!newest.empty()) return load(newest);
  auto key = generate();
  TAP_CHECK(key->save(dir));
  return key;
}

Signature SigningKey::sign(std::string_view message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

Result<Keyring> Keyring::load_dir(const std::filesystem::path& dir) {
  Keyring ring;
  TAP_CHECK(ring.add_dir(dir));
  return ring;
}

Result<void> Keyring::add_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".pub") files.push_back(e.path());
  if (ec) return fail(ErrorKind::io, "read keyring " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    TAP_TRY(PublicKey key, PublicKey::load(f));
    add(std::move(key));
  }
  return {};
}

void Keyring::add(PublicKey key) {
  if (find(key.id()) == nullptr) keys_.push_back(std::move(key));
}

const PublicKey* Keyring::find(std::string_view id) const {
  for (const PublicKey& k : keys_)
    if (k.id() == id) return &k;
  return nullptr;
}

}  // namespace tap::format
