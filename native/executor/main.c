/*
 * tsrun-executor: runs a plan of operations sent by tsrun (src/executor/protocol.ts) and ends in
 * execve of the container process. It holds no policy: every decision is in the plan. One error
 * path (bail.c) reports the failing op to tsrun and exits 1.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sendfile.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

int g_sync_fd = -1;
int g_root_fd = -1;
int g_root_is_slash;
int g_fifo_fd = -1;
int g_console_sock = -1;
int g_seccomp_listener_fd = -1;
int g_listener_sock = -1;
int g_cgroup_fd = -1;
uint8_t *g_go_payload;
uint32_t g_go_len;
int g_cap_last_cap = 40;
uint32_t g_op_index = UINT32_MAX; /* errors before the plan is parsed name no op */
const char *g_exec_path;

static void read_cap_last_cap(void)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	char *end;
	long v = strtol(buf, &end, 10);
	if (end != buf && v > 0 && v < 64)
		g_cap_last_cap = (int)v;
}

static void send_hello(void)
{
	uint8_t buf[4 + 4 + sizeof EXECUTOR_BUILD];
	uint32_t version = TSRUN_PROTOCOL_VERSION, slen = sizeof EXECUTOR_BUILD;
	memcpy(buf, &version, 4);
	memcpy(buf + 4, &slen, 4);
	memcpy(buf + 8, EXECUTOR_BUILD, sizeof EXECUTOR_BUILD);
	send_frame_or_exit(FRAME_HELLO, buf, sizeof buf);
}

/* Before the sync socket is set up there is nobody to report to but stderr. */
static void startup_fail(const char *what)
{
	dprintf(2, "tsrun-executor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * Runs this program from a sealed in-memory copy (CVE-2019-5736). While the executor sets a
 * container up it lives in the container's namespaces, and a process there could open
 * /proc/<pid>/exe for writing and so overwrite the host's binary. A sealed memfd copy cannot be
 * written by anyone. The first run copies and re-executes; the copy sees its seals and goes on.
 */
static void run_sealed(char **argv, char **envp)
{
	int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0) {
		startup_fail("open /proc/self/exe");
	}
	int seals = fcntl(exe, F_GET_SEALS);
	if (seals >= 0 && (seals & F_SEAL_WRITE)) {
		close(exe);
		return;
	}
	int mfd = memfd_create("tsrun-executor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	if (mfd < 0 || fstat(exe, &st) < 0) {
		startup_fail("memfd_create");
	}
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			startup_fail("copy the executor into a memfd");
		}
		left -= n;
	}
	close(exe);
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		startup_fail("seal the executor memfd");
	}
	fexecve(mfd, argv, envp);
	startup_fail("fexecve the sealed executor");
}

/*
 * `tsrun-executor signal PID STARTTIME SIG`: signals a container's init through a pidfd, so a
 * recycled pid is never hit. The pidfd pins the process; the start time read after opening it
 * proves it is still the container's init. Exit 0: sent; 3: that process is gone; 1: error.
 */
static int signal_mode(int argc, char **argv)
{
	if (argc != 5) {
		dprintf(2, "usage: tsrun-executor signal PID STARTTIME SIG\n");
		return 1;
	}
	pid_t pid = (pid_t)strtol(argv[2], NULL, 10);
	unsigned long long want = strtoull(argv[3], NULL, 10);
	int sig = (int)strtol(argv[4], NULL, 10);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return errno == ESRCH ? 3 : (dprintf(2, "pidfd_open %d: %s\n", pid, strerror(errno)), 1);
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 3;
	buf[n] = 0;
	/* Fields after the command name (which may hold spaces): state is field 3, starttime 22. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 3;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || strtoull(p, NULL, 10) != want)
		return 3;
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		return errno == ESRCH ? 3 : (dprintf(2, "pidfd_send_signal %d: %s\n", pid, strerror(errno)), 1);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && strcmp(argv[1], "signal") == 0)
		return signal_mode(argc, argv);
	run_sealed(argv, envp);
	const char *env = getenv("_TSRUN_SYNCFD");
	char *end;
	long fd;
	if (!env || !*env) {
		say("_TSRUN_SYNCFD is not set: this program is started by tsrun, not by hand");
		return 1;
	}
	fd = strtol(env, &end, 10);
	if (*end || fd < 0 || fd > 1 << 20 || fcntl((int)fd, F_GETFD) < 0) {
		say("_TSRUN_SYNCFD does not name an open file descriptor");
		return 1;
	}
	g_sync_fd = (int)fd;
	/* The socket never reaches the container process, and reads on it block. */
	fcntl(g_sync_fd, F_SETFD, FD_CLOEXEC);
	int fl = fcntl(g_sync_fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(g_sync_fd, F_SETFL, fl & ~O_NONBLOCK);
	/* The variable is ours, not the container's (envp comes from the plan anyway). */
	unsetenv("_TSRUN_SYNCFD");

	read_cap_last_cap();
	send_hello();

	uint16_t type, version;
	uint8_t *plan;
	uint32_t len, count;
	read_frame(&type, &version, &plan, &len);
	if (type != FRAME_PLAN)
		bail_msg(EPROTO, "expected a PLAN frame, got frame type %u", type);
	struct op *ops = parse_plan(plan, len, &count);

	for (uint32_t i = 0; i < count; i++) {
		g_op_index = i;
		clear_step();
		/* parse_plan refused unknown codes already: an op it knows has a handler. */
		if (run_op(&ops[i]) < 0)
			bail_msg(EINVAL, "unknown op %u", ops[i].code);
	}
	/* A plan normally ends in OP_EXECVE; one that does not simply ends here. */
	return 0;
}
