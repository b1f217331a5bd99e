// A small JSON writer for tapinfo and tapverify: strings from a recording are untrusted bytes,
// so every string goes through append_json_string_body (valid UTF-8 out, invalid bytes U+FFFD).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tap/support/text.hpp"

namespace tap::format::tools {

class JsonOut {
 public:
  JsonOut& begin_object() { value_prefix(); out_ += '{'; first_.push_back(true); return *this; }
  JsonOut& end_object() { out_ += '}'; first_.pop_back(); return *this; }
  JsonOut& begin_array() { value_prefix(); out_ += '['; first_.push_back(true); return *this; }
  JsonOut& end_array() { out_ += ']'; first_.pop_back(); return *this; }
  JsonOut& key(std::string_view k) {
    comma();
    out_ += '"';
    append_json_string_body(out_, k);
    out_ += "\":";
    after_key_ = true;
    return *this;
  }
  JsonOut& str(std::string_view s) {
    value_prefix();
    out_ += '"';
    append_json_string_body(out_, s);
    out_ += '"';
    return *this;
  }
  JsonOut& num(int64_t v) { value_prefix(); out_ += std::to_string(v); return *this; }
  JsonOut& unum(uint64_t v) { value_prefix(); out_ += std::to_string(v); return *this; }
  JsonOut& dbl(double v) {
    value_prefix();
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", v);
    out_ += b;
    return *this;
  }
  JsonOut& boolean(bool v) { value_prefix(); out_ += v ? "true" : "false"; return *this; }
  JsonOut& null() { value_prefix(); out_ += "null"; return *this; }
  template <typename F>
  JsonOut& field(std::string_view k, F&& write) { key(k); write(*this); return *this; }
  const std::string& text() const { return out_; }

 private:
  void comma() {
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    comma();
  }
  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace tap::format::tools
