// SPDX-License-Identifier: GPL-2.0
/* taprec's capture programs: every pty session's output (master reads), input (master
 * writes), writer attribution (slave writes, set*uid, setuid execs), sizes and life cycle.
 * Design and measurements: docs/bpf-abi.md and DESIGN.md §4. The ABI is tty_capture.h.
 *
 * Two hook flavours carry the same logic: per-syscall tracepoints (tp_*; unrelated syscalls
 * pay nothing) and raw_tp sys_enter/sys_exit (rt_*; for kernels without syscall
 * tracepoints). User space loads one flavour (autoload) and attaches it.
 *
 * The source is built twice: the fast object, and the compat one (-DTAP_BPF_COMPAT) for
 * kernels without the bpf_rdonly_cast kfunc (before 6.2, e.g. Debian 12's 6.1). TAP_CAST and
 * TAP_READ below are the only difference; docs/bpf-abi.md "Variants".
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tty_capture.bpf.h"
#include "tty_capture.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the daemon before load; these programs record only while config.owner equals it. */
const volatile __u32 instance_id = 0;

/* ---- maps ------------------------------------------------------------------------- */

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 64 << 20); /* set by the daemon (--ring-size) */
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} ring SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, struct tap_session_key);
  __type(value, struct tap_session_state);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} sessions SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct tap_config);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} tap_config_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct tap_stats);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

/* An ioctl on a pty fd between its enter and exit (the winsize is read at enter). */
struct pending {
  __u64 buf;       /* user buffer, or the iovec array */
  __u32 vlen;      /* iovec count; 0 for a plain buffer */
  __u8 op;         /* OP_* */
  __u8 suppress;   /* input: store the length only */
  __u16 cols, rows;
  __u16 pad;
  struct tap_session_key key;
};

enum { OP_OUTPUT = 1, OP_INPUT, OP_WINSZ, OP_SCTTY };

/* Per-task storage instead of a tid-keyed hash: a task that never touched a pty has no entry,
 * so the exit of every unrelated read/write costs one pointer test, not a hash lookup; the
 * entry is never deleted (op 0 means no call in flight) and goes away with the task. */
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct pending);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} task_pending SEC(".maps");

#ifndef TAP_BPF_COMPAT
/* A kfunc (Linux 6.2) the verifier turns into a plain move: a kernel pointer read from memory
 * becomes typed, so its fields are read with direct loads instead of one bpf_probe_read_kernel
 * call each (a helper call per field was most of the cost of classifying a write). */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;
#define TAP_CAST(type, ptr) ((type *)bpf_rdonly_cast((void *)(ptr), bpf_core_type_id_kernel(type)))
/* One field of a pointer that TAP_CAST typed (or that a typed walk reached). */
#define TAP_READ(ptr, field) ((ptr)->field)
#else
/* The compat object (-DTAP_BPF_COMPAT, for kernels before 6.2 such as Debian 12's 6.1): the
 * same walks, each field through one CO-RE bpf_probe_read_kernel, since a pointer read from
 * memory stays untyped there. */
#define TAP_CAST(type, ptr) ((type *)(void *)(ptr))
#define TAP_READ(ptr, field) BPF_CORE_READ(ptr, field)
#endif

/* Copy state of one call. It lives in the per-CPU map value, not on the stack: values loaded
 * from a map are unknown to the verifier, so the bpf_loop callbacks converge at once instead
 * of being walked per distinct constant (1M-instruction limit). */
struct copy_ctx {
  __u64 src;          /* user address of the current segment */
  __u64 seg_left;     /* bytes left in the current segment */
  __u64 left;         /* bytes of the call left to copy */
  __u64 offset;       /* stream offset of the next byte */
  __u64 flags;        /* ring flags, computed once per call */
  __u64 iov;          /* iovec array (vectored calls) */
  __u32 vlen;
  __u32 call_len;
  struct tap_session_key key;
  __u32 gen;
  __u8 kind;
};

struct chunk_buf {
  struct copy_ctx ctx;
  struct tap_rec_data rec;
  __u8 data[TAP_CHUNK_MAX];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct chunk_buf);
} chunk_scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct tap_rec_exec);
} exec_scratch SEC(".maps");

/* ---- small helpers ---------------------------------------------------------------- */

static __always_inline struct tap_config *cfg(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&tap_config_map, &zero);
}

static __always_inline struct tap_stats *stat(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&stats, &zero);
}

/* Batched wake-ups: the default adaptive wake-up costs microseconds per record on a flood
 * (+75-90 %); the consumer also polls every 100 ms, so only wake it for a backlog, and only
 * on the record that takes the backlog past the threshold: waking on every record above it
 * (while the consumer is already draining) cost an interrupt per record. `size` is the
 * record about to be submitted. */
static __always_inline __u64 wake_flags(struct tap_config *c, __u64 size) {
  __u64 avail = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
  return avail < c->wake_bytes && avail + size >= c->wake_bytes ? BPF_RB_FORCE_WAKEUP
                                                                : BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(void *rec, __u64 size, __u64 flags, __u64 payload) {
  struct tap_stats *s = stat();
  if (bpf_ringbuf_output(&ring, rec, size, flags) == 0) {
    if (s) s->records++;
  } else if (s) {
    s->drop_records++;
    s->drop_bytes += payload;
  }
}

/* ---- fd classification (cheap first: fd table -> inode mode and rdev) -------------- */

enum { SIDE_NONE = 0, SIDE_MASTER = 1, SIDE_SLAVE = 2 };

static __always_inline struct task_struct *cur(void) {
  return bpf_get_current_task_btf();
}

static __always_inline struct file *fd_file(int fd) {
  struct fdtable *fdt = cur()->files->fdt;
  if (fd < 0 || (unsigned int)fd >= fdt->max_fds) return NULL;
  struct file **arr = fdt->fd;
  struct file *f = NULL;
  /* The array element is a pointer the verifier cannot type: one helper read, then typed. */
  bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
  if (!f) return NULL;
  return TAP_CAST(struct file, f);
}

/* Side of `f` by its inode alone: /dev/ptmx (5:2) is a master; a pts (136-143) or /dev/tty
 * (5:0, resolved later) may be a slave. */
static __always_inline int file_side(struct file *f) {
  if (!f) return SIDE_NONE;
  struct inode *ino = TAP_READ(f, f_inode);
  if (!ino) return SIDE_NONE;
  if ((TAP_READ(ino, i_mode) & TAP_S_IFMT) != TAP_S_IFCHR) return SIDE_NONE;
  dev_t rdev = TAP_READ(ino, i_rdev);
  if (rdev == TAP_MKDEV(5, 2)) return SIDE_MASTER;
  __u32 major = rdev >> 20;
  if ((major >= 136 && major <= 143) || rdev == TAP_MKDEV(5, 0)) return SIDE_SLAVE;
  return SIDE_NONE;
}

static __always_inline struct tty_struct *file_tty(struct file *f) {
  struct tty_file_private *priv = TAP_CAST(struct tty_file_private, TAP_READ(f, private_data));
  if (!priv) return NULL;
  return TAP_READ(priv, tty);
}

static __always_inline int is_pts(struct tty_struct *tty) {
  struct tty_driver *drv = TAP_READ(tty, driver);
  if (!drv) return 0;
  int major = TAP_READ(drv, major);
  return major >= 136 && major <= 143;
}

/* Session key from the slave tty: devpts dentry -> superblock s_dev, and the index. */
static __always_inline void slave_key(struct tty_struct *slave, struct tap_session_key *k) {
  struct dentry *d = TAP_CAST(struct dentry, TAP_READ(slave, driver_data));
  struct super_block *sb = d ? TAP_READ(d, d_sb) : NULL;
  k->pty_dev = sb ? TAP_READ(sb, s_dev) : 0;
  k->pty_index = TAP_READ(slave, index);
  k->pad = 0;
}

/* Master fd -> key (via the linked slave). Returns the slave tty or NULL. */
static __always_inline struct tty_struct *master_key(struct file *f, struct tap_session_key *k) {
  struct tty_struct *master = file_tty(f);
  if (!master) return NULL;
  struct tty_struct *slave = TAP_READ(master, link);
  if (!slave) return NULL;
  slave_key(slave, k);
  return slave;
}

/* Slave fd (pts or /dev/tty) -> key. */
static __always_inline struct tty_struct *slave_fd_key(struct file *f, struct tap_session_key *k) {
  struct tty_struct *tty = file_tty(f);
  if (!tty || !is_pts(tty)) return NULL;
  slave_key(tty, k);
  return tty;
}

/* The call of this task between its enter and exit, or NULL when it has none. */
static __always_inline struct pending *pending_get(void) {
  struct pending *p = bpf_task_storage_get(&task_pending, cur(), 0, 0);
  return p && p->op ? p : NULL;
}

static __always_inline void pending_set(struct pending *p) {
  struct pending *slot =
      bpf_task_storage_get(&task_pending, cur(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (slot) *slot = *p;
}

static __always_inline struct tap_session_state *state_of(struct tap_session_key *k) {
  struct tap_session_state *s = bpf_map_lookup_elem(&sessions, k);
  if (s) return s;
  /* A session that was open before taprec loaded: start counting from here. */
  struct tap_session_state fresh = {};
  bpf_map_update_elem(&sessions, k, &fresh, BPF_NOEXIST);
  return bpf_map_lookup_elem(&sessions, k);
}

static __always_inline void fill_hdr(struct tap_rec_hdr *h, __u8 kind, __u16 size,
                                     struct tap_session_key *k, __u32 gen) {
  h->size = size;
  h->kind = kind;
  h->flags = 0;
  h->pty_index = k->pty_index;
  h->ts_ns = bpf_ktime_get_ns();
  h->pty_dev = k->pty_dev;
  h->generation = gen;
  h->tgid = bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void fill_meta(struct tap_rec_meta *m, __u8 kind,
                                      struct tap_session_key *k, struct tap_session_state *s) {
  struct task_struct *task = cur();
  __u64 ugid = bpf_get_current_uid_gid();
  fill_hdr(&m->hdr, kind, sizeof(*m), k, s ? s->generation : 0);
  m->tid = (__u32)bpf_get_current_pid_tgid();
  m->uid = (__u32)ugid;
  m->euid = task->cred->euid.val;
  m->loginuid = task->loginuid.val;
  m->cgroup_id = bpf_get_current_cgroup_id();
  m->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
  m->out_off = s ? s->out_off : 0;
  m->in_off = s ? s->in_off : 0;
  m->cols = s ? s->cols : 0;
  m->rows = s ? s->rows : 0;
  m->ppid = BPF_CORE_READ(task, real_parent, tgid);
  bpf_get_current_comm(m->comm, sizeof(m->comm));
}

static __always_inline void emit_meta(__u8 kind, struct tap_session_key *k,
                                      struct tap_session_state *s) {
  struct tap_rec_meta m = {};
  fill_meta(&m, kind, k, s);
  struct tap_config *c = cfg();
  submit(&m, sizeof(m), c ? wake_flags(c, sizeof(m)) : 0, 0);
}

static __always_inline int enabled(struct tap_config **out) {
  struct tap_config *c = cfg();
  if (!c || c->owner != instance_id || instance_id == 0) return 0;
  *out = c;
  return 1;
}

/* ---- payload copy: bpf_loop over 4 KiB chunks, nested over iovecs ---------------------- */


static __always_inline struct chunk_buf *scratch(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&chunk_scratch, &zero);
}

static long chunk_cb(__u32 i, void *unused) {
  struct chunk_buf *b = scratch();
  if (!b) return 1;
  struct copy_ctx *c = &b->ctx;
  if (c->seg_left == 0 || c->left == 0) return 1;
  __u64 n = c->seg_left;
  if (n > c->left) n = c->left;
  if (n > TAP_CHUNK_MAX) n = TAP_CHUNK_MAX;
  fill_hdr(&b->rec.hdr, c->kind, sizeof(b->rec) + n, &c->key, c->gen);
  b->rec.offset = c->offset;
  b->rec.len = n;
  b->rec.call_len = c->call_len;
  if (bpf_probe_read_user(b->data, n, (const void *)c->src) == 0) {
    submit(&b->rec, sizeof(b->rec) + n, c->flags, n);
  } else {
    /* The page is not resident: an explicit gap, never silent loss. */
    b->rec.hdr.kind = TAP_REC_FAULT;
    b->rec.hdr.flags = c->kind == TAP_REC_INPUT ? TAP_F_INPUT : 0;
    b->rec.hdr.size = sizeof(b->rec);
    submit(&b->rec, sizeof(b->rec), c->flags, 0);
    struct tap_stats *s = stat();
    if (s) s->fault_bytes += n;
  }
  c->src += n;
  c->seg_left -= n;
  c->left -= n;
  c->offset += n;
  return 0;
}

static long iov_cb(__u32 i, void *unused) {
  struct chunk_buf *b = scratch();
  if (!b) return 1;
  struct copy_ctx *c = &b->ctx;
  if (c->left == 0 || i >= c->vlen) return 1;
  struct iovec v = {};
  if (bpf_probe_read_user(&v, sizeof(v), (const void *)(c->iov + (__u64)i * sizeof(v))) != 0)
    return 1;
  c->src = (__u64)v.iov_base;
  c->seg_left = v.iov_len;
  bpf_loop(TAP_CHUNKS_PER_SEG, chunk_cb, NULL, 0);
  return 0;
}

/* Copies `ret` bytes of a finished read/write into the ring, advancing the stream offset by
 * exactly `ret` whatever is lost, so user space can state any loss as a gap. */
static __always_inline void copy_call(struct pending *p, long ret, struct tap_config *c) {
  struct tap_session_state *s = state_of(&p->key);
  if (!s) return;
  int output = p->op == OP_OUTPUT;
  __u64 start = __sync_fetch_and_add(output ? &s->out_off : &s->in_off, (__u64)ret);
  __u64 flags = wake_flags(c, (__u64)ret);

  if (!output && p->suppress) {
    struct tap_rec_data r = {};
    fill_hdr(&r.hdr, TAP_REC_INPUT_SUPPRESSED, sizeof(r), &p->key, s->generation);
    r.offset = start;
    r.len = ret;
    r.call_len = ret;
    submit(&r, sizeof(r), flags, 0);
    return;
  }

  struct chunk_buf *b = scratch();
  if (!b) return;
  struct copy_ctx *cc = &b->ctx;
  cc->left = ret;
  cc->offset = start;
  cc->flags = flags;
  cc->call_len = ret;
  cc->key = p->key;
  cc->gen = s->generation;
  cc->kind = output ? TAP_REC_OUTPUT : TAP_REC_INPUT;
  if (p->vlen == 0) {
    cc->src = p->buf;
    cc->seg_left = ret;
    cc->iov = 0;
    cc->vlen = 0;
    bpf_loop(TAP_CHUNKS_PER_SEG, chunk_cb, NULL, 0);
  } else {
    cc->src = 0;
    cc->seg_left = 0;
    cc->iov = p->buf;
    cc->vlen = p->vlen > TAP_MAX_IOV ? TAP_MAX_IOV : p->vlen;
    bpf_loop(TAP_MAX_IOV, iov_cb, NULL, 0);
  }
  __u64 left = cc->left;
  __u64 at = cc->offset;
  if (left > 0) {
    /* Beyond the copy limits: account as a fault record so the offsets stay exact. */
    struct tap_rec_data r = {};
    fill_hdr(&r.hdr, TAP_REC_FAULT, sizeof(r), &p->key, s->generation);
    r.hdr.flags = TAP_F_TRUNC | (output ? 0 : TAP_F_INPUT);
    r.offset = at;
    r.len = left;
    r.call_len = ret;
    submit(&r, sizeof(r), flags, 0);
    struct tap_stats *st = stat();
    if (st) st->trunc_bytes += left;
  }
}

/* ---- the logic, shared by both flavours ------------------------------------------------ */

/* Kernel's own rule for tty_audit: a password prompt is ECHO off with ICANON on. */
static __always_inline int password_prompt(struct tty_struct *slave) {
  tcflag_t lflag = TAP_READ(slave, termios.c_lflag);
  return !(lflag & TAP_ECHO) && (lflag & TAP_ICANON);
}

/* A write to the slave side: an event only when the writer (tgid, uid, euid) differs from
 * the session's last one, so the common case is one map lookup and no ring output. */
static __always_inline void on_slave_write(struct file *f, struct tap_config *c) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == c->self_tgid) return;
  struct tap_session_key k;
  if (!slave_fd_key(f, &k)) return;
  struct tap_session_state *s = state_of(&k);
  if (!s) return;
  __u32 uid = (__u32)bpf_get_current_uid_gid();
  __u32 euid = cur()->cred->euid.val;
  if (s->writer_tgid == tgid && s->writer_uid == uid && s->writer_euid == euid) return;
  s->writer_tgid = tgid;
  s->writer_uid = uid;
  s->writer_euid = euid;
  emit_meta(TAP_REC_WRITER, &k, s);
}

/* Read and write families, all at exit, with one program per call: the arguments are still
 * in the task's saved user registers (di: fd, si: buffer or iovec array, dx: iovec count),
 * and the return value is the exact length. Failed calls (EAGAIN is common) return before
 * anything else; so does every fd that is not a pty, after the fd -> inode test. Master
 * reads are output, master writes input, slave writes writer attribution (no payload). */
static __always_inline void on_rw_exit(int write, int vec, long ret) {
  if (ret <= 0 && (write || ret != -5 /* EIO on a master read: the slave side is gone */))
    return;
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(cur());
  if (!regs) return;
  struct file *f = fd_file((int)regs->di);
  int side = file_side(f);
  if (side == SIDE_NONE) return;
  if (side == SIDE_SLAVE) {
    if (write) on_slave_write(f, c);
    return;
  }
  struct pending p = {};
  struct tty_struct *slave = master_key(f, &p.key);
  if (!slave) return;
  if (ret <= 0) {
    struct tap_session_state *s = bpf_map_lookup_elem(&sessions, &p.key);
    if (!s || (s->flags & TAP_S_HUNG)) return;
    s->flags |= TAP_S_HUNG;
    emit_meta(TAP_REC_HANGUP, &p.key, s);
    return;
  }
  p.buf = regs->si;
  p.vlen = vec ? (__u32)regs->dx : 0;
  p.op = write ? OP_INPUT : OP_OUTPUT;
  if (write) {
    if (c->input_mode == TAP_INPUT_NONE)
      p.suppress = 1;
    else if (c->input_mode == TAP_INPUT_SUPPRESS_PASSWORDS)
      p.suppress = password_prompt(slave);
  }
  copy_call(&p, ret, c);
}

static __always_inline void on_ioctl_enter(int fd, __u32 cmd, __u64 arg) {
  if (cmd != TAP_TIOCSWINSZ && cmd != TAP_TIOCSCTTY) return;
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct file *f = fd_file(fd);
  int side = file_side(f);
  if (side == SIDE_NONE) return;
  struct pending p = {};
  if (side == SIDE_MASTER) {
    if (cmd != TAP_TIOCSWINSZ || !master_key(f, &p.key)) return;
  } else if (!slave_fd_key(f, &p.key)) {
    return;
  }
  if (cmd == TAP_TIOCSWINSZ) {
    struct winsize ws = {};
    if (bpf_probe_read_user(&ws, sizeof(ws), (const void *)arg) != 0) return;
    p.op = OP_WINSZ;
    p.cols = ws.ws_col;
    p.rows = ws.ws_row;
  } else {
    p.op = OP_SCTTY;
  }
  pending_set(&p);
}

static __always_inline void on_ioctl_exit(long ret) {
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct pending *pp = pending_get();
  if (!pp) return;
  struct pending p = *pp;
  pp->op = 0;
  if (ret != 0) return;
  struct tap_session_state *s = state_of(&p.key);
  if (!s) return;
  if (p.op == OP_WINSZ) {
    /* Shells re-send the same size after every command: only changes are events. */
    if (s->cols == p.cols && s->rows == p.rows) return;
    s->cols = p.cols;
    s->rows = p.rows;
    emit_meta(TAP_REC_RESIZE, &p.key, s);
  } else if (p.op == OP_SCTTY) {
    s->leader_tgid = bpf_get_current_pid_tgid() >> 32;
    s->flags &= ~TAP_S_LEADER_EXEC;
    emit_meta(TAP_REC_LEADER, &p.key, s);
  }
}

/* open family exit: a new /dev/ptmx file is a new session generation. */
static __always_inline void on_open_exit(long ret) {
  if (ret < 0) return;
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct file *f = fd_file((int)ret);
  if (file_side(f) != SIDE_MASTER) return;
  struct tap_session_key k;
  if (!master_key(f, &k)) return;
  struct tap_session_state *s = bpf_map_lookup_elem(&sessions, &k);
  struct tap_session_state fresh = {};
  if (s) fresh.generation = s->generation + 1;
  bpf_map_update_elem(&sessions, &k, &fresh, BPF_ANY);
  s = bpf_map_lookup_elem(&sessions, &k);
  if (s) emit_meta(TAP_REC_OPEN, &k, s);
}

/* close enter: the last reference to a master file ends the session. */
static __always_inline void on_close_enter(int fd) {
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct file *f = fd_file(fd);
  if (file_side(f) != SIDE_MASTER) return;
  if (!tap_file_last_ref(f)) return;
  struct tap_session_key k;
  if (!master_key(f, &k)) return;
  struct tap_session_state *s = bpf_map_lookup_elem(&sessions, &k);
  if (!s || (s->flags & TAP_S_CLOSED)) return;
  s->flags |= TAP_S_CLOSED;
  emit_meta(TAP_REC_CLOSE, &k, s);
}

/* The pty that `task` has as controlling terminal, if it is a pts. */
static __always_inline int ctty_key(struct task_struct *task, struct tap_session_key *k) {
  struct signal_struct *sig = task->signal;
  struct tty_struct *tty = sig ? sig->tty : NULL;
  if (!tty || !is_pts(tty)) return 0;
  slave_key(tty, k);
  return 1;
}

static __always_inline void on_setuid_exit(long ret) {
  if (ret != 0) return;
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct tap_session_key k;
  if (!ctty_key(cur(), &k)) return;
  struct tap_session_state *s = bpf_map_lookup_elem(&sessions, &k);
  if (!s) return;
  emit_meta(TAP_REC_CRED, &k, s);
}

/* ---- flavour 1: per-syscall tracepoints --------------------------------------------------
 * A program may read only the arguments its syscall has (sys_enter_close with args[1] fails
 * to attach with EACCES), so each program reads exactly what it uses. */

#define TP_EXIT(name, fn)                                                            \
  SEC("tracepoint/syscalls/sys_exit_" #name)                                          \
  int tp_exit_##name(struct trace_event_raw_sys_exit *ctx) {                          \
    fn(ctx->ret);                                                                     \
    return 0;                                                                         \
  }
#define TP_EXIT_RW(name, write, vec)                                                 \
  SEC("tracepoint/syscalls/sys_exit_" #name)                                          \
  int tp_exit_##name(struct trace_event_raw_sys_exit *ctx) {                          \
    on_rw_exit(write, vec, ctx->ret);                                                 \
    return 0;                                                                         \
  }

TP_EXIT_RW(read, 0, 0)
TP_EXIT_RW(readv, 0, 1)
TP_EXIT_RW(pread64, 0, 0)
TP_EXIT_RW(preadv, 0, 1)
TP_EXIT_RW(preadv2, 0, 1)
TP_EXIT_RW(write, 1, 0)
TP_EXIT_RW(writev, 1, 1)
TP_EXIT_RW(pwrite64, 1, 0)
TP_EXIT_RW(pwritev, 1, 1)
TP_EXIT_RW(pwritev2, 1, 1)
TP_EXIT(open, on_open_exit)
TP_EXIT(openat, on_open_exit)
TP_EXIT(openat2, on_open_exit)
TP_EXIT(ioctl, on_ioctl_exit)
TP_EXIT(setuid, on_setuid_exit)
TP_EXIT(setreuid, on_setuid_exit)
TP_EXIT(setresuid, on_setuid_exit)
TP_EXIT(setfsuid, on_setuid_exit)

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx) {
  on_ioctl_enter((int)ctx->args[0], (__u32)ctx->args[1], ctx->args[2]);
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int tp_enter_close(struct trace_event_raw_sys_enter *ctx) {
  on_close_enter((int)ctx->args[0]);
  return 0;
}

/* ---- flavour 2: raw_tp sys_enter / sys_exit ---------------------------------------------- */

SEC("raw_tp/sys_enter")
int rt_enter(struct bpf_raw_tracepoint_args *ctx) {
  long nr = (long)ctx->args[1];
  if (nr != TAP_NR_ioctl && nr != TAP_NR_close) return 0;
  struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
  /* One probe read for the first three arguments: dx, si, di sit together in pt_regs. */
  unsigned long a[3] = {};
  bpf_probe_read_kernel(a, sizeof(a), &regs->dx);
  if (nr == TAP_NR_ioctl)
    on_ioctl_enter((int)a[2], (__u32)a[1], a[0]);
  else
    on_close_enter((int)a[2]);
  return 0;
}

SEC("raw_tp/sys_exit")
int rt_exit(struct bpf_raw_tracepoint_args *ctx) {
  /* Runs for every syscall: the number with a direct load from the task's saved registers
   * (the same pt_regs as args[0]) instead of a probe read. */
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(cur());
  if (!regs) return 0;
  long ret = (long)ctx->args[1];
  long nr = regs->orig_ax;
  switch (nr) {
    case TAP_NR_read: case TAP_NR_pread64: on_rw_exit(0, 0, ret); break;
    case TAP_NR_readv: case TAP_NR_preadv: case TAP_NR_preadv2: on_rw_exit(0, 1, ret); break;
    case TAP_NR_write: case TAP_NR_pwrite64: on_rw_exit(1, 0, ret); break;
    case TAP_NR_writev: case TAP_NR_pwritev: case TAP_NR_pwritev2: on_rw_exit(1, 1, ret); break;
    case TAP_NR_ioctl: on_ioctl_exit(ret); break;
    case TAP_NR_open: case TAP_NR_openat: case TAP_NR_openat2: on_open_exit(ret); break;
    case TAP_NR_setuid: case TAP_NR_setreuid: case TAP_NR_setresuid: case TAP_NR_setfsuid:
      on_setuid_exit(ret); break;
  }
  return 0;
}

/* ---- both flavours: exec on a pty ------------------------------------------------------- */

/* A setuid/setgid exec (or one leaving uid != euid) on the pty, and the session leader's
 * first exec after TIOCSCTTY (the opener when no loginuid is set). */
SEC("raw_tp/sched_process_exec")
int rt_exec(struct bpf_raw_tracepoint_args *ctx) {
  struct tap_config *c;
  if (!enabled(&c)) return 0;
  struct task_struct *task = cur();
  struct tap_session_key k;
  if (!ctty_key(task, &k)) return 0;
  struct tap_session_state *s = bpf_map_lookup_elem(&sessions, &k);
  if (!s) return 0;
  struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
  umode_t mode = BPF_CORE_READ(bprm, file, f_inode, i_mode);
  __u32 uid = BPF_CORE_READ(task, cred, uid.val);
  __u32 euid = BPF_CORE_READ(task, cred, euid.val);
  __u8 flags = 0;
  if ((mode & (TAP_S_ISUID | TAP_S_ISGID)) || uid != euid) flags |= TAP_F_SETID;
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (s->leader_tgid == tgid && !(s->flags & TAP_S_LEADER_EXEC)) {
    s->flags |= TAP_S_LEADER_EXEC;
    flags |= TAP_F_LEADER;
  }
  if (!flags) return 0;
  __u32 zero = 0;
  struct tap_rec_exec *e = bpf_map_lookup_elem(&exec_scratch, &zero);
  if (!e) return 0;
  fill_meta(&e->meta, TAP_REC_EXEC, &k, s);
  e->meta.hdr.size = sizeof(*e);
  e->meta.hdr.flags = flags;
  const char *fname = BPF_CORE_READ(bprm, filename);
  if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), fname) < 0)
    e->filename[0] = 0;
  submit(e, sizeof(*e), wake_flags(c, sizeof(*e)), 0);
  return 0;
}
