/* Namespaces, id maps, time namespace offsets, cgroups, fork, sessions, keyrings; fd bookkeeping;
 * sync points. */
#include <linux/keyctl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void op_cloexec_from(const struct op_cloexec_from *o)
{
	unsigned int from = o->fd;
	if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (errno != ENOSYS && errno != EINVAL)
		bail_errno(errno, "close_range(%u, CLOEXEC)", from);
	/* Old kernels: walk /proc/self/fd. */
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		bail_errno(errno, "mark fds from %u close-on-exec: open /proc/self/fd", from);
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd < (long)from || fd == self)
			continue;
		int fl = fcntl((int)fd, F_GETFD);
		if (fl >= 0)
			fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
	}
	closedir(d);
}

void op_inherit_fd(const struct op_inherit_fd *o)
{
	int fd = (int)o->fd;
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
		bail_errno(errno, "inherit fd %d", fd);
}

void op_open_fifo(const struct op_open_fifo *o)
{
	mode_t mode = o->mode & 07777;
	const char *path = o->path;
	if (mkfifo(path, mode) < 0)
		bail_errno(errno, "mkfifo \"%s\"", path);
	/* mkfifo applied the umask; the plan's mode is the one wanted. */
	if (chmod(path, mode) < 0)
		bail_errno(errno, "chmod \"%s\"", path);
	/* O_PATH now, reopened through /proc/self/fd at OP_WAIT_FIFO: after pivot_root the path is
	 * out of reach, and after the uid switch its directory may not be searchable; the fd is not. */
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "open \"%s\"", path);
	if (g_fifo_fd >= 0)
		close(g_fifo_fd);
	g_fifo_fd = fd;
}

void op_setns(const struct op_setns *o)
{
	int nstype = (int)o->nstype;
	const char *path = o->path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "setns \"%s\"", path);
	if (setns(fd, nstype) < 0)
		bail_errno(errno, "setns \"%s\" (nstype 0x%x)", path, (unsigned)nstype);
	close(fd);
}

void op_unshare(const struct op_unshare *o)
{
	if (unshare((int)o->flags) < 0)
		bail_errno(errno, "unshare(0x%x)", o->flags);
}

void op_idmap_sync(void)
{
	uint32_t pid = (uint32_t)getpid();
	send_frame_or_exit(FRAME_NEED_IDMAP, &pid, sizeof pid);
	wait_for(FRAME_IDMAP_DONE, "IDMAP_DONE");
}

void op_timens_offsets(const struct op_timens_offsets *o)
{
	const char *data = o->data;
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "open /proc/self/timens_offsets");
	size_t n = strlen(data);
	/* One write: the kernel takes the offsets of every clock at once. */
	ssize_t w = write(fd, data, n);
	if (w < 0)
		bail_errno(errno, "write /proc/self/timens_offsets");
	if ((size_t)w != n)
		bail_errno(EIO, "write /proc/self/timens_offsets");
	close(fd);
}

/* Writes "0" to each v1 `tasks` file: this thread moves, and a single-threaded process with it,
 * without the cgroup-wide lock (and its RCU grace period) that a pid in cgroup.procs takes. */
void op_join_cgroup(const struct op_join_cgroup *o)
{
	for (uint32_t i = 0; i < o->tasks.count; i++) {
		const char *path = o->tasks.items[i];
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			bail_errno(errno, "cgroup: open %s", path);
		if (write(fd, "0", 1) != 1)
			bail_errno(errno, "cgroup: join %s", path);
		close(fd);
	}
	const char *unified = o->unified;
	if (unified[0] != '\0') {
		g_cgroup_fd = open(unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (g_cgroup_fd < 0)
			bail_errno(errno, "cgroup: open %s", unified);
	}
}

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2), declared here to keep <linux/sched.h>
 * and its CLONE_* redefinitions out of this file. */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/* fork(), the child starting in the cgroup2 directory g_cgroup_fd when set. Kernels without
 * clone3's CLONE_INTO_CGROUP (before 5.7) get fork(); *placed is then 0 and the caller moves the
 * child through cgroup.procs. */
static pid_t fork_into_cgroup(int *placed)
{
	*placed = 0;
	if (g_cgroup_fd >= 0) {
		struct clone_args_v2 args;
		memset(&args, 0, sizeof args);
		args.flags = CLONE_INTO_CGROUP;
		args.exit_signal = SIGCHLD;
		args.cgroup = (uint64_t)g_cgroup_fd;
		long r = syscall(SYS_clone3, &args, sizeof args);
		if (r >= 0) {
			*placed = 1;
			return (pid_t)r;
		}
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			return -1;
	}
	return fork();
}

/*
 * Ends this process by the signal that ended its child, so tsrun names it (a hook killed by its
 * seccomp filter: SIGSYS), never dumping core; 128 + sig for a signal whose default is to ignore.
 */
static void die_like(int sig)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct rlimit none = {0, 0};
	setrlimit(RLIMIT_CORE, &none);
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kill(getpid(), sig);
	_exit(128 + sig);
}

void op_fork(const struct op_fork *o)
{
	int wait_child = o->wait != 0;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		bail_errno(errno, "fork: pipe");
	int placed;
	pid_t pid = fork_into_cgroup(&placed);
	if (pid < 0)
		bail_errno(errno, "fork");
	if (pid > 0) {
		/* The intermediate: report the child and leave. The child waits for the pipe to close,
		 * so nothing it sends can overtake CHILD_PID; the byte says CHILD_PID went out. */
		close(p[0]);
		if (g_cgroup_fd >= 0 && !placed) {
			/* No clone3 into a cgroup: move the child before letting it go on. */
			char num[16];
			int n = snprintf(num, sizeof num, "%d", (int)pid);
			int fd = openat(g_cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, num, (size_t)n) != n)
				bail_errno(errno, "cgroup: move %d into the cgroup2 directory", (int)pid);
			close(fd);
		}
		uint32_t v = (uint32_t)pid;
		if (send_frame(FRAME_CHILD_PID, &v, sizeof v) == 0) {
			ssize_t w = write(p[1], "1", 1);
			(void)w;
		}
		if (!wait_child)
			_exit(0);
		/* Stay as the child's parent and hand its exit status on (hooks in the pid namespace). */
		close(p[1]);
		close(g_sync_fd);
		int status;
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				_exit(127);
		if (WIFSIGNALED(status))
			die_like(WTERMSIG(status));
		_exit(WEXITSTATUS(status));
	}
	if (wait_child) {
		/* Killing the intermediate (a hook's timeout) kills the hook too. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	close(p[1]);
	char c, ok = 0;
	for (;;) {
		ssize_t r = read(p[0], &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ok = 1;
	}
	close(p[0]);
	if (!ok)
		_exit(1); /* the intermediate could not tell tsrun about us: tsrun is gone */
}

void op_setsid(void)
{
	if (setsid() < 0 && errno != EPERM)
		bail_errno(errno, "setsid");
}

void op_ready(void)
{
	send_frame_or_exit(FRAME_READY, NULL, 0);
	/* GO may carry the container state, for a seccomp listener (OP_SECCOMP_NOTIFY_SEND). */
	wait_for_payload(FRAME_GO, "GO", &g_go_payload, &g_go_len);
}

void op_sync(const struct op_sync *o)
{
	uint32_t tag = o->tag;
	send_frame_or_exit(FRAME_SYNC, &tag, sizeof tag);
	uint8_t *payload = NULL;
	uint32_t len = 0;
	wait_for_payload(FRAME_SYNC_ACK, "SYNC_ACK", &payload, &len);
	/* SYNC_SECCOMP_STATE: the state for OP_SECCOMP_NOTIFY_SEND, which follows the filter at once. */
	if (len > 0) {
		free(g_go_payload);
		g_go_payload = payload;
		g_go_len = len;
	} else {
		free(payload);
	}
}

void op_close_sync(void)
{
	if (g_sync_fd >= 0)
		close(g_sync_fd);
	g_sync_fd = -1;
}

void op_wait_fifo(void)
{
	char path[64];
	if (g_fifo_fd < 0)
		bail_msg(EBADF, "wait on the exec fifo: no fifo opened (OP_OPEN_FIFO)");
	snprintf(path, sizeof path, "/proc/self/fd/%d", g_fifo_fd);
	int fd;
	/* Blocks until `tsrun start` opens the fifo for reading. */
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		bail_errno(errno, "open exec fifo");
	ssize_t w;
	do
		w = write(fd, "0", 1);
	while (w < 0 && errno == EINTR);
	if (w != 1)
		bail_errno(w < 0 ? errno : EIO, "write exec fifo");
	close(fd);
	close(g_fifo_fd);
	g_fifo_fd = -1;
}

/*
 * A session keyring of the container's own (runc does the same, named after the container), made
 * searchable by the possessor's user so it stays usable after the uid switch.
 */
void op_join_keyring(const struct op_join_keyring *o)
{
	long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, o->name, 0, 0, 0);
	if (key < 0) {
		if (errno == ENOSYS)
			return;
		bail_errno(errno, "join session keyring \"%s\"", o->name);
	}
	char desc[512];
	long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, key, desc, sizeof desc - 1, 0);
	if (n < 0)
		bail_errno(errno, "describe session keyring \"%s\"", o->name);
	desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
	/* "type;uid;gid;perm;description": the fourth field is the permission mask in hex. */
	char *p = desc;
	for (int i = 0; i < 3 && p; i++) {
		p = strchr(p, ';');
		if (p)
			p++;
	}
	unsigned long perm = p ? strtoul(p, NULL, 16) : 0x3f1b0000UL;
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, key, perm | 0x080000UL, 0, 0) < 0)
		bail_errno(errno, "set permissions of session keyring \"%s\"", o->name);
}
