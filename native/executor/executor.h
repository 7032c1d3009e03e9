/* tsrun-executor: shared state and helpers. See src/executor/protocol.ts for the wire contract;
 * proto.h (generated from it) declares struct op, each op's fields and the op handlers. */
#ifndef TSRUN_EXECUTOR_H
#define TSRUN_EXECUTOR_H

#include <stdint.h>
#include <sys/types.h>
#include "proto.h"

#define EXECUTOR_BUILD "tsrun-executor 1"

/* Process-wide state (single-threaded). */
extern int g_sync_fd;        /* the sync socket, -1 after OP_CLOSE_SYNC */
extern int g_root_fd;        /* O_PATH fd IN_ROOT resolves beneath, -1 before OP_SET_ROOT */
extern int g_root_is_slash;  /* after PIVOT_ROOT/MOVE_ROOT: the root fd is "/" */
extern int g_fifo_fd;        /* O_PATH fd of the exec fifo (OP_OPEN_FIFO) */
extern int g_console_sock;   /* console socket (OP_CONSOLE_CONNECT) */
extern int g_seccomp_listener_fd; /* the notify fd of OP_SECCOMP's NEW_LISTENER flag, -1 if none */
extern int g_cgroup_fd;       /* cgroup2 dir the next OP_FORK's child goes into (OP_JOIN_CGROUP), or -1 */
extern int g_listener_sock;   /* seccomp listener socket (OP_SECCOMP_LISTENER_CONNECT) */
extern uint8_t *g_go_payload; /* the container state for the listener: from SYNC_ACK or GO */
extern uint32_t g_go_len;     /* its length in bytes */
extern int g_cap_last_cap;   /* /proc/sys/kernel/cap_last_cap read at start-up */
extern uint32_t g_op_index;  /* index of the op being run, for ERROR frames */
extern const char *g_exec_path; /* the result of OP_RESOLVE_EXEC, NULL before it */

/* wire.c */
int send_frame(uint16_t type, const void *payload, uint32_t len);
void send_frame_or_exit(uint16_t type, const void *payload, uint32_t len);
/* Reads one frame; the payload is malloc'd (NULL when empty). EOF exits silently. */
void read_frame(uint16_t *type, uint16_t *version, uint8_t **payload, uint32_t *len);
/* Waits for `want`; ABORT or EOF exit 1 silently, anything else is a protocol error. */
void wait_for(uint16_t want, const char *what);
/* The same, keeping the payload (malloc'd; NULL when empty). */
void wait_for_payload(uint16_t want, const char *what, uint8_t **out, uint32_t *out_len);
/* Parses a PLAN payload into ops; errors bail with the index of the bad op. */
struct op *parse_plan(const uint8_t *p, uint32_t len, uint32_t *count);

/* fsops.c: keeps a detached mount tree in `slot` for OP_ATTACH_TREE (src names it in errors). */
void keep_tree(uint32_t slot, int fd, const char *src);
/* procops.c: one sendmsg of data with exactly one fd as SCM_RIGHTS; errors bail naming `what`. */
ssize_t send_with_fd(int sock, const void *data, size_t len, int fd);
void send_fd(int sock, const void *data, size_t len, int fd, const char *what);

/* fsops.c helpers shared with procops.c */
/* Opens path (flags | O_CLOEXEC) beneath the root fd (in_root) or as is. */
int open_path(int in_root, const char *path, int flags, mode_t mode);
/* Creates path as an empty regular file (parents as directories) when absent; O_PATH fd. */
int create_file(int in_root, const char *path);
/* "/proc/self/fd/N" for fd, or `orig` when /proc is not there and the root is "/". */
const char *fd_path(int fd, const char *orig, char *buf, size_t size);

#endif
