/* The kernel <-> user ABI of taprec's BPF capture (docs/bpf-abi.md).
 *
 * Shared verbatim by tty_capture.bpf.c and the recorder's event decoder
 * (recorder/src/decoder.cpp), which is the only user-space code that reads these bytes.
 * Every record in the ring buffer starts with struct tap_rec_hdr, whose `size` covers the
 * whole record, so a reader can skip kinds it does not know. Fixed-size __u* fields only;
 * no pointers, no implicit padding (the static asserts in the decoder check the sizes).
 * Bump TAP_ABI_VERSION on any change to a layout or a meaning.
 */
#ifndef TAP_TTY_CAPTURE_H
#define TAP_TTY_CAPTURE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TAP_ABI_VERSION 1

/* Largest payload of one data record. A master read returns at most one n_tty buffer
 * (4 KiB), so one output read is usually one record; larger reads and writes are cut into
 * several records whose offsets follow each other. */
#define TAP_CHUNK_MAX 4096
/* Chunks per iovec segment (bpf_loop bound): 4 MiB per segment; more is counted lost. */
#define TAP_CHUNKS_PER_SEG 1024
/* iovec segments walked per call (bpf_loop bound); later segments are counted lost. */
#define TAP_MAX_IOV 64
/* Longest exec path copied (bytes incl. NUL). */
#define TAP_PATH_MAX 256

/* Record kinds (tap_rec_hdr.kind). */
enum tap_rec_kind {
  TAP_REC_OUTPUT = 1,       /* tap_rec_data: bytes the terminal read from the master */
  TAP_REC_INPUT = 2,        /* tap_rec_data: bytes the terminal wrote to the master */
  TAP_REC_INPUT_SUPPRESSED = 3, /* tap_rec_data without payload: input typed at a password
                                   prompt (slave ECHO off, ICANON on), or input mode "none" */
  TAP_REC_OPEN = 4,         /* tap_rec_meta: /dev/ptmx opened, a new session (generation) */
  TAP_REC_CLOSE = 5,        /* tap_rec_meta: last reference to the master closed */
  TAP_REC_HANGUP = 6,       /* tap_rec_meta: a master read returned EIO (slave side gone) */
  TAP_REC_WRITER = 7,       /* tap_rec_meta: a new process or uid/euid writes to the slave */
  TAP_REC_CRED = 8,         /* tap_rec_meta: a set*uid call succeeded in a task on the pty */
  TAP_REC_EXEC = 9,         /* tap_rec_exec: setuid/setgid exec, or the leader's exec */
  TAP_REC_RESIZE = 10,      /* tap_rec_meta: TIOCSWINSZ with a new size (cols/rows) */
  TAP_REC_LEADER = 11,      /* tap_rec_meta: a task took the slave as controlling tty */
  TAP_REC_FAULT = 12,       /* tap_rec_data without payload: bytes that could not be
                               copied from user memory (page not resident); a gap */
};

/* Flags (tap_rec_hdr.flags). */
#define TAP_F_LEADER 0x01   /* TAP_REC_EXEC: the exec of the session leader */
#define TAP_F_SETID 0x02    /* TAP_REC_EXEC: the file is setuid/setgid or uid != euid */
#define TAP_F_TRUNC 0x04    /* FAULT: bytes beyond the copy limits (iovecs, segment size) */
#define TAP_F_INPUT 0x08    /* FAULT: the bytes belong to the input stream (else output) */

/* Common header, 32 bytes. */
struct tap_rec_hdr {
  __u16 size;         /* bytes of the whole record, header included */
  __u8 kind;          /* enum tap_rec_kind */
  __u8 flags;         /* TAP_F_* */
  __u32 pty_index;    /* N of /dev/pts/N */
  __u64 ts_ns;        /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at the syscall */
  __u64 pty_dev;      /* devpts superblock s_dev (kernel encoding: major << 20 | minor) */
  __u32 generation;   /* per (pty_dev, pty_index), bumped at every ptmx open */
  __u32 tgid;         /* process that made the call */
};

/* OUTPUT, INPUT, INPUT_SUPPRESSED, FAULT: 48 bytes + len bytes of payload. */
struct tap_rec_data {
  struct tap_rec_hdr hdr;
  __u64 offset;       /* stream byte offset of the first byte of this record */
  __u32 len;          /* bytes this record covers (payload bytes for OUTPUT/INPUT) */
  __u32 call_len;     /* bytes the whole syscall moved (sum over its records) */
  /* __u8 data[len] follows for OUTPUT and INPUT */
};

/* OPEN, CLOSE, HANGUP, WRITER, CRED, RESIZE, LEADER: 104 bytes. */
struct tap_rec_meta {
  struct tap_rec_hdr hdr;
  __u32 tid;          /* thread that made the call */
  __u32 uid;          /* real uid */
  __u32 euid;         /* effective uid */
  __u32 loginuid;     /* audit login uid, 0xFFFFFFFF when unset */
  __u64 cgroup_id;    /* bpf_get_current_cgroup_id() (cgroup v2; 1 on v1 hosts) */
  __u64 mnt_ns;       /* mount namespace inode number */
  __u64 out_off;      /* output stream offset after this point (bytes ever read) */
  __u64 in_off;       /* input stream offset after this point (bytes ever written) */
  __u16 cols;         /* RESIZE: new size; others: last known size (0 unknown) */
  __u16 rows;
  __u32 ppid;         /* parent tgid */
  char comm[16];      /* task comm, NUL-padded */
};

/* EXEC: tap_rec_meta + the path given to execve, 360 bytes. */
struct tap_rec_exec {
  struct tap_rec_meta meta;
  char filename[TAP_PATH_MAX]; /* NUL-terminated, possibly cut short */
};

/* Key of the per-session kernel state (pinned map "sessions"). */
struct tap_session_key {
  __u64 pty_dev;      /* devpts s_dev (kernel encoding) */
  __u32 pty_index;
  __u32 pad;          /* zero */
};

/* Per-session kernel state; pinned so a restarted daemon knows the offsets it missed. */
struct tap_session_state {
  __u64 out_off;      /* output bytes ever read from the master in this generation */
  __u64 in_off;       /* input bytes ever written to the master in this generation */
  __u32 generation;   /* bumped at each ptmx open of this key */
  __u32 writer_tgid;  /* last slave writer (attribution dedup) */
  __u32 writer_uid;
  __u32 writer_euid;
  __u32 leader_tgid;  /* task that did TIOCSCTTY, 0 unknown */
  __u16 cols;         /* last size announced (RESIZE dedup) */
  __u16 rows;
  __u32 flags;        /* TAP_S_* */
  __u32 pad;
};

#define TAP_S_HUNG 0x1        /* HANGUP already emitted for this generation */
#define TAP_S_LEADER_EXEC 0x2 /* the leader's first exec was emitted */
#define TAP_S_CLOSED 0x4      /* CLOSE emitted: the generation is over */

/* Input policy (tap_config.input_mode). */
#define TAP_INPUT_ALL 0
#define TAP_INPUT_SUPPRESS_PASSWORDS 1
#define TAP_INPUT_NONE 2

/* Runtime settings (map "tap_config_map", one entry; user space writes it, SIGHUP may change it). */
struct tap_config {
  __u32 abi_version;  /* TAP_ABI_VERSION of the daemon that loaded the programs */
  __u32 input_mode;   /* TAP_INPUT_* */
  __u32 self_tgid;    /* the daemon: its own slave writes are not attributed */
  __u32 owner;        /* instance id of the loaded programs that record; others return at
                         once. Lets a restarted daemon attach its programs before the old
                         ones are detached without counting any call twice or not at all */
  __u64 wake_bytes;   /* wake the consumer once this much data is pending in the ring */
};

/* Per-CPU counters (map "stats", one struct per CPU; user space sums). */
struct tap_stats {
  __u64 records;       /* records submitted */
  __u64 drop_records;  /* records the ring had no room for */
  __u64 drop_bytes;    /* payload bytes in those records */
  __u64 fault_bytes;   /* bytes that could not be read from user memory */
  __u64 trunc_bytes;   /* bytes beyond the copy limits (iovecs/segment size) */
};

#endif /* TAP_TTY_CAPTURE_H */
