// The worker's confinement: it parses untrusted terminal output, so a bug in the terminal model
// must not give anything away. It drops root to nobody, keeps only CAP_DAC_READ_SEARCH (to read
// the root-only recordings when it rebuilds a screen), sets no_new_privs and allows only the
// system calls it needs; files open read-only.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "tap/worker/term_worker.hpp"

namespace tap::worker {

namespace {

constexpr uid_t kNobody = 65534;

Result<void> drop_root() {
  if (::geteuid() != 0) return {};  // already unprivileged (tests, a non-root taprec)
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::from_errno("PR_SET_KEEPCAPS", errno);
  // Every capability but the one we keep leaves the bounding set while we still may drop them.
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
    if (cap != CAP_DAC_READ_SEARCH) ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  if (::setgroups(0, nullptr) != 0) return Error::from_errno("setgroups", errno);
  if (::setresgid(kNobody, kNobody, kNobody) != 0) return Error::from_errno("setresgid", errno);
  if (::setresuid(kNobody, kNobody, kNobody) != 0) return Error::from_errno("setresuid", errno);
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0].effective = data[0].permitted = 1u << CAP_DAC_READ_SEARCH;
  if (::syscall(SYS_capset, &hdr, data) != 0) return Error::from_errno("capset", errno);
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  return {};
}

Result<void> install_filter() {
  // Anything not listed fails with EPERM rather than killing: the daemon sees an error reply,
  // not a crash loop, and nothing outside the list ever succeeds.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == nullptr) return fail(ErrorKind::internal, "seccomp_init failed");
  const int allowed[] = {
      SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
      SCMP_SYS(preadv), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
      SCMP_SYS(lseek), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
      SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(exit_group),
      SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(clock_gettime),
      SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(getrandom), SCMP_SYS(fcntl),
      SCMP_SYS(restart_syscall), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
      SCMP_SYS(fadvise64),
  };
  int rc = 0;
  for (int sc : allowed) rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sc, 0);
  // Files only for reading: no write access, no creation, no truncation.
  const scmp_datum_t mask = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE;
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, mask, O_RDONLY));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                         SCMP_A1(SCMP_CMP_MASKED_EQ, mask, O_RDONLY));
  if (rc != 0) {
    seccomp_release(ctx);
    return fail(ErrorKind::internal, "seccomp rules could not be added");
  }
  rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) return fail(Error::from_errno("seccomp_load", -rc));
  return {};
}

}  // namespace

Result<void> enter_sandbox() {
  TAP_CHECK(drop_root());
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::from_errno("PR_SET_NO_NEW_PRIVS", errno);
  return install_filter();
}

}  // namespace tap::worker
