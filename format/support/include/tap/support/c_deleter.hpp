// CDeleter<&fn>: a zero-size deleter so every C handle lives in a std::unique_ptr.
//   using ZstdCCtx = tap::CPtr<ZSTD_CCtx, &ZSTD_freeCCtx>;
#pragma once

#include <memory>

namespace tap {

template <auto Fn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) Fn(p);
  }
};

template <typename T, auto Fn>
using CPtr = std::unique_ptr<T, CDeleter<Fn>>;

}  // namespace tap
