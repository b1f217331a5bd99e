// SPDX-License-Identifier: GPL-2.0
/* taprec's capture programs: every pty session's output (master reads), input (master
 * writes), writer attribution (slave writes, set*uid, setuid execs), sizes and life cycle.
 * Design and measurements: docs/bpf-abi.md and DESIGN.md §4. The ABI is tty_capture.h.
 *
 * Two hook flavours carry the same logic: per-syscall tracepoints (tp_*; unrelated syscalls
 * pay nothing) and raw_tp sys_enter/sys_exit (rt_*; for kernels without syscall
 * tracepoints). User space loads one flavour (autoload) and attaches it.
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

/* A call on a pty fd between its enter and exit, keyed by tid. */
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

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, struct pending);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} pending SEC(".maps");

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
 * (+75-90 %); the consumer also polls every 100 ms, so only wake it for a backlog. */
static __always_inline __u64 wake_flags(struct tap_config *c) {
  __u64 avail = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
  return avail >= c->wake_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
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

static __always_inline struct file *fd_file(int fd) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct files_struct *files = BPF_CORE_READ(task, files);
  struct fdtable *fdt = BPF_CORE_READ(files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if (fd < 0 || (unsigned int)fd >= max) return NULL;
  struct file **arr = BPF_CORE_READ(fdt, fd);
  struct file *f = NULL;
  bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
  return f;
}

/* Side of `f` by its inode alone: /dev/ptmx (5:2) is a master; a pts (136-143) or /dev/tty
 * (5:0, resolved later) may be a slave. */
static __always_inline int file_side(struct file *f) {
  if (!f) return SIDE_NONE;
  struct inode *ino = BPF_CORE_READ(f, f_inode);
  umode_t mode = BPF_CORE_READ(ino, i_mode);
  if ((mode & TAP_S_IFMT) != TAP_S_IFCHR) return SIDE_NONE;
  dev_t rdev = BPF_CORE_READ(ino, i_rdev);
  if (rdev == TAP_MKDEV(5, 2)) return SIDE_MASTER;
  __u32 major = rdev >> 20;
  if ((major >= 136 && major <= 143) || rdev == TAP_MKDEV(5, 0)) return SIDE_SLAVE;
  return SIDE_NONE;
}

static __always_inline struct tty_struct *file_tty(struct file *f) {
  struct tty_file_private *priv = BPF_CORE_READ(f, private_data);
  return BPF_CORE_READ(priv, tty);
}

static __always_inline int is_pts(struct tty_struct *tty) {
  int major = BPF_CORE_READ(tty, driver, major);
  return major >= 136 && major <= 143;
}

/* Session key from the slave tty: devpts dentry -> superblock s_dev, and the index. */
static __always_inline void slave_key(struct tty_struct *slave, struct tap_session_key *k) {
  struct dentry *d = BPF_CORE_READ(slave, driver_data);
  k->pty_dev = BPF_CORE_READ(d, d_sb, s_dev);
  k->pty_index = BPF_CORE_READ(slave, index);
  k->pad = 0;
}

/* Master fd -> key (via the linked slave). Returns the slave tty or NULL. */
static __always_inline struct tty_struct *master_key(struct file *f, struct tap_session_key *k) {
  struct tty_struct *master = file_tty(f);
  if (!master) return NULL;
  struct tty_struct *slave = BPF_CORE_READ(master, link);
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
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u64 ugid = bpf_get_current_uid_gid();
  fill_hdr(&m->hdr, kind, sizeof(*m), k, s ? s->generation : 0);
  m->tid = (__u32)bpf_get_current_pid_tgid();
  m->uid = (__u32)ugid;
  m->euid = BPF_CORE_READ(task, cred, euid.val);
  m->loginuid = BPF_CORE_READ(task, loginuid.val);
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
  submit(&m, sizeof(m), c ? wake_flags(c) : 0, 0);
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
  __u64 flags = wake_flags(c);

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

/* read family enter: remember master reads. */
static __always_inline void on_read_enter(int fd, __u64 buf, __u32 vlen) {
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct file *f = fd_file(fd);
  if (file_side(f) != SIDE_MASTER) return;
  struct pending p = {};
  if (!master_key(f, &p.key)) return;
  p.buf = buf;
  p.vlen = vlen;
  p.op = OP_OUTPUT;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
}

/* Kernel's own rule for tty_audit: a password prompt is ECHO off with ICANON on. */
static __always_inline int password_prompt(struct tty_struct *slave) {
  tcflag_t lflag = BPF_CORE_READ(slave, termios.c_lflag);
  return !(lflag & TAP_ECHO) && (lflag & TAP_ICANON);
}

/* write family enter: master writes are input; slave writes are attribution only. */
static __always_inline void on_write_enter(int fd, __u64 buf, __u32 vlen) {
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct file *f = fd_file(fd);
  int side = file_side(f);
  if (side == SIDE_NONE) return;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32;
  if (side == SIDE_MASTER) {
    struct pending p = {};
    struct tty_struct *slave = master_key(f, &p.key);
    if (!slave) return;
    p.buf = buf;
    p.vlen = vlen;
    p.op = OP_INPUT;
    if (c->input_mode == TAP_INPUT_NONE)
      p.suppress = 1;
    else if (c->input_mode == TAP_INPUT_SUPPRESS_PASSWORDS)
      p.suppress = password_prompt(slave);
    __u32 tid = (__u32)pid_tgid;
    bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
    return;
  }
  if (tgid == c->self_tgid) return;
  struct tap_session_key k;
  if (!slave_fd_key(f, &k)) return;
  struct tap_session_state *s = state_of(&k);
  if (!s) return;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u32 uid = (__u32)bpf_get_current_uid_gid();
  __u32 euid = BPF_CORE_READ(task, cred, euid.val);
  if (s->writer_tgid == tgid && s->writer_uid == uid && s->writer_euid == euid) return;
  s->writer_tgid = tgid;
  s->writer_uid = uid;
  s->writer_euid = euid;
  emit_meta(TAP_REC_WRITER, &k, s);
}

static __always_inline void on_rw_exit(long ret) {
  /* Ownership first: while a restarted daemon takes over, both program sets run, and only
   * the owner may consume a pending call, or the call would be lost without a trace. */
  struct tap_config *c;
  if (!enabled(&c)) return;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct pending *pp = bpf_map_lookup_elem(&pending, &tid);
  if (!pp) return;
  struct pending p = *pp;
  bpf_map_delete_elem(&pending, &tid);
  if (p.op != OP_OUTPUT && p.op != OP_INPUT) return;
  if (ret > 0) {
    copy_call(&p, ret, c);
    return;
  }
  if (p.op == OP_OUTPUT && ret == -5 /* EIO: the slave side is gone */) {
    struct tap_session_state *s = bpf_map_lookup_elem(&sessions, &p.key);
    if (!s || (s->flags & TAP_S_HUNG)) return;
    s->flags |= TAP_S_HUNG;
    emit_meta(TAP_REC_HANGUP, &p.key, s);
  }
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
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
}

static __always_inline void on_ioctl_exit(long ret) {
  struct tap_config *c;
  if (!enabled(&c)) return;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct pending *pp = bpf_map_lookup_elem(&pending, &tid);
  if (!pp) return;
  struct pending p = *pp;
  bpf_map_delete_elem(&pending, &tid);
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
  struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
  if (!tty || !is_pts(tty)) return 0;
  slave_key(tty, k);
  return 1;
}

static __always_inline void on_setuid_exit(long ret) {
  if (ret != 0) return;
  struct tap_config *c;
  if (!enabled(&c)) return;
  struct tap_session_key k;
  if (!ctty_key((struct task_struct *)bpf_get_current_task(), &k)) return;
  struct tap_session_state *s = bpf_map_lookup_elem(&sessions, &k);
  if (!s) return;
  emit_meta(TAP_REC_CRED, &k, s);
}

/* ---- flavour 1: per-syscall tracepoints --------------------------------------------------
 * A program may read only the arguments its syscall has (sys_enter_close with args[1] fails
 * to attach with EACCES), so each program reads exactly what it uses. */

#define TP_ENTER_RW(name, fn, vec)                                                   \
  SEC("tracepoint/syscalls/sys_enter_" #name)                                         \
  int tp_enter_##name(struct trace_event_raw_sys_enter *ctx) {                        \
    fn((int)ctx->args[0], ctx->args[1], vec ? (__u32)ctx->args[2] : 0);               \
    return 0;                                                                         \
  }
#define TP_EXIT(name, fn)                                                            \
  SEC("tracepoint/syscalls/sys_exit_" #name)                                          \
  int tp_exit_##name(struct trace_event_raw_sys_exit *ctx) {                          \
    fn(ctx->ret);                                                                     \
    return 0;                                                                         \
  }

TP_ENTER_RW(read, on_read_enter, 0)
TP_ENTER_RW(readv, on_read_enter, 1)
TP_ENTER_RW(pread64, on_read_enter, 0)
TP_ENTER_RW(preadv, on_read_enter, 1)
TP_ENTER_RW(preadv2, on_read_enter, 1)
TP_ENTER_RW(write, on_write_enter, 0)
TP_ENTER_RW(writev, on_write_enter, 1)
TP_ENTER_RW(pwrite64, on_write_enter, 0)
TP_ENTER_RW(pwritev, on_write_enter, 1)
TP_ENTER_RW(pwritev2, on_write_enter, 1)
TP_EXIT(read, on_rw_exit)
TP_EXIT(readv, on_rw_exit)
TP_EXIT(pread64, on_rw_exit)
TP_EXIT(preadv, on_rw_exit)
TP_EXIT(preadv2, on_rw_exit)
TP_EXIT(write, on_rw_exit)
TP_EXIT(writev, on_rw_exit)
TP_EXIT(pwrite64, on_rw_exit)
TP_EXIT(pwritev, on_rw_exit)
TP_EXIT(pwritev2, on_rw_exit)
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
  switch (nr) {
    case TAP_NR_read: case TAP_NR_readv: case TAP_NR_pread64: case TAP_NR_preadv:
    case TAP_NR_preadv2: case TAP_NR_write: case TAP_NR_writev: case TAP_NR_pwrite64:
    case TAP_NR_pwritev: case TAP_NR_pwritev2: case TAP_NR_ioctl: case TAP_NR_close:
      break;
    default:
      return 0;
  }
  struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
  /* One probe read for the first three arguments: dx, si, di sit together in pt_regs. */
  unsigned long a[3] = {};
  bpf_probe_read_kernel(a, sizeof(a), &regs->dx);
  int fd = (int)a[2];
  __u64 a1 = a[1], a2 = a[0];
  switch (nr) {
    case TAP_NR_read: case TAP_NR_pread64: on_read_enter(fd, a1, 0); break;
    case TAP_NR_readv: case TAP_NR_preadv: case TAP_NR_preadv2:
      on_read_enter(fd, a1, (__u32)a2); break;
    case TAP_NR_write: case TAP_NR_pwrite64: on_write_enter(fd, a1, 0); break;
    case TAP_NR_writev: case TAP_NR_pwritev: case TAP_NR_pwritev2:
      on_write_enter(fd, a1, (__u32)a2); break;
    case TAP_NR_ioctl: on_ioctl_enter(fd, (__u32)a1, a2); break;
    case TAP_NR_close: on_close_enter(fd); break;
  }
  return 0;
}

SEC("raw_tp/sys_exit")
int rt_exit(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
  long ret = (long)ctx->args[1];
  long nr = BPF_CORE_READ(regs, orig_ax);
  switch (nr) {
    case TAP_NR_read: case TAP_NR_readv: case TAP_NR_pread64: case TAP_NR_preadv:
    case TAP_NR_preadv2: case TAP_NR_write: case TAP_NR_writev: case TAP_NR_pwrite64:
    case TAP_NR_pwritev: case TAP_NR_pwritev2:
      on_rw_exit(ret); break;
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
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
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
  submit(e, sizeof(*e), wake_flags(c), 0);
  return 0;
}
