#include "tap/grep/literal_search.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tap::grep {

namespace {

// How common a byte is in terminal output, higher is more common: rough ranks, enough to pick
// the bytes of a needle that rarely occur (a common byte makes every block a candidate).
int commonness(unsigned char c) {
  if (c == ' ') return 250;
  if (std::strchr("etaoinsrhl", c) != nullptr && c != 0) return 200;
  if (c == 0x1b || c == '[' || c == 'm' || c == ';' || c == '\r' || c == '\n') return 190;
  if (c >= 'a' && c <= 'z') return 150;
  if (c >= '0' && c <= '9') return 140;
  if (std::strchr("-./:_=,", c) != nullptr && c != 0) return 110;
  if (c >= 'A' && c <= 'Z') return 90;
  if (c >= 0x80) return 70;
  if (c < 0x20) return 30;
  return 60;  // other punctuation
}

// Whole-needle compare at a candidate start.
inline bool same(const std::string& needle, const char* at) {
  return std::memcmp(at, needle.data(), needle.size()) == 0;
}

}  // namespace

// The few starts after the last whole block, and the whole search without SIMD: the same
// filter one start at a time (memmem prepares tables on every call, which costs more than the
// search on the short rest of a read).
size_t find_scalar(const LiteralSearch& s, const char* h, size_t n) {
  const size_t m = s.needle_.size();
  if (n < m) return std::string_view::npos;
  const char b1 = s.needle_[s.p1_], b2 = s.needle_[s.p2_];
  for (size_t i = 0; i + m <= n; ++i) {
    if (h[i + s.p1_] == b1 && h[i + s.p2_] == b2 && same(s.needle_, h + i)) return i;
  }
  return std::string_view::npos;
}

#if defined(__x86_64__)
size_t find_sse2(const LiteralSearch& s, const char* h, size_t n) {
  const size_t m = s.needle_.size();
  if (n < m) return std::string_view::npos;
  const size_t last = n - m;  // the last possible start
  const __m128i b1 = _mm_set1_epi8(s.needle_[s.p1_]), b2 = _mm_set1_epi8(s.needle_[s.p2_]);
  size_t i = 0;
  for (; i + 16 <= last + 1; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + s.p1_));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + s.p2_));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(x, b1), _mm_cmpeq_epi8(y, b2))));
    while (mask != 0) {
      const size_t at = i + static_cast<size_t>(__builtin_ctz(mask));
      if (same(s.needle_, h + at)) return at;
      mask &= mask - 1;
    }
  }
  const size_t rest = find_scalar(s, h + i, n - i);
  return rest == std::string_view::npos ? rest : i + rest;
}

__attribute__((target("avx2"))) size_t find_avx2(const LiteralSearch& s, const char* h, size_t n) {
  const size_t m = s.needle_.size();
  if (n < m) return std::string_view::npos;
  const size_t last = n - m;
  const __m256i b1 = _mm256_set1_epi8(s.needle_[s.p1_]), b2 = _mm256_set1_epi8(s.needle_[s.p2_]);
  size_t i = 0;
  for (; i + 32 <= last + 1; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + i + s.p1_));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + i + s.p2_));
    auto mask = static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(x, b1), _mm256_cmpeq_epi8(y, b2))));
    while (mask != 0) {
      const size_t at = i + static_cast<size_t>(__builtin_ctz(mask));
      if (same(s.needle_, h + at)) return at;
      mask &= mask - 1;
    }
  }
  const size_t rest = find_sse2(s, h + i, n - i);
  return rest == std::string_view::npos ? rest : i + rest;
}
#endif

LiteralSearch::LiteralSearch(std::string needle) : needle_(std::move(needle)) {
  if (needle_.size() < 2) return;  // memchr does it
  size_t best = 0;
  for (size_t i = 1; i < needle_.size(); ++i) {
    if (commonness(static_cast<unsigned char>(needle_[i])) < commonness(static_cast<unsigned char>(needle_[best]))) best = i;
  }
  // The second: the rarest at another offset, a different byte if there is one.
  size_t second = best == 0 ? 1 : 0;
  for (size_t i = 0; i < needle_.size(); ++i) {
    if (i == best) continue;
    const bool differs = needle_[i] != needle_[best], was = needle_[second] != needle_[best];
    if ((differs && !was) ||
        (differs == was && commonness(static_cast<unsigned char>(needle_[i])) <
                               commonness(static_cast<unsigned char>(needle_[second])))) {
      second = i;
    }
  }
  p1_ = best;
  p2_ = second;
  impl_ = &find_scalar;
#if defined(__x86_64__)
  impl_ = __builtin_cpu_supports("avx2") ? &find_avx2 : &find_sse2;
#endif
}

size_t LiteralSearch::find(std::string_view hay) const {
  if (needle_.empty()) return 0;
  if (needle_.size() == 1) {
    const void* hit = std::memchr(hay.data(), needle_[0], hay.size());
    return hit == nullptr ? std::string_view::npos : static_cast<size_t>(static_cast<const char*>(hit) - hay.data());
  }
  return impl_(*this, hay.data(), hay.size());
}

}  // namespace tap::grep
