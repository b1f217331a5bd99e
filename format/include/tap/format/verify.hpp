// Integrity verification of .tap files (docs/integrity.md §Verifying): structure, CRCs, the
// SHA-256 chain, seals and their signatures against trusted public keys. tapverify prints this.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tap/format/keys.hpp"
#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::format {

// Ordered by severity; the values are tapverify's exit codes.
enum class Verdict : int {
  complete = 0,       // sealed END, every record chained and signed by a trusted key
  sealed_prefix = 1,  // intact and trusted up to the last seal; an unsealed or torn tail follows
  io_error = 2,       // the file could not be read
  tampered = 3,       // the bytes are not what was sealed, or the structure is corrupt
  untrusted = 4,      // intact, but no trusted key vouches for it (unsigned, unknown key)
};
std::string_view verdict_name(Verdict v);  // "complete", "sealed-prefix", ...

struct VerifyReport {
  Verdict verdict = Verdict::complete;
  std::string summary;                  // one line, for humans
  std::optional<uint64_t> bad_record;   // first record that failed, when one did
  std::optional<uint64_t> bad_offset;   // its file offset
  uint64_t file_bytes = 0;
  uint64_t records = 0;                 // records that passed every check
  uint64_t seals = 0;                   // SEAL and END records matching the chain
  uint64_t signed_seals = 0;            // ... with a valid signature by a trusted key
  uint64_t sealed_records = 0;          // records covered by the last good seal (incl. it)
  uint64_t sealed_bytes = 0;            // file bytes covered by it
  int64_t sealed_time = 0;              // session time of the last good seal
  uint64_t unsealed_records = 0;        // intact records after it
  uint64_t events = 0;                  // events decoded from the intact records
  bool has_end = false;
  bool torn_tail = false;
  bool zero_tail = false;
  std::string key_id;                   // from the header
  bool key_trusted = false;
  Hash256 last_sealed_head{};
  uint64_t last_sealed_seq = 0;
  Hash256 chain_start{};                // H0, the chain head over the file header alone
  std::vector<std::string> notes;       // warnings and facts worth printing
};

// Verifies one file. `keyring` may be null or empty: the result is then at best `untrusted`.
// Only a failure to open the file is an Error (verdict io_error); everything about its
// contents is in the report.
VerifyReport verify_file(const std::filesystem::path& path, const Keyring* keyring);
VerifyReport verify_buffer(std::string bytes, const Keyring* keyring);

}  // namespace tap::format
