// tap_make_samples: regenerates samples/*.tap, samples/*.cast, samples/keys/ and the corrupt
// inputs in tests/data/corrupt/ from code (docs/format.md §Samples).
//   tap_make_samples SOURCE_DIR
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "file_surgery.hpp"
#include "sample_session.hpp"
#include "tap/support/text.hpp"
#include "tap/support/time_spec.hpp"
#include "zstd.h"

namespace fs = std::filesystem;
using namespace tap::format;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void put(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool fresh(const fs::path& p, bool signed_file, bool finish) {
  std::error_code ec;
  fs::remove(p, ec);
  auto r = samples::write_sample(p, signed_file, finish);
  if (!r) std::fprintf(stderr, "tap_make_samples: error: %s\n", r.error().what().c_str());
  else ::chmod(p.c_str(), 0644);
  return r.ok();
}

// The sample as asciicast v2 (what tapconv writes: o/i/r/m events, times in seconds).
std::string sample_cast() {
  std::string s = "{\"version\": 2, \"width\": 80, \"height\": 24, \"timestamp\": 1795694400, "
                  "\"env\": {\"TERM\": \"xterm-256color\", \"SHELL\": \"/bin/bash\"}}\n";
  auto line = [&](Nanos t, const char* code, std::string_view data) {
    char ts[32];
    std::snprintf(ts, sizeof ts, "%.6f", static_cast<double>(t) / 1e9);
    s += "[";
    s += ts;
    s += ", \"";
    s += code;
    s += "\", \"";
    tap::append_json_string_body(s, data);
    s += "\"]\n";
  };
  for (const Event& e : samples::sample_events()) {
    if (const auto* o = e.get<Output>()) line(e.time, "o", o->data);
    else if (const auto* i = e.get<Input>()) line(e.time, "i", i->data);
    else if (const auto* r = e.get<Resize>())
      line(e.time, "r", std::to_string(r->cols) + "x" + std::to_string(r->rows));
    else if (const auto* m = e.get<Marker>(); m && m->kind == Marker::Kind::prompt)
      line(e.time, "m", m->label);
  }
  return s;
}

// A DATA record's frame bytes replaced by a valid zstd frame holding `content`.
std::string replace_frame(std::string f, const surgery::Span& r, const std::string& content) {
  std::string z(ZSTD_compressBound(content.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), content.data(), content.size(), 3));
  std::string prefix = f.substr(r.offset + 32, 16);
  std::string rec = f.substr(r.offset, 32) + prefix + z;
  std::string len;
  wire::put_u32(len, static_cast<uint32_t>(rec.size() - 32));
  rec.replace(8, 4, len);
  rec[5] = static_cast<char>(layout::kDataFrameStart | layout::kDataFrameEnd);
  surgery::fix_crc(rec, surgery::Span{0, rec.size(), 1, 0});
  return f.substr(0, r.offset) + rec + f.substr(r.offset + r.size);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tap_make_samples SOURCE_DIR\n");
    return 2;
  }
  fs::path src = argv[1];
  fs::path samples_dir = src / "samples";
  fs::path corrupt = src / "tests/data/corrupt";
  fs::create_directories(samples_dir / "keys");
  fs::create_directories(corrupt);
  if (!fresh(samples_dir / "session.tap", true, true)) return 1;
  if (!fresh(samples_dir / "unsigned.tap", false, true)) return 1;
  fs::path tmp = samples_dir / "crashed.tmp";
  if (!fresh(tmp, true, false)) return 1;
  // A crash mid-write: the last record is cut short.
  std::string crashed = slurp(tmp);
  fs::remove(tmp);
  put(samples_dir / "crashed.tap", crashed.substr(0, crashed.size() - 7));
  put(samples_dir / "session.cast", sample_cast());
  auto key = samples::sample_key();
  put(samples_dir / "keys" / (key->id() + ".pub"), key->public_key().to_text());

  // Corrupt inputs, each with the error kind the reader must give (MANIFEST).
  const std::string good = slurp(samples_dir / "session.tap");
  auto recs = surgery::records(good);
  std::vector<surgery::Span> data;
  for (const auto& r : recs)
    if (r.type == 1) data.push_back(r);
  const surgery::Span mid = data[data.size() / 2];
  std::string manifest =
      "# file  expected-error-kind  what was done (tests/format/corrupt_test.cpp reads this)\n";
  auto emit = [&](const std::string& name, const std::string& bytes, const std::string& kind,
                  const std::string& what) {
    put(corrupt / name, bytes);
    manifest += name + "  " + kind + "  " + what + "\n";
  };
  emit("empty.tap", "", "truncated", "zero bytes");
  emit("not-tap.tap", "#!/bin/sh\necho this is not a recording\n", "corrupt", "a shell script");
  emit("cut-header.tap", good.substr(0, 100), "truncated", "the file ends inside the header");
  {
    std::string f = good;
    f[0] = 'X';
    emit("bad-magic.tap", f, "corrupt", "first magic byte changed");
  }
  {
    std::string f = good;
    f[8] = 9;
    surgery::fix_header_crc(f);
    emit("future-version.tap", f, "unsupported_version", "version 9 with a valid header CRC");
  }
  {
    std::string f = good;
    f[200] ^= 0x20;
    emit("header-crc.tap", f, "corrupt", "a header byte flipped");
  }
  {
    std::string f = good;
    f[mid.offset + 32 + 20] ^= 0x01;
    emit("payload-crc.tap", f, "corrupt", "a byte flipped in a DATA payload mid-file");
  }
  {
    std::string f = good;
    std::string len;
    wire::put_u32(len, 0xFFFFFFF0u);
    f.replace(mid.offset + 8, 4, len);
    emit("impossible-length.tap", f, "corrupt", "a record length of 4 GiB mid-file");
  }
  {
    std::string f = good;
    for (size_t i = 0; i < 48; ++i) f[mid.offset + i] = static_cast<char>(0x41 + i % 26);
    emit("garbage-middle.tap", f, "corrupt", "48 bytes of text over a record header");
  }
  {
    std::string f = good;
    f.erase(mid.offset, mid.size);
    emit("dropped-record.tap", f, "corrupt", "one DATA record removed");
  }
  {
    // The zstd frame header of a frame mid-file.
    surgery::Span start = data[0];
    for (const auto& r : data)
      if ((r.flags & layout::kDataFrameStart) && r.offset >= mid.offset) {
        start = r;
        break;
      }
    std::string f = good;
    for (size_t i = 16; i < 24; ++i) f[start.offset + 32 + i] = static_cast<char>(0xA5);
    surgery::fix_crc(f, start);
    emit("zstd-garbage.tap", f, "corrupt", "a zstd frame header overwritten, CRC recomputed");
  }
  {
    // A valid zstd frame whose content is an event with an impossible length.
    std::string ev;
    wire::put_varint(ev, 0);
    wire::put_u8(ev, 1);
    wire::put_varint(ev, uint64_t{1} << 40);
    emit("impossible-event.tap", replace_frame(good, data[0], ev + std::string(32, 'x')), "corrupt",
         "first frame holds an event claiming 1 TiB");
  }
  {
    std::string f = good;
    f[mid.offset + 4] = 77;
    surgery::fix_crc(f, mid);
    emit("unknown-record-type.tap", f, "unsupported_version", "record type 77, CRC recomputed");
  }
  {
    std::string f = good;
    std::string zeros(64 * 1024, '\0');
    emit("zeros-then-data.tap", f.substr(0, mid.offset) + zeros + f.substr(mid.offset), "corrupt",
         "64 KiB of zeros inserted before a record");
  }
  emit("torn-tail.tap", good.substr(0, mid.offset + mid.size / 2), "none",
       "cut inside a record: a warning, not an error");
  emit("zero-tail.tap", good.substr(0, mid.offset) + std::string(8192, '\0'), "none",
       "cut at a record and 8 KiB of zeros appended: a warning, not an error");
  put(corrupt / "MANIFEST", manifest);
  std::printf("samples in %s, corrupt inputs in %s\n", samples_dir.c_str(), corrupt.c_str());
  return 0;
}
