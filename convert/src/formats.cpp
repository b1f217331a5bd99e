#include "tap/convert/formats.hpp"

#include <string>

namespace tap::convert {

std::optional<Format> parse_format(std::string_view n) {
  if (n == "tap") return Format::tap;
  if (n == "v1" || n == "cast-v1" || n == "asciicast-v1") return Format::cast_v1;
  if (n == "v2" || n == "cast" || n == "cast-v2" || n == "asciicast" || n == "asciicast-v2")
    return Format::cast_v2;
  if (n == "v3" || n == "cast-v3" || n == "asciicast-v3") return Format::cast_v3;
  if (n == "raw") return Format::raw;
  if (n == "text" || n == "txt") return Format::text;
  if (n == "strip") return Format::strip;
  if (n == "script" || n == "typescript") return Format::script;
  if (n == "log-io" || n == "script-io") return Format::script_io;
  if (n == "jsonl" || n == "json" || n == "ndjson") return Format::jsonl;
  return std::nullopt;
}

std::string_view format_name(Format f) {
  switch (f) {
    case Format::tap: return "tap";
    case Format::cast_v1: return "asciicast v1";
    case Format::cast_v2: return "asciicast v2";
    case Format::cast_v3: return "asciicast v3";
    case Format::raw: return "raw";
    case Format::text: return "text";
    case Format::strip: return "strip";
    case Format::script: return "script";
    case Format::script_io: return "script --log-io";
    case Format::jsonl: return "jsonl";
  }
  return "?";
}

std::optional<Format> format_from_extension(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string ext(base.substr(dot + 1));
  for (auto& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (ext == "tap") return Format::tap;
  if (ext == "cast") return Format::cast_v2;
  if (ext == "raw") return Format::raw;
  if (ext == "txt") return Format::text;
  if (ext == "jsonl" || ext == "ndjson") return Format::jsonl;
  if (ext == "timing" || ext == "log" || ext == "typescript") return Format::script;
  return std::nullopt;
}

bool can_read(Format f) {
  return f == Format::tap || f == Format::cast_v1 || f == Format::cast_v2 || f == Format::cast_v3 ||
         f == Format::script || f == Format::script_io;
}

bool can_write(Format f) { return f != Format::cast_v1; }

}  // namespace tap::convert
