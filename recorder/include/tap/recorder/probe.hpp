// Probe: the loaded and attached BPF capture programs and their ring buffer, in RAII.
//
// open() loads tty_capture (one hook flavour, one object variant), reuses or creates the
// pinned maps under `pin_dir`, attaches, pins the links, and only then takes ownership of recording (the
// config map's owner field), so a daemon restarted after a crash takes over from programs
// still attached by its predecessor without counting any call twice or not at all. While no
// daemon runs after a crash, the pinned programs keep counting stream offsets and filling
// the ring, so the restart knows exactly what it missed. stop() (clean shutdown) detaches
// everything and removes the pins.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tap/recorder/session_observer.hpp"
#include "tap/support/result.hpp"

namespace tap::recorder {

enum class Hooks { automatic, tracepoint, raw_tp };
std::string_view hooks_name(Hooks hooks);
Result<Hooks> parse_hooks(std::string_view text);

// Which capture object to load. Both come from bpf/tty_capture.bpf.c: `fast` walks kernel
// pointers with direct loads through the bpf_rdonly_cast kfunc (Linux 6.2+), `compat` with one
// CO-RE probe read per field (Linux 5.17+, e.g. Debian 12's 6.1). `automatic` takes fast when
// the kernel's BTF has the kfunc, else compat, and falls back to compat if fast fails to load.
enum class BpfVariant { automatic, fast, compat };
std::string_view bpf_variant_name(BpfVariant variant);
Result<BpfVariant> parse_bpf_variant(std::string_view text);

// What `wanted` resolves to on the running kernel (never automatic) and why, as a phrase.
struct VariantChoice {
  BpfVariant variant = BpfVariant::compat;
  std::string why;
};
VariantChoice choose_bpf_variant(BpfVariant wanted);

enum class InputMode : uint32_t { all = 0, suppress_passwords = 1, none = 2 };
std::string_view input_mode_name(InputMode mode);
Result<InputMode> parse_input_mode(std::string_view text);

struct ProbeOptions {
  Hooks hooks = Hooks::automatic;
  BpfVariant variant = BpfVariant::automatic;
  uint64_t ring_bytes = 64ull << 20;               // power of two, >= 16 MiB unless allow_small_ring
  bool allow_small_ring = false;                   // tests of forced loss only
  bool test_break_fast = false;  // tests of the compat fallback only: the fast object cannot load
  std::filesystem::path pin_dir = "/sys/fs/bpf/taprec";
  InputMode input = InputMode::suppress_passwords;
  uint64_t wake_bytes = 256 * 1024;                // wake the consumer at this backlog
};

// Sums of the per-CPU counters (tty_capture.h struct tap_stats).
struct ProbeStats {
  uint64_t records = 0;
  uint64_t drop_records = 0;
  uint64_t drop_bytes = 0;
  uint64_t fault_bytes = 0;
  uint64_t trunc_bytes = 0;
};

// Kernel state of one session (pinned map "sessions").
struct KernelSession {
  SessionKey key;  // generation from the map
  uint64_t out_off = 0;
  uint64_t in_off = 0;
  bool closed = false;
  bool hung = false;
};

// Receives each ring record's bytes (valid only during the call).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void record(std::span<const uint8_t> bytes) = 0;
};

class Probe {
 public:
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  static Result<std::unique_ptr<Probe>> open(const ProbeOptions& options, RecordSink* sink);

  // Becomes readable when the programs force a wake-up; poll it with a timeout as well
  // (wake-ups are batched).
  int ring_fd() const;
  // Drains every record now in the ring into the sink; returns how many.
  Result<size_t> consume();

  Hooks hooks() const { return hooks_; }       // the flavour attached
  BpfVariant variant() const { return variant_; }  // the object loaded (fast or compat)
  bool took_over() const { return took_over_; } // programs of a previous daemon were running
  ProbeStats stats() const;
  Result<void> set_input_mode(InputMode mode);
  std::vector<KernelSession> sessions() const;

  // Clean shutdown: stop recording, detach, remove the pins.
  void stop();

 private:
  struct Impl;
  explicit Probe(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  Hooks hooks_ = Hooks::tracepoint;
  BpfVariant variant_ = BpfVariant::fast;
  bool took_over_ = false;
};

// What `taprec check` reports.
struct CheckReport {
  bool can_record = false;
  Hooks hooks = Hooks::tracepoint;
  BpfVariant variant = BpfVariant::fast;  // the object that loaded (when can_record)
  std::vector<std::string> lines;  // human-readable findings, one per line
};
// Loads and attaches the programs for a moment (with a private pin dir) to find out.
CheckReport check_kernel(Hooks wanted, BpfVariant variant = BpfVariant::automatic);

// Mounts tracefs and bpffs when they are missing (libbpf finds tracepoint ids in tracefs;
// pins need a bpffs).
Result<void> ensure_kernel_mounts(const std::filesystem::path& pin_dir);

}  // namespace tap::recorder
