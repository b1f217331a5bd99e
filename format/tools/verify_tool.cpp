// tapverify: prints one line per file (or JSON) and returns the worst verdict as exit code.
#include <cstdio>

#include "cli.hpp"
#include "json_out.hpp"
#include "tap/format/keys.hpp"
#include "tap/format/verify.hpp"
#include "tap/support/log.hpp"
#include "tap/support/text.hpp"

namespace tap::format::tools {
namespace {

std::string hex(const Hash256& h) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t b : h) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}

void report_json(JsonOut& j, const std::string& file, const VerifyReport& r) {
  j.begin_object();
  j.key("file").str(file);
  j.key("verdict").str(verdict_name(r.verdict));
  j.key("exit_code").num(static_cast<int>(r.verdict));
  j.key("summary").str(r.summary);
  j.key("bad_record");
  if (r.bad_record) j.unum(*r.bad_record); else j.null();
  j.key("bad_offset");
  if (r.bad_offset) j.unum(*r.bad_offset); else j.null();
  j.key("key_id").str(r.key_id);
  j.key("key_trusted").boolean(r.key_trusted);
  j.key("file_bytes").unum(r.file_bytes);
  j.key("records").unum(r.records);
  j.key("seals").unum(r.seals);
  j.key("signed_seals").unum(r.signed_seals);
  j.key("sealed_records").unum(r.sealed_records);
  j.key("sealed_bytes").unum(r.sealed_bytes);
  j.key("unsealed_records").unum(r.unsealed_records);
  j.key("events").unum(r.events);
  j.key("has_end").boolean(r.has_end);
  j.key("torn_tail").boolean(r.torn_tail);
  j.key("zero_tail").boolean(r.zero_tail);
  j.key("last_sealed_head").str(hex(r.last_sealed_head));
  j.key("notes").begin_array();
  for (const auto& n : r.notes) j.str(n);
  j.end_array();
  j.end_object();
}

}  // namespace

int run_tapverify(const VerifyOptions& o) {
  Keyring ring;
  for (const auto& k : o.keys) {
    auto key = PublicKey::load(k);
    if (!key) {
      log::error(escape_for_terminal(key.error().what()));
      return 2;
    }
    ring.add(*key);
  }
  // No --key and no --keyring: the host's key directory, when there is one.
  std::error_code ec;
  if (!o.keyring.empty() || (o.keys.empty() && std::filesystem::exists(kDefaultKeyDir, ec))) {
    std::string dir = o.keyring.empty() ? std::string(kDefaultKeyDir) : o.keyring;
    if (auto r = ring.add_dir(dir); !r) {
      log::error(escape_for_terminal(r.error().what()));
      return 2;
    }
  }
  int worst = 0;
  JsonOut j;
  if (o.json && o.files.size() > 1) j.begin_array();
  for (const auto& file : o.files) {
    VerifyReport r = verify_file(file, &ring);
    worst = std::max(worst, static_cast<int>(r.verdict));
    if (o.quiet) continue;
    if (o.json) {
      report_json(j, file, r);
      continue;
    }
    std::string line = escape_for_terminal(file) + ": " + escape_for_terminal(r.summary);
    std::printf("%s\n", line.c_str());
    for (const auto& n : r.notes) std::printf("  %s\n", escape_for_terminal(n).c_str());
  }
  if (o.json && !o.quiet) {
    if (o.files.size() > 1) j.end_array();
    std::printf("%s\n", j.text().c_str());
  }
  return worst;
}

}  // namespace tap::format::tools
