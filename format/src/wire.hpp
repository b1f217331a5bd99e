// Little-endian integers and LEB128 varints: the primitives of docs/format.md §Conventions.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

namespace tap::format::wire {

inline void put_u8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_u16(std::string& out, uint16_t v) {
  char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  out.append(b, 2);
}
inline void put_u32(std::string& out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 4);
}
inline void put_u64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}
inline void put_varint(std::string& out, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out.append(b, static_cast<size_t>(n));
}
// A byte string preceded by its varint length.
inline void put_bytes(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

inline uint16_t get_u16(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}
inline uint32_t get_u32(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}
inline uint64_t get_u64(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// A bounds-checked cursor over untrusted bytes: every getter fails (returns false) instead of
// reading past the end, and a failed cursor stays failed.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool at_end() const { return ok_ && pos_ == data_.size(); }

  bool u8(uint8_t& v) {
    if (!need(1)) return false;
    v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool u16(uint16_t& v) {
    if (!need(2)) return false;
    v = get_u16(data_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (!need(4)) return false;
    v = get_u32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool u64(uint64_t& v) {
    if (!need(8)) return false;
    v = get_u64(data_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool i64(int64_t& v) {
    uint64_t u = 0;
    if (!u64(u)) return false;
    v = static_cast<int64_t>(u);
    return true;
  }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = 0;
      if (!u8(b)) return false;
      if (shift == 63 && b > 1) return fail();
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return fail();
  }
  template <typename T>
  bool varint_as(T& v) {  // unsigned T only; values that do not fit fail
    uint64_t u = 0;
    if (!varint(u)) return false;
    if (u > std::numeric_limits<T>::max()) return fail();
    v = static_cast<T>(u);
    return true;
  }
  bool raw(size_t n, std::string_view& v) {
    if (!need(n)) return false;
    v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool bytes(std::string_view& v, size_t max) {
    uint64_t n = 0;
    if (!varint(n)) return false;
    if (n > max) return fail();
    return raw(static_cast<size_t>(n), v);
  }
  bool bytes(std::string& v, size_t max) {
    std::string_view s;
    if (!bytes(s, max)) return false;
    v.assign(s);
    return true;
  }
  // The rest of the input.
  std::string_view rest() {
    if (!ok_) return {};
    std::string_view r = data_.substr(pos_);
    pos_ = data_.size();
    return r;
  }
  bool fail() {
    ok_ = false;
    return false;
  }

 private:
  bool need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) return fail();
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace tap::format::wire
