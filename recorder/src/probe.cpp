#include "tap/recorder/probe.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <linux/magic.h>

#include "tap/support/c_deleter.hpp"
#include "tap/support/log.hpp"
#include "tty_capture.h"
#include "tty_capture.skel.h"
#include "tty_capture_compat.skel.h"

namespace tap::recorder {
namespace fs = std::filesystem;

std::string_view hooks_name(Hooks hooks) {
  switch (hooks) {
    case Hooks::automatic: return "auto";
    case Hooks::tracepoint: return "tracepoint";
    case Hooks::raw_tp: return "raw_tp";
  }
  return "?";
}

Result<Hooks> parse_hooks(std::string_view text) {
  if (text == "auto") return Hooks::automatic;
  if (text == "tracepoint") return Hooks::tracepoint;
  if (text == "raw_tp") return Hooks::raw_tp;
  return fail(ErrorKind::invalid_argument,
              "hooks must be auto, tracepoint or raw_tp, not '" + std::string(text) + "'");
}

std::string_view bpf_variant_name(BpfVariant variant) {
  switch (variant) {
    case BpfVariant::automatic: return "auto";
    case BpfVariant::fast: return "fast";
    case BpfVariant::compat: return "compat";
  }
  return "?";
}

Result<BpfVariant> parse_bpf_variant(std::string_view text) {
  if (text == "auto") return BpfVariant::automatic;
  if (text == "fast") return BpfVariant::fast;
  if (text == "compat") return BpfVariant::compat;
  return fail(ErrorKind::invalid_argument,
              "bpf-variant must be auto, fast or compat, not '" + std::string(text) + "'");
}

VariantChoice choose_bpf_variant(BpfVariant wanted) {
  if (wanted == BpfVariant::fast) return {BpfVariant::fast, "forced: bpf-variant fast"};
  if (wanted == BpfVariant::compat) return {BpfVariant::compat, "forced: bpf-variant compat"};
  CPtr<btf, &btf__free> vmlinux(btf__load_vmlinux_btf());
  if (!vmlinux)
    return {BpfVariant::compat, std::string("the kernel's BTF is unreadable: ") + std::strerror(errno)};
  if (btf__find_by_name_kind(vmlinux.get(), "bpf_rdonly_cast", BTF_KIND_FUNC) > 0)
    return {BpfVariant::fast, "the kernel has the bpf_rdonly_cast kfunc, Linux 6.2+"};
  return {BpfVariant::compat, "the kernel has no bpf_rdonly_cast kfunc, older than Linux 6.2"};
}

std::string_view input_mode_name(InputMode mode) {
  switch (mode) {
    case InputMode::all: return "all";
    case InputMode::suppress_passwords: return "suppress-passwords";
    case InputMode::none: return "none";
  }
  return "?";
}

Result<InputMode> parse_input_mode(std::string_view text) {
  if (text == "all") return InputMode::all;
  if (text == "suppress-passwords") return InputMode::suppress_passwords;
  if (text == "none") return InputMode::none;
  return fail(ErrorKind::invalid_argument,
              "input must be all, suppress-passwords or none, not '" + std::string(text) + "'");
}

namespace {

constexpr const char* kTracefs = "/sys/kernel/tracing";

bool is_fs(const fs::path& path, long magic) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == magic;
}

bool syscall_tracepoints_exist() {
  return ::access("/sys/kernel/tracing/events/syscalls/sys_enter_read", F_OK) == 0;
}

// Which flavour a program belongs to: "tp_*" per-syscall tracepoints, "rt_enter"/"rt_exit"
// raw_tp; "rt_exec" (sched_process_exec) serves both.
bool wanted(std::string_view name, Hooks hooks) {
  if (name == "rt_exec") return true;
  if (name.substr(0, 3) == "tp_") return hooks == Hooks::tracepoint;
  return hooks == Hooks::raw_tp;
}

uint32_t random_instance_id() {
  uint32_t id = 0;
  while (id == 0) {
    if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint32_t>(::getpid());
  }
  return id;
}

// Removes the pins in `dir`: every one, or only the links (link_*).
void remove_pins(const fs::path& dir, bool maps_too) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    bool is_link = name.rfind("link_", 0) == 0;
    if (!is_link && !maps_too) continue;
    fs::remove(e.path(), ec);
  }
}

}  // namespace

Result<void> ensure_kernel_mounts(const fs::path& pin_dir) {
  if (::access("/sys/kernel/tracing/events", F_OK) != 0 &&
      ::mount("tracefs", kTracefs, "tracefs", 0, nullptr) != 0 && errno != EBUSY)
    return fail(Error::from_errno("mount tracefs on /sys/kernel/tracing", errno));
  fs::path bpffs = pin_dir.parent_path();
  if (!is_fs(bpffs, BPF_FS_MAGIC)) {
    if (bpffs != "/sys/fs/bpf")
      return fail(ErrorKind::invalid_argument,
                  "pin dir " + pin_dir.string() + " is not inside a bpf filesystem");
    if (::mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) != 0)
      return fail(Error::from_errno("mount bpffs on /sys/fs/bpf", errno));
  }
  std::error_code ec;
  fs::create_directories(pin_dir, ec);
  if (ec) return fail(ErrorKind::io, "create " + pin_dir.string() + ": " + ec.message());
  return {};
}

struct Probe::Impl {
  CPtr<tty_capture, &tty_capture__destroy> skel;
  std::vector<bpf_link*> links;
  CPtr<ring_buffer, &ring_buffer__free> ring;
  RecordSink* sink = nullptr;
  ProbeOptions options;
  uint32_t instance = 0;
  bool stopped = false;

  ~Impl() {
    // Without stop() (error paths) the pins keep the programs attached; only our handles go.
    for (bpf_link* l : links) bpf_link__destroy(l);
  }

  static int on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    self->sink->record({static_cast<const uint8_t*>(data), size});
    return 0;
  }

  int map_fd(bpf_map* m) const { return bpf_map__fd(m); }

  Result<void> write_config(uint32_t owner) {
    tap_config c{};
    c.abi_version = TAP_ABI_VERSION;
    c.input_mode = static_cast<uint32_t>(options.input);
    c.self_tgid = static_cast<uint32_t>(::getpid());
    c.owner = owner;
    c.wake_bytes = options.wake_bytes;
    uint32_t zero = 0;
    if (bpf_map_update_elem(map_fd(skel->maps.tap_config_map), &zero, &c, BPF_ANY) != 0)
      return fail(Error::from_errno("write config map", errno));
    return {};
  }
};

Probe::Probe(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Probe::~Probe() = default;

namespace {

using Skeleton = CPtr<tty_capture, &tty_capture__destroy>;

// Both objects are built from one source, so they have the same maps, programs and .rodata:
// the compat object's ELF bytes go through the fast one's skeleton, and one load path serves
// both. bpf_object__open_skeleton finds every map and program by name, and fails if one is
// missing.
static_assert(sizeof(tty_capture) == sizeof(tty_capture_compat));

tty_capture* open_skeleton(BpfVariant variant, const bpf_object_open_opts* opts) {
  auto* obj = static_cast<tty_capture*>(std::calloc(1, sizeof(tty_capture)));
  if (obj == nullptr) {
    errno = ENOMEM;
    return nullptr;
  }
  int err = tty_capture__create_skeleton(obj);
  if (err == 0) {
    if (variant == BpfVariant::compat)
      obj->skeleton->data = const_cast<void*>(tty_capture_compat__elf_bytes(&obj->skeleton->data_sz));
    err = bpf_object__open_skeleton(obj->skeleton, opts);
  }
  if (err != 0) {
    tty_capture__destroy(obj);
    errno = -err;
    return nullptr;
  }
  return obj;
}

Result<Skeleton> load(const ProbeOptions& o, Hooks hooks, BpfVariant variant, uint32_t instance) {
  std::string pin_root = o.pin_dir.string();
  LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root.c_str());
  // A kernel BTF that does not exist makes the CO-RE relocations fail, as on a kernel the
  // fast object does not fit.
  if (o.test_break_fast && variant == BpfVariant::fast)
    opts.btf_custom_path = "/nonexistent/taprec-test-btf";
  Skeleton skel(open_skeleton(variant, &opts));
  if (!skel) return fail(Error::from_errno("open BPF object", errno));
  if (bpf_map__set_max_entries(skel->maps.ring, static_cast<uint32_t>(o.ring_bytes)) != 0)
    return fail(Error::from_errno("set ring size", errno));
  skel->rodata->instance_id = instance;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    bpf_program__set_autoload(prog, wanted(bpf_program__name(prog), hooks));
  }
  if (int err = tty_capture__load(skel.get()); err != 0)
    return fail(Error::from_errno("load BPF programs", -err));
  return skel;
}

// Loads `choice`, and when it is an automatic choice of fast that does not load, compat (with
// one line saying why). *used is the variant that loaded.
Result<Skeleton> load_variant(const ProbeOptions& o, Hooks hooks, BpfVariant choice,
                              uint32_t instance, BpfVariant* used) {
  *used = choice;
  auto skel = load(o, hooks, choice, instance);
  if (skel.ok() || choice != BpfVariant::fast || o.variant != BpfVariant::automatic) return skel;
  auto compat = load(o, hooks, BpfVariant::compat, instance);
  if (!compat.ok()) return skel;
  log::warning("the fast capture programs did not load (", skel.error().what(),
               "); using the compat ones");
  *used = BpfVariant::compat;
  return compat;
}

}  // namespace

Result<std::unique_ptr<Probe>> Probe::open(const ProbeOptions& options, RecordSink* sink) {
  uint64_t ring = options.ring_bytes;
  if (ring == 0 || (ring & (ring - 1)) != 0 || ring < 4096 || ring > (1ull << 31))
    return fail(ErrorKind::invalid_argument, "ring size must be a power of two between 4 KiB and 2 GiB");
  if (ring < (16ull << 20) && !options.allow_small_ring)
    return fail(ErrorKind::invalid_argument, "ring size must be at least 16 MiB");
  TAP_CHECK(ensure_kernel_mounts(options.pin_dir));

  Hooks hooks = options.hooks;
  if (hooks == Hooks::automatic) hooks = syscall_tracepoints_exist() ? Hooks::tracepoint : Hooks::raw_tp;
  if (hooks == Hooks::tracepoint && !syscall_tracepoints_exist())
    return fail(ErrorKind::unsupported, "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS); use --hooks=raw_tp");

  libbpf_set_print([](enum libbpf_print_level level, const char* fmt, va_list args) -> int {
    if (level == LIBBPF_DEBUG || tap::log::level() > tap::log::Level::debug) return 0;
    char line[1024];
    int n = std::vsnprintf(line, sizeof line, fmt, args);
    if (n > 0 && line[std::min<size_t>(n, sizeof line - 1) - 1] == '\n')
      line[std::min<size_t>(n, sizeof line - 1) - 1] = 0;
    tap::log::debug("libbpf: ", line);
    return 0;
  });

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->sink = sink;
  impl->instance = random_instance_id();
  VariantChoice choice = choose_bpf_variant(options.variant);
  BpfVariant used = choice.variant;
  log::info("capture programs: ", bpf_variant_name(choice.variant), " (", choice.why, ")");
  auto skel = load_variant(options, hooks, choice.variant, impl->instance, &used);
  if (!skel.ok()) {
    // Pinned maps from an incompatible build or ring size cannot be reused: start over.
    log::warning("cannot reuse the maps pinned in ", options.pin_dir.string(), " (",
                 skel.error().what(), "); starting without them");
    remove_pins(options.pin_dir, true);
    skel = load_variant(options, hooks, choice.variant, impl->instance, &used);
    if (!skel.ok())
      return fail(std::move(skel).error().context(std::string("load capture programs (") +
                                                 std::string(bpf_variant_name(choice.variant)) + ")"));
  }
  impl->skel = std::move(skel).value();

  // Attach ours (inactive until we own the config), then take over, then drop the old links.
  bpf_program* prog;
  bpf_object__for_each_program(prog, impl->skel->obj) {
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (link == nullptr) {
      int err = errno;
      return fail(Error::from_errno(std::string("attach ") + bpf_program__name(prog), err));
    }
    impl->links.push_back(link);
  }
  tap_config old{};
  uint32_t zero = 0;
  bpf_map_lookup_elem(bpf_map__fd(impl->skel->maps.tap_config_map), &zero, &old);
  TAP_CHECK(impl->write_config(impl->instance));
  bool took_over = old.owner != 0;
  // The previous daemon's programs detach when their link pins go.
  remove_pins(options.pin_dir, false);
  size_t i = 0;
  bpf_object__for_each_program(prog, impl->skel->obj) {
    if (!bpf_program__autoload(prog)) continue;
    fs::path pin = options.pin_dir / (std::string("link_") + bpf_program__name(prog));
    if (int err = bpf_link__pin(impl->links[i], pin.c_str()); err != 0)
      log::warning("pin ", pin.string(), ": ", std::strerror(-err),
                   " (a restart after a crash will not know what it missed)");
    ++i;
  }

  impl->ring.reset(ring_buffer__new(bpf_map__fd(impl->skel->maps.ring), &Impl::on_record,
                                    impl.get(), nullptr));
  if (!impl->ring) return fail(Error::from_errno("create ring buffer consumer", errno));
  auto probe = std::unique_ptr<Probe>(new Probe(std::move(impl)));
  probe->hooks_ = hooks;
  probe->variant_ = used;
  probe->took_over_ = took_over;
  return probe;
}

int Probe::ring_fd() const { return ring_buffer__epoll_fd(impl_->ring.get()); }

Result<size_t> Probe::consume() {
  int n = ring_buffer__consume(impl_->ring.get());
  if (n < 0) return fail(Error::from_errno("consume ring buffer", -n));
  return static_cast<size_t>(n);
}

ProbeStats Probe::stats() const {
  ProbeStats sum;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return sum;
  std::vector<tap_stats> per(static_cast<size_t>(ncpu));
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(impl_->skel->maps.stats), &zero, per.data()) != 0) return sum;
  for (const auto& s : per) {
    sum.records += s.records;
    sum.drop_records += s.drop_records;
    sum.drop_bytes += s.drop_bytes;
    sum.fault_bytes += s.fault_bytes;
    sum.trunc_bytes += s.trunc_bytes;
  }
  return sum;
}

Result<void> Probe::set_input_mode(InputMode mode) {
  impl_->options.input = mode;
  return impl_->write_config(impl_->instance);
}

std::vector<KernelSession> Probe::sessions() const {
  std::vector<KernelSession> out;
  int fd = bpf_map__fd(impl_->skel->maps.sessions);
  tap_session_key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    tap_session_state st{};
    if (bpf_map_lookup_elem(fd, &next, &st) == 0) {
      KernelSession k;
      k.key = SessionKey{next.pty_dev, next.pty_index, st.generation};
      k.out_off = st.out_off;
      k.in_off = st.in_off;
      k.closed = (st.flags & TAP_S_CLOSED) != 0;
      k.hung = (st.flags & TAP_S_HUNG) != 0;
      out.push_back(k);
    }
    key = next;
    prev = &key;
  }
  return out;
}

void Probe::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  (void)impl_->write_config(0);
  for (bpf_link* l : impl_->links) {
    bpf_link__unpin(l);
    bpf_link__destroy(l);
  }
  impl_->links.clear();
  bpf_object__unpin_maps(impl_->skel->obj, impl_->options.pin_dir.c_str());
  remove_pins(impl_->options.pin_dir, true);
  std::error_code ec;
  fs::remove(impl_->options.pin_dir, ec);
}

CheckReport check_kernel(Hooks wanted_hooks, BpfVariant variant) {
  CheckReport r;
  auto say = [&](std::string s) { r.lines.push_back(std::move(s)); };
  if (::geteuid() != 0) say("not root: loading BPF programs needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)");
  if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    say("no kernel BTF (/sys/kernel/btf/vmlinux): CO-RE programs cannot load (CONFIG_DEBUG_INFO_BTF)");
  } else {
    say("kernel BTF: present");
  }
  char pin[64];
  std::snprintf(pin, sizeof pin, "/sys/fs/bpf/taprec-check-%d", static_cast<int>(::getpid()));
  class Null : public RecordSink {
   public:
    void record(std::span<const uint8_t>) override {}
  } null;
  ProbeOptions o;
  o.hooks = wanted_hooks;
  o.variant = variant;
  VariantChoice choice = choose_bpf_variant(variant);
  o.ring_bytes = 1 << 20;
  o.allow_small_ring = true;
  o.pin_dir = pin;
  // The report says which variant loaded; the daemon's info line about it would repeat that.
  log::Level level = log::level();
  if (level < log::Level::warning) log::set_level(log::Level::warning);
  auto probe = Probe::open(o, &null);
  log::set_level(level);
  if (probe.ok()) {
    r.can_record = true;
    r.hooks = (*probe)->hooks();
    r.variant = (*probe)->variant();
    say(std::string("hooks: ") + std::string(hooks_name(r.hooks)) +
        (r.hooks == Hooks::tracepoint ? " (per-syscall tracepoints)" : " (raw_tp sys_enter/sys_exit)"));
    say("ring buffer, bpf_loop, pinning: ok");
    if (r.variant == choice.variant)
      say("capture programs: " + std::string(bpf_variant_name(r.variant)) + " (" + choice.why + ")");
    else
      say("capture programs: " + std::string(bpf_variant_name(r.variant)) + " (the " +
          std::string(bpf_variant_name(choice.variant)) + " ones, chosen because " + choice.why +
          ", did not load)");
    (*probe)->stop();
  } else {
    say("capture programs: " + std::string(bpf_variant_name(choice.variant)) + " (" + choice.why + ")");
    say("cannot record: " + probe.error().what());
    std::error_code ec;
    remove_pins(pin, true);
    fs::remove(pin, ec);
  }
  say("covered: every pty (ssh, terminal emulators, tmux/screen panes, containers with their own devpts)");
  say("not covered: virtual consoles and serial ttys (no pty master); pty masters read through io_uring or splice (no read syscall)");
  say("architecture: x86-64 syscall numbers (the raw_tp flavour dispatches on them)");
  return r;
}

}  // namespace tap::recorder
