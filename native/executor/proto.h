/* Generated from src/executor/protocol.ts by scripts/gen-proto-h.ts. Do not edit. */
#ifndef TSRUN_PROTO_H
#define TSRUN_PROTO_H

#define TSRUN_FRAME_MAGIC 0x4e525354u
#define TSRUN_PROTOCOL_VERSION 6
#define TSRUN_FRAME_HEADER_SIZE 12
#define TSRUN_OP_HEADER_SIZE 8
#define TSRUN_MAX_FRAME 16777216

#define FRAME_HELLO 1
#define FRAME_PLAN 2
#define FRAME_NEED_IDMAP 3
#define FRAME_IDMAP_DONE 4
#define FRAME_SYNC 5
#define FRAME_SYNC_ACK 6
#define FRAME_CHILD_PID 7
#define FRAME_READY 8
#define FRAME_GO 9
#define FRAME_ABORT 10
#define FRAME_ERROR 11

#define PATH_IN_ROOT 1
#define PATH_CREATE_DIR 2
#define PATH_CREATE_FILE 4
#define PATH_IGNORE_ENOENT 8
#define PATH_SOURCE_IN_ROOT 16
#define PATH_CREATE_LIKE_SOURCE 32

#define TREE_RECURSIVE 1
#define TREE_IDMAP_RECURSIVE 2

#define OP_CLOEXEC_FROM 1
#define OP_INHERIT_FD 2
#define OP_OPEN_FIFO 3
#define OP_CONSOLE_CONNECT 4
#define OP_SETNS 5
#define OP_UNSHARE 6
#define OP_IDMAP_SYNC 7
#define OP_TIMENS_OFFSETS 8
#define OP_FORK 9
#define OP_SETSID 10
#define OP_MOUNT 11
#define OP_SET_ROOT 12
#define OP_MKNOD 13
#define OP_SYMLINK 14
#define OP_PIVOT_ROOT 15
#define OP_MOVE_ROOT 16
#define OP_MASK_PATH 17
#define OP_WRITE_FILE 18
#define OP_SETHOSTNAME 19
#define OP_SETDOMAINNAME 20
#define OP_RLIMIT 21
#define OP_CONSOLE 22
#define OP_CHDIR 23
#define OP_UMASK 24
#define OP_SETGROUPS 25
#define OP_SETRESGID 26
#define OP_SETRESUID 27
#define OP_CAPS_BOUNDING 28
#define OP_CAPSET 29
#define OP_CAPS_AMBIENT 30
#define OP_NO_NEW_PRIVS 31
#define OP_SECCOMP 32
#define OP_RESOLVE_EXEC 33
#define OP_READY 34
#define OP_WAIT_FIFO 35
#define OP_EXECVE 36
#define OP_SYNC 37
#define OP_MKDIR 38
#define OP_CLOSE_SYNC 39
#define OP_IDMAP_TREE 40
#define OP_ATTACH_TREE 41
#define OP_JOIN_KEYRING 42
#define OP_SECCOMP_LISTENER_CONNECT 43
#define OP_SECCOMP_NOTIFY_SEND 44
#define OP_JOIN_CGROUP 45

/* Op body layouts, in wire order:
 *   OP_CLOEXEC_FROM: u32 fd
 *   OP_INHERIT_FD: u32 fd
 *   OP_OPEN_FIFO: u32 mode, str path
 *   OP_CONSOLE_CONNECT: str path
 *   OP_SETNS: u32 nstype, str path
 *   OP_UNSHARE: u32 flags
 *   OP_IDMAP_SYNC: (empty)
 *   OP_TIMENS_OFFSETS: str data
 *   OP_FORK: u32 wait
 *   OP_SETSID: (empty)
 *   OP_MOUNT: u32 how, u64 flags, str source, str target, str fstype, str data
 *   OP_SET_ROOT: str path
 *   OP_MKNOD: u32 how, u32 mode, u32 major, u32 minor, u32 uid, u32 gid, str path
 *   OP_SYMLINK: u32 how, str target, str path
 *   OP_PIVOT_ROOT: (empty)
 *   OP_MOVE_ROOT: (empty)
 *   OP_MASK_PATH: str path
 *   OP_WRITE_FILE: u32 how, str path, str data
 *   OP_SETHOSTNAME: str name
 *   OP_SETDOMAINNAME: str name
 *   OP_RLIMIT: u32 resource, u64 soft, u64 hard
 *   OP_CONSOLE: u32 rows, u32 cols
 *   OP_CHDIR: str path
 *   OP_UMASK: u32 mask
 *   OP_SETGROUPS: u32s gids
 *   OP_SETRESGID: u32 gid
 *   OP_SETRESUID: u32 uid
 *   OP_CAPS_BOUNDING: u64 mask
 *   OP_CAPSET: u64 effective, u64 permitted, u64 inheritable
 *   OP_CAPS_AMBIENT: u64 mask
 *   OP_NO_NEW_PRIVS: (empty)
 *   OP_SECCOMP: u32 flags, bytes program
 *   OP_RESOLVE_EXEC: str arg0, str path
 *   OP_READY: (empty)
 *   OP_WAIT_FIFO: (empty)
 *   OP_EXECVE: strs argv, strs envp
 *   OP_SYNC: u32 tag
 *   OP_MKDIR: u32 how, u32 mode, str path
 *   OP_CLOSE_SYNC: (empty)
 *   OP_IDMAP_TREE: u32 how, u32 slot, str source, str usernsPath, str uidMap, str gidMap
 *   OP_ATTACH_TREE: u32 how, u32 slot, str target
 *   OP_JOIN_KEYRING: str name
 *   OP_SECCOMP_LISTENER_CONNECT: str path
 *   OP_SECCOMP_NOTIFY_SEND: (empty)
 *   OP_JOIN_CGROUP: strs tasks, str unified
 */

#endif
