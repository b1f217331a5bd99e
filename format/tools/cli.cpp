#include "cli.hpp"

#include "tap/format/keys.hpp"
#include "tap/support/version.hpp"

namespace tap::format::tools {

void add_info_options(CLI::App& app, InfoOptions& o) {
  app.description("Show what a .tap recording holds: metadata, timeline, completeness, seals.");
  app.add_option("FILE", o.files, "recordings to describe (.tap)")->required();
  app.add_flag("--json", o.json, "print one JSON object per file (an array for several)");
  app.add_flag("--events", o.events,
               "list every event except output and input (writers, resizes, markers, gaps)");
  app.add_option("--keyring", o.keyring,
                 "directory of trusted public keys for the seal status (default " +
                     std::string(kDefaultKeyDir) + ")");
  app.set_version_flag("--version", std::string("tapinfo ") + tap::kVersion);
}

void add_verify_options(CLI::App& app, VerifyOptions& o) {
  app.description(
      "Verify the integrity of .tap recordings: structure, checksums, hash chain and signed "
      "seals.\nExit: 0 complete and untouched, 1 sealed prefix with an unsealed or torn tail, "
      "2 usage or I/O error, 3 tampered or corrupt, 4 no trusted key; the worst file wins.");
  app.add_option("FILE", o.files, "recordings to verify (.tap)")->required();
  app.add_option("--key", o.keys, "trust this public key file (<id>.pub); repeatable");
  app.add_option("--keyring", o.keyring,
                 "trust every *.pub in this directory (default " + std::string(kDefaultKeyDir) +
                     " when no --key is given)");
  app.add_flag("--json", o.json, "print one JSON object per file (an array for several)");
  app.add_flag("-q,--quiet", o.quiet, "print nothing; only the exit code tells");
  app.set_version_flag("--version", std::string("tapverify ") + tap::kVersion);
}

}  // namespace tap::format::tools
