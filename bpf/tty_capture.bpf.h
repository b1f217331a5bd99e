/* Constants and CO-RE helpers for tty_capture.bpf.c that vmlinux.h does not carry (macros
 * are not in BTF). x86-64 syscall numbers: the raw_tp flavour dispatches on them. */
#ifndef TAP_TTY_CAPTURE_BPF_H
#define TAP_TTY_CAPTURE_BPF_H

#define TAP_S_IFMT 00170000
#define TAP_S_IFCHR 0020000
#define TAP_S_ISUID 0004000
#define TAP_S_ISGID 0002000
/* Kernel dev_t encoding (MINORBITS 20). */
#define TAP_MKDEV(ma, mi) (((ma) << 20) | (mi))

#define TAP_ECHO 0000010
#define TAP_ICANON 0000002

#define TAP_TIOCSCTTY 0x540E
#define TAP_TIOCSWINSZ 0x5414

#define TAP_NR_read 0
#define TAP_NR_write 1
#define TAP_NR_open 2
#define TAP_NR_close 3
#define TAP_NR_ioctl 16
#define TAP_NR_pread64 17
#define TAP_NR_pwrite64 18
#define TAP_NR_readv 19
#define TAP_NR_writev 20
#define TAP_NR_setuid 105
#define TAP_NR_setreuid 113
#define TAP_NR_setresuid 117
#define TAP_NR_setfsuid 122
#define TAP_NR_openat 257
#define TAP_NR_preadv 295
#define TAP_NR_pwritev 296
#define TAP_NR_preadv2 327
#define TAP_NR_pwritev2 328
#define TAP_NR_openat2 437

/* struct file before 6.12 counted references in f_count (1 == one reference); since 6.12 it
 * is file_ref_t f_ref (0 == one reference). */
struct file___pre612 {
  atomic_long_t f_count;
} __attribute__((preserve_access_index));

static __always_inline int tap_file_last_ref(struct file *f) {
  if (bpf_core_field_exists(f->f_ref)) {
    long n = BPF_CORE_READ(f, f_ref.refcnt.counter);
    return n == 0;
  }
  struct file___pre612 *old = (void *)f;
  long n = BPF_CORE_READ(old, f_count.counter);
  return n == 1;
}

#endif /* TAP_TTY_CAPTURE_BPF_H */
