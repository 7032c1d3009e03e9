/* Generated from src/executor/protocol.ts by scripts/gen-proto-h.ts (make proto). Do not edit. */
#ifndef TSRUN_PROTO_H
#define TSRUN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define TSRUN_FRAME_MAGIC 0x4e525354u
#define TSRUN_PROTOCOL_VERSION 10
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
#define PATH_ENCLOSING_MOUNT 64

#define TREE_RECURSIVE 1
#define TREE_IDMAP_RECURSIVE 2
#define TREE_LAST_CLONE 4

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
#define OP_MOUNT_SETATTR 46
#define OP_STDIO_OWNER 47
#define OP_CHDIR_PRIVILEGED 48
#define OP_SOURCE_HELPER 49
#define OP_CLONE_TREE 50
#define OP_PASSWD_HOME 51
#define OP_CHROOT 52
#define OP_UMOUNT 53

/* The list kinds: strs is NULL-terminated too (an argv), bytes point into the plan. */
struct strs {
	char **items;
	uint32_t count;
};
struct u32s {
	uint32_t *items;
	uint32_t count;
};
struct bytes {
	const uint8_t *data;
	uint32_t len;
};

struct op_cloexec_from {
	uint32_t fd;
};

struct op_inherit_fd {
	uint32_t fd;
};

struct op_open_fifo {
	uint32_t mode;
	const char *path;
};

struct op_console_connect {
	const char *path;
};

struct op_setns {
	uint32_t nstype;
	const char *path;
};

struct op_unshare {
	uint32_t flags;
};

struct op_timens_offsets {
	const char *data;
};

struct op_fork {
	uint32_t wait;
};

struct op_mount {
	uint32_t how;
	uint64_t flags;
	const char *source;
	const char *target;
	const char *fstype;
	const char *data;
};

struct op_set_root {
	const char *path;
};

struct op_mknod {
	uint32_t how;
	uint32_t mode;
	uint32_t major;
	uint32_t minor;
	uint32_t uid;
	uint32_t gid;
	const char *path;
};

struct op_symlink {
	uint32_t how;
	const char *target;
	const char *path;
};

struct op_mask_path {
	const char *path;
};

struct op_write_file {
	uint32_t how;
	const char *path;
	const char *data;
};

struct op_sethostname {
	const char *name;
};

struct op_setdomainname {
	const char *name;
};

struct op_rlimit {
	uint32_t resource;
	uint64_t soft;
	uint64_t hard;
};

struct op_console {
	uint32_t rows;
	uint32_t cols;
	uint32_t bind_console;
};

struct op_chdir {
	const char *path;
};

struct op_umask {
	uint32_t mask;
};

struct op_setgroups {
	struct u32s gids;
};

struct op_setresgid {
	uint32_t gid;
};

struct op_setresuid {
	uint32_t uid;
};

struct op_caps_bounding {
	uint64_t mask;
};

struct op_capset {
	uint64_t effective;
	uint64_t permitted;
	uint64_t inheritable;
};

struct op_caps_ambient {
	uint64_t mask;
};

struct op_seccomp {
	uint32_t flags;
	struct bytes program;
};

struct op_resolve_exec {
	const char *arg0;
	const char *path;
};

struct op_execve {
	struct strs argv;
	struct strs envp;
};

struct op_sync {
	uint32_t tag;
};

struct op_mkdir {
	uint32_t how;
	uint32_t mode;
	const char *path;
};

struct op_idmap_tree {
	uint32_t how;
	uint32_t slot;
	const char *source;
	const char *userns_path;
	const char *uid_map;
	const char *gid_map;
};

struct op_attach_tree {
	uint32_t how;
	uint32_t slot;
	const char *target;
};

struct op_join_keyring {
	const char *name;
};

struct op_seccomp_listener_connect {
	const char *path;
};

struct op_join_cgroup {
	struct strs tasks;
	const char *unified;
};

struct op_mount_setattr {
	uint32_t how;
	uint64_t attr_set;
	uint64_t attr_clr;
	const char *target;
	const char *options;
};

struct op_stdio_owner {
	uint32_t uid;
};

struct op_chdir_privileged {
	const char *path;
};

struct op_clone_tree {
	uint32_t how;
	uint32_t slot;
	const char *source;
};

struct op_passwd_home {
	uint32_t uid;
};

struct op_umount {
	uint32_t flags;
	const char *path;
};

/* One op of the plan: its code and its fields, decoded by parse_plan (wire.c). */
struct op {
	uint16_t code;
	union {
		struct op_cloexec_from cloexec_from;
		struct op_inherit_fd inherit_fd;
		struct op_open_fifo open_fifo;
		struct op_console_connect console_connect;
		struct op_setns setns;
		struct op_unshare unshare;
		struct op_timens_offsets timens_offsets;
		struct op_fork fork;
		struct op_mount mount;
		struct op_set_root set_root;
		struct op_mknod mknod;
		struct op_symlink symlink;
		struct op_mask_path mask_path;
		struct op_write_file write_file;
		struct op_sethostname sethostname;
		struct op_setdomainname setdomainname;
		struct op_rlimit rlimit;
		struct op_console console;
		struct op_chdir chdir;
		struct op_umask umask;
		struct op_setgroups setgroups;
		struct op_setresgid setresgid;
		struct op_setresuid setresuid;
		struct op_caps_bounding caps_bounding;
		struct op_capset capset;
		struct op_caps_ambient caps_ambient;
		struct op_seccomp seccomp;
		struct op_resolve_exec resolve_exec;
		struct op_execve execve;
		struct op_sync sync;
		struct op_mkdir mkdir;
		struct op_idmap_tree idmap_tree;
		struct op_attach_tree attach_tree;
		struct op_join_keyring join_keyring;
		struct op_seccomp_listener_connect seccomp_listener_connect;
		struct op_join_cgroup join_cgroup;
		struct op_mount_setattr mount_setattr;
		struct op_stdio_owner stdio_owner;
		struct op_chdir_privileged chdir_privileged;
		struct op_clone_tree clone_tree;
		struct op_passwd_home passwd_home;
		struct op_umount umount;
	};
};

enum field_kind { FIELD_U32, FIELD_U64, FIELD_STR, FIELD_STRS, FIELD_U32S, FIELD_BYTES };

/* Where parse_plan puts each field of an op: its kind and its offset in struct op, in wire order.
 * An opcode without a name is unknown. */
#define OP_MAX_FIELDS 7
struct op_layout {
	const char *name;
	uint8_t count;
	struct {
		uint8_t kind;
		uint16_t offset;
	} fields[OP_MAX_FIELDS];
};

static const struct op_layout op_layouts[] = {
	[OP_CLOEXEC_FROM] = {"CLOEXEC_FROM", 1, {
		{FIELD_U32, offsetof(struct op, cloexec_from.fd)},
	}},
	[OP_INHERIT_FD] = {"INHERIT_FD", 1, {
		{FIELD_U32, offsetof(struct op, inherit_fd.fd)},
	}},
	[OP_OPEN_FIFO] = {"OPEN_FIFO", 2, {
		{FIELD_U32, offsetof(struct op, open_fifo.mode)},
		{FIELD_STR, offsetof(struct op, open_fifo.path)},
	}},
	[OP_CONSOLE_CONNECT] = {"CONSOLE_CONNECT", 1, {
		{FIELD_STR, offsetof(struct op, console_connect.path)},
	}},
	[OP_SETNS] = {"SETNS", 2, {
		{FIELD_U32, offsetof(struct op, setns.nstype)},
		{FIELD_STR, offsetof(struct op, setns.path)},
	}},
	[OP_UNSHARE] = {"UNSHARE", 1, {
		{FIELD_U32, offsetof(struct op, unshare.flags)},
	}},
	[OP_IDMAP_SYNC] = {"IDMAP_SYNC", 0},
	[OP_TIMENS_OFFSETS] = {"TIMENS_OFFSETS", 1, {
		{FIELD_STR, offsetof(struct op, timens_offsets.data)},
	}},
	[OP_FORK] = {"FORK", 1, {
		{FIELD_U32, offsetof(struct op, fork.wait)},
	}},
	[OP_SETSID] = {"SETSID", 0},
	[OP_MOUNT] = {"MOUNT", 6, {
		{FIELD_U32, offsetof(struct op, mount.how)},
		{FIELD_U64, offsetof(struct op, mount.flags)},
		{FIELD_STR, offsetof(struct op, mount.source)},
		{FIELD_STR, offsetof(struct op, mount.target)},
		{FIELD_STR, offsetof(struct op, mount.fstype)},
		{FIELD_STR, offsetof(struct op, mount.data)},
	}},
	[OP_SET_ROOT] = {"SET_ROOT", 1, {
		{FIELD_STR, offsetof(struct op, set_root.path)},
	}},
	[OP_MKNOD] = {"MKNOD", 7, {
		{FIELD_U32, offsetof(struct op, mknod.how)},
		{FIELD_U32, offsetof(struct op, mknod.mode)},
		{FIELD_U32, offsetof(struct op, mknod.major)},
		{FIELD_U32, offsetof(struct op, mknod.minor)},
		{FIELD_U32, offsetof(struct op, mknod.uid)},
		{FIELD_U32, offsetof(struct op, mknod.gid)},
		{FIELD_STR, offsetof(struct op, mknod.path)},
	}},
	[OP_SYMLINK] = {"SYMLINK", 3, {
		{FIELD_U32, offsetof(struct op, symlink.how)},
		{FIELD_STR, offsetof(struct op, symlink.target)},
		{FIELD_STR, offsetof(struct op, symlink.path)},
	}},
	[OP_PIVOT_ROOT] = {"PIVOT_ROOT", 0},
	[OP_MOVE_ROOT] = {"MOVE_ROOT", 0},
	[OP_MASK_PATH] = {"MASK_PATH", 1, {
		{FIELD_STR, offsetof(struct op, mask_path.path)},
	}},
	[OP_WRITE_FILE] = {"WRITE_FILE", 3, {
		{FIELD_U32, offsetof(struct op, write_file.how)},
		{FIELD_STR, offsetof(struct op, write_file.path)},
		{FIELD_STR, offsetof(struct op, write_file.data)},
	}},
	[OP_SETHOSTNAME] = {"SETHOSTNAME", 1, {
		{FIELD_STR, offsetof(struct op, sethostname.name)},
	}},
	[OP_SETDOMAINNAME] = {"SETDOMAINNAME", 1, {
		{FIELD_STR, offsetof(struct op, setdomainname.name)},
	}},
	[OP_RLIMIT] = {"RLIMIT", 3, {
		{FIELD_U32, offsetof(struct op, rlimit.resource)},
		{FIELD_U64, offsetof(struct op, rlimit.soft)},
		{FIELD_U64, offsetof(struct op, rlimit.hard)},
	}},
	[OP_CONSOLE] = {"CONSOLE", 3, {
		{FIELD_U32, offsetof(struct op, console.rows)},
		{FIELD_U32, offsetof(struct op, console.cols)},
		{FIELD_U32, offsetof(struct op, console.bind_console)},
	}},
	[OP_CHDIR] = {"CHDIR", 1, {
		{FIELD_STR, offsetof(struct op, chdir.path)},
	}},
	[OP_UMASK] = {"UMASK", 1, {
		{FIELD_U32, offsetof(struct op, umask.mask)},
	}},
	[OP_SETGROUPS] = {"SETGROUPS", 1, {
		{FIELD_U32S, offsetof(struct op, setgroups.gids)},
	}},
	[OP_SETRESGID] = {"SETRESGID", 1, {
		{FIELD_U32, offsetof(struct op, setresgid.gid)},
	}},
	[OP_SETRESUID] = {"SETRESUID", 1, {
		{FIELD_U32, offsetof(struct op, setresuid.uid)},
	}},
	[OP_CAPS_BOUNDING] = {"CAPS_BOUNDING", 1, {
		{FIELD_U64, offsetof(struct op, caps_bounding.mask)},
	}},
	[OP_CAPSET] = {"CAPSET", 3, {
		{FIELD_U64, offsetof(struct op, capset.effective)},
		{FIELD_U64, offsetof(struct op, capset.permitted)},
		{FIELD_U64, offsetof(struct op, capset.inheritable)},
	}},
	[OP_CAPS_AMBIENT] = {"CAPS_AMBIENT", 1, {
		{FIELD_U64, offsetof(struct op, caps_ambient.mask)},
	}},
	[OP_NO_NEW_PRIVS] = {"NO_NEW_PRIVS", 0},
	[OP_SECCOMP] = {"SECCOMP", 2, {
		{FIELD_U32, offsetof(struct op, seccomp.flags)},
		{FIELD_BYTES, offsetof(struct op, seccomp.program)},
	}},
	[OP_RESOLVE_EXEC] = {"RESOLVE_EXEC", 2, {
		{FIELD_STR, offsetof(struct op, resolve_exec.arg0)},
		{FIELD_STR, offsetof(struct op, resolve_exec.path)},
	}},
	[OP_READY] = {"READY", 0},
	[OP_WAIT_FIFO] = {"WAIT_FIFO", 0},
	[OP_EXECVE] = {"EXECVE", 2, {
		{FIELD_STRS, offsetof(struct op, execve.argv)},
		{FIELD_STRS, offsetof(struct op, execve.envp)},
	}},
	[OP_SYNC] = {"SYNC", 1, {
		{FIELD_U32, offsetof(struct op, sync.tag)},
	}},
	[OP_MKDIR] = {"MKDIR", 3, {
		{FIELD_U32, offsetof(struct op, mkdir.how)},
		{FIELD_U32, offsetof(struct op, mkdir.mode)},
		{FIELD_STR, offsetof(struct op, mkdir.path)},
	}},
	[OP_CLOSE_SYNC] = {"CLOSE_SYNC", 0},
	[OP_IDMAP_TREE] = {"IDMAP_TREE", 6, {
		{FIELD_U32, offsetof(struct op, idmap_tree.how)},
		{FIELD_U32, offsetof(struct op, idmap_tree.slot)},
		{FIELD_STR, offsetof(struct op, idmap_tree.source)},
		{FIELD_STR, offsetof(struct op, idmap_tree.userns_path)},
		{FIELD_STR, offsetof(struct op, idmap_tree.uid_map)},
		{FIELD_STR, offsetof(struct op, idmap_tree.gid_map)},
	}},
	[OP_ATTACH_TREE] = {"ATTACH_TREE", 3, {
		{FIELD_U32, offsetof(struct op, attach_tree.how)},
		{FIELD_U32, offsetof(struct op, attach_tree.slot)},
		{FIELD_STR, offsetof(struct op, attach_tree.target)},
	}},
	[OP_JOIN_KEYRING] = {"JOIN_KEYRING", 1, {
		{FIELD_STR, offsetof(struct op, join_keyring.name)},
	}},
	[OP_SECCOMP_LISTENER_CONNECT] = {"SECCOMP_LISTENER_CONNECT", 1, {
		{FIELD_STR, offsetof(struct op, seccomp_listener_connect.path)},
	}},
	[OP_SECCOMP_NOTIFY_SEND] = {"SECCOMP_NOTIFY_SEND", 0},
	[OP_JOIN_CGROUP] = {"JOIN_CGROUP", 2, {
		{FIELD_STRS, offsetof(struct op, join_cgroup.tasks)},
		{FIELD_STR, offsetof(struct op, join_cgroup.unified)},
	}},
	[OP_MOUNT_SETATTR] = {"MOUNT_SETATTR", 5, {
		{FIELD_U32, offsetof(struct op, mount_setattr.how)},
		{FIELD_U64, offsetof(struct op, mount_setattr.attr_set)},
		{FIELD_U64, offsetof(struct op, mount_setattr.attr_clr)},
		{FIELD_STR, offsetof(struct op, mount_setattr.target)},
		{FIELD_STR, offsetof(struct op, mount_setattr.options)},
	}},
	[OP_STDIO_OWNER] = {"STDIO_OWNER", 1, {
		{FIELD_U32, offsetof(struct op, stdio_owner.uid)},
	}},
	[OP_CHDIR_PRIVILEGED] = {"CHDIR_PRIVILEGED", 1, {
		{FIELD_STR, offsetof(struct op, chdir_privileged.path)},
	}},
	[OP_SOURCE_HELPER] = {"SOURCE_HELPER", 0},
	[OP_CLONE_TREE] = {"CLONE_TREE", 3, {
		{FIELD_U32, offsetof(struct op, clone_tree.how)},
		{FIELD_U32, offsetof(struct op, clone_tree.slot)},
		{FIELD_STR, offsetof(struct op, clone_tree.source)},
	}},
	[OP_PASSWD_HOME] = {"PASSWD_HOME", 1, {
		{FIELD_U32, offsetof(struct op, passwd_home.uid)},
	}},
	[OP_CHROOT] = {"CHROOT", 0},
	[OP_UMOUNT] = {"UMOUNT", 2, {
		{FIELD_U32, offsetof(struct op, umount.flags)},
		{FIELD_STR, offsetof(struct op, umount.path)},
	}},
};

/* The op handlers (fsops.c, nsops.c, procops.c). */
void op_cloexec_from(const struct op_cloexec_from *o);
void op_inherit_fd(const struct op_inherit_fd *o);
void op_open_fifo(const struct op_open_fifo *o);
void op_console_connect(const struct op_console_connect *o);
void op_setns(const struct op_setns *o);
void op_unshare(const struct op_unshare *o);
void op_idmap_sync(void);
void op_timens_offsets(const struct op_timens_offsets *o);
void op_fork(const struct op_fork *o);
void op_setsid(void);
void op_mount(const struct op_mount *o);
void op_set_root(const struct op_set_root *o);
void op_mknod(const struct op_mknod *o);
void op_symlink(const struct op_symlink *o);
void op_pivot_root(void);
void op_move_root(void);
void op_mask_path(const struct op_mask_path *o);
void op_write_file(const struct op_write_file *o);
void op_sethostname(const struct op_sethostname *o);
void op_setdomainname(const struct op_setdomainname *o);
void op_rlimit(const struct op_rlimit *o);
void op_console(const struct op_console *o);
void op_chdir(const struct op_chdir *o);
void op_umask(const struct op_umask *o);
void op_setgroups(const struct op_setgroups *o);
void op_setresgid(const struct op_setresgid *o);
void op_setresuid(const struct op_setresuid *o);
void op_caps_bounding(const struct op_caps_bounding *o);
void op_capset(const struct op_capset *o);
void op_caps_ambient(const struct op_caps_ambient *o);
void op_no_new_privs(void);
void op_seccomp(const struct op_seccomp *o);
void op_resolve_exec(const struct op_resolve_exec *o);
void op_ready(void);
void op_wait_fifo(void);
void op_execve(const struct op_execve *o);
void op_sync(const struct op_sync *o);
void op_mkdir(const struct op_mkdir *o);
void op_close_sync(void);
void op_idmap_tree(const struct op_idmap_tree *o);
void op_attach_tree(const struct op_attach_tree *o);
void op_join_keyring(const struct op_join_keyring *o);
void op_seccomp_listener_connect(const struct op_seccomp_listener_connect *o);
void op_seccomp_notify_send(void);
void op_join_cgroup(const struct op_join_cgroup *o);
void op_mount_setattr(const struct op_mount_setattr *o);
void op_stdio_owner(const struct op_stdio_owner *o);
void op_chdir_privileged(const struct op_chdir_privileged *o);
void op_source_helper(void);
void op_clone_tree(const struct op_clone_tree *o);
void op_passwd_home(const struct op_passwd_home *o);
void op_chroot(void);
void op_umount(const struct op_umount *o);

/* Runs the handler of o; -1 for an opcode without one. */
static inline int run_op(const struct op *o)
{
	switch (o->code) {
	case OP_CLOEXEC_FROM: op_cloexec_from(&o->cloexec_from); return 0;
	case OP_INHERIT_FD: op_inherit_fd(&o->inherit_fd); return 0;
	case OP_OPEN_FIFO: op_open_fifo(&o->open_fifo); return 0;
	case OP_CONSOLE_CONNECT: op_console_connect(&o->console_connect); return 0;
	case OP_SETNS: op_setns(&o->setns); return 0;
	case OP_UNSHARE: op_unshare(&o->unshare); return 0;
	case OP_IDMAP_SYNC: op_idmap_sync(); return 0;
	case OP_TIMENS_OFFSETS: op_timens_offsets(&o->timens_offsets); return 0;
	case OP_FORK: op_fork(&o->fork); return 0;
	case OP_SETSID: op_setsid(); return 0;
	case OP_MOUNT: op_mount(&o->mount); return 0;
	case OP_SET_ROOT: op_set_root(&o->set_root); return 0;
	case OP_MKNOD: op_mknod(&o->mknod); return 0;
	case OP_SYMLINK: op_symlink(&o->symlink); return 0;
	case OP_PIVOT_ROOT: op_pivot_root(); return 0;
	case OP_MOVE_ROOT: op_move_root(); return 0;
	case OP_MASK_PATH: op_mask_path(&o->mask_path); return 0;
	case OP_WRITE_FILE: op_write_file(&o->write_file); return 0;
	case OP_SETHOSTNAME: op_sethostname(&o->sethostname); return 0;
	case OP_SETDOMAINNAME: op_setdomainname(&o->setdomainname); return 0;
	case OP_RLIMIT: op_rlimit(&o->rlimit); return 0;
	case OP_CONSOLE: op_console(&o->console); return 0;
	case OP_CHDIR: op_chdir(&o->chdir); return 0;
	case OP_UMASK: op_umask(&o->umask); return 0;
	case OP_SETGROUPS: op_setgroups(&o->setgroups); return 0;
	case OP_SETRESGID: op_setresgid(&o->setresgid); return 0;
	case OP_SETRESUID: op_setresuid(&o->setresuid); return 0;
	case OP_CAPS_BOUNDING: op_caps_bounding(&o->caps_bounding); return 0;
	case OP_CAPSET: op_capset(&o->capset); return 0;
	case OP_CAPS_AMBIENT: op_caps_ambient(&o->caps_ambient); return 0;
	case OP_NO_NEW_PRIVS: op_no_new_privs(); return 0;
	case OP_SECCOMP: op_seccomp(&o->seccomp); return 0;
	case OP_RESOLVE_EXEC: op_resolve_exec(&o->resolve_exec); return 0;
	case OP_READY: op_ready(); return 0;
	case OP_WAIT_FIFO: op_wait_fifo(); return 0;
	case OP_EXECVE: op_execve(&o->execve); return 0;
	case OP_SYNC: op_sync(&o->sync); return 0;
	case OP_MKDIR: op_mkdir(&o->mkdir); return 0;
	case OP_CLOSE_SYNC: op_close_sync(); return 0;
	case OP_IDMAP_TREE: op_idmap_tree(&o->idmap_tree); return 0;
	case OP_ATTACH_TREE: op_attach_tree(&o->attach_tree); return 0;
	case OP_JOIN_KEYRING: op_join_keyring(&o->join_keyring); return 0;
	case OP_SECCOMP_LISTENER_CONNECT: op_seccomp_listener_connect(&o->seccomp_listener_connect); return 0;
	case OP_SECCOMP_NOTIFY_SEND: op_seccomp_notify_send(); return 0;
	case OP_JOIN_CGROUP: op_join_cgroup(&o->join_cgroup); return 0;
	case OP_MOUNT_SETATTR: op_mount_setattr(&o->mount_setattr); return 0;
	case OP_STDIO_OWNER: op_stdio_owner(&o->stdio_owner); return 0;
	case OP_CHDIR_PRIVILEGED: op_chdir_privileged(&o->chdir_privileged); return 0;
	case OP_SOURCE_HELPER: op_source_helper(); return 0;
	case OP_CLONE_TREE: op_clone_tree(&o->clone_tree); return 0;
	case OP_PASSWD_HOME: op_passwd_home(&o->passwd_home); return 0;
	case OP_CHROOT: op_chroot(); return 0;
	case OP_UMOUNT: op_umount(&o->umount); return 0;
	}
	return -1;
}

#endif
