/* Process ops: names, rlimits, console, ids, capabilities, seccomp, exec resolution, execve. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

void op_sethostname(const struct op_sethostname *o)
{
	const char *name = o->name;
	if (sethostname(name, strlen(name)) < 0)
		bail_errno(errno, "sethostname \"%s\"", name);
}

void op_setdomainname(const struct op_setdomainname *o)
{
	const char *name = o->name;
	if (setdomainname(name, strlen(name)) < 0)
		bail_errno(errno, "setdomainname \"%s\"", name);
}

void op_rlimit(const struct op_rlimit *o)
{
	uint32_t res = o->resource;
	uint64_t soft = o->soft, hard = o->hard;
	struct rlimit rl = {
		.rlim_cur = soft == ~0ULL ? RLIM_INFINITY : (rlim_t)soft,
		.rlim_max = hard == ~0ULL ? RLIM_INFINITY : (rlim_t)hard,
	};
	if (setrlimit((__rlimit_resource_t)res, &rl) < 0)
		bail_errno(errno, "setrlimit(%u, soft %llu, hard %llu)", res, (unsigned long long)soft,
			   (unsigned long long)hard);
}

/* A connected AF_UNIX stream socket to path (close-on-exec); `what` names it in errors. */
static int connect_unix(const char *path, const char *what)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		bail_errno(ENAMETOOLONG, "connect to %s \"%s\"", what, path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bail_errno(errno, "connect to %s \"%s\": socket", what, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		bail_errno(errno, "connect to %s \"%s\"", what, path);
	return fd;
}

void op_console_connect(const struct op_console_connect *o)
{
	int fd = connect_unix(o->path, "console socket");
	if (g_console_sock >= 0)
		close(g_console_sock);
	g_console_sock = fd;
}

void op_seccomp_listener_connect(const struct op_seccomp_listener_connect *o)
{
	int fd = connect_unix(o->path, "seccomp listener");
	if (g_listener_sock >= 0)
		close(g_listener_sock);
	g_listener_sock = fd;
}

/*
 * One sendmsg: data as the message and, unless fd is -1, exactly one fd as the one SCM_RIGHTS
 * cmsg (what go-runc, conmon and seccomp agents expect). Returns sendmsg's result.
 */
ssize_t send_with_fd(int sock, const void *data, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t r;
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r;
}

/* send_with_fd of one fd, or the executor fails naming `what`. */
void send_fd(int sock, const void *data, size_t len, int fd, const char *what)
{
	if (send_with_fd(sock, data, len, fd) < 0)
		bail_errno(errno, "%s", what);
}

static void send_master(int master)
{
	static const char name[] = "/dev/pts/ptmx";
	send_fd(g_console_sock, name, sizeof name - 1, master, "console: send the terminal master over the console socket");
}

/*
 * runtime-spec: the listener gets the container process state (JSON, from tsrun's SYNC_ACK or GO) as
 * the message and the seccomp notify fd as SCM_RIGHTS; neither stays with the container process.
 */
void op_seccomp_notify_send(void)
{
	if (g_seccomp_listener_fd < 0 || g_listener_sock < 0)
		bail_msg(EINVAL, "seccomp listener: no notify fd or no listener connection");
	if (!g_go_payload || g_go_len == 0)
		bail_msg(EPROTO, "seccomp listener: tsrun sent no container state (SYNC_ACK or GO)");
	send_fd(g_listener_sock, g_go_payload, g_go_len, g_seccomp_listener_fd, "seccomp listener: send the notify fd");
	close(g_seccomp_listener_fd);
	close(g_listener_sock);
	g_seccomp_listener_fd = g_listener_sock = -1;
}

/* Bind the peer over /dev/console (through fds: no symlink can redirect either end). */
static void bind_console(int in_root, int peer, const char *pts)
{
	int cfd = create_file(in_root, "/dev/console");
	if (cfd < 0)
		bail_errno(errno, "console: create \"/dev/console\"");
	char sbuf[64], tbuf[64];
	const char *src = fd_path(peer, pts, sbuf, sizeof sbuf);
	const char *tgt = in_root ? fd_path(cfd, "/dev/console", tbuf, sizeof tbuf) : "/dev/console";
	if (mount(src, tgt, NULL, MS_BIND, NULL) < 0)
		bail_errno(errno, "console: mount \"%s\" on \"/dev/console\"", pts);
	close(cfd);
}

void op_console(const struct op_console *o)
{
	uint32_t rows = o->rows, cols = o->cols;
	int in_root = g_root_fd >= 0;
	if (g_console_sock < 0)
		bail_msg(EBADF, "console: no console socket (OP_CONSOLE_CONNECT)");
	int master = open_path(in_root, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0);
	if (master < 0)
		bail_errno(errno, "console: open \"/dev/pts/ptmx\"");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		bail_errno(errno, "console: unlockpt");
	int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (peer < 0)
		bail_errno(errno, "console: open the terminal peer");
	unsigned int n;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		bail_errno(errno, "console: get the terminal number");
	if (rows || cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			bail_errno(errno, "console: set the window size");
	}
	char pts[32];
	snprintf(pts, sizeof pts, "/dev/pts/%u", n);
	if (o->bind_console)
		bind_console(in_root, peer, pts);
	send_master(master);
	close(master);
	close(g_console_sock);
	g_console_sock = -1;
	if (ioctl(peer, TIOCSCTTY, 0) < 0)
		bail_errno(errno, "console: make \"%s\" the controlling terminal", pts);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(peer, fd) < 0)
			bail_errno(errno, "console: dup2 \"%s\" to fd %d", pts, fd);
	if (peer > 2)
		close(peer);
}

void op_stdio_owner(const struct op_stdio_owner *o)
{
	uid_t uid = o->uid;
	struct stat null;
	if (stat("/dev/null", &null) < 0)
		bail_errno(errno, "stdio owner: stat \"/dev/null\"");
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			if (errno == EBADF)
				continue; /* closed: nothing to own */
			bail_errno(errno, "stdio owner: fstat fd %d", fd);
		}
		if (st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev))
			continue;
		/* The group stays: a devpts gid= option (tty) is what the terminal's group should be. */
		if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
			bail_errno(errno, "stdio owner: chown fd %d to uid %u", fd, uid);
	}
}

/* The path OP_CHDIR_PRIVILEGED entered, so OP_CHDIR need not (and as the user might not) enter it again. */
static char *privileged_cwd;

void op_chdir_privileged(const struct op_chdir_privileged *o)
{
	if (chdir(o->path) == 0) {
		free(privileged_cwd);
		if (!(privileged_cwd = strdup(o->path)))
			bail_errno(ENOMEM, "chdir \"%s\"", o->path);
		return;
	}
	if (errno != EACCES && errno != EPERM)
		bail_errno(errno, "chdir \"%s\"", o->path);
}

void op_chdir(const struct op_chdir *o)
{
	if (privileged_cwd && !strcmp(privileged_cwd, o->path))
		return;
	if (chdir(o->path) < 0)
		bail_errno(errno, "chdir \"%s\"", o->path);
}

void op_umask(const struct op_umask *o)
{
	umask((mode_t)(o->mask & 0777));
}

void op_setgroups(const struct op_setgroups *o)
{
	uint32_t n = o->gids.count;
	gid_t *list = (gid_t *)o->gids.items; /* gid_t is 32 bits: the u32s array is the list */
	_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");
	if (setgroups(n, n ? list : NULL) < 0) {
		/* userns: a user namespace whose gid map was written unprivileged (rootless: the caller's
		 * own gid) has setgroups denied for good. Clearing the groups then has nothing to do (as
		 * runc); asking for groups is an error that says why. */
		int e = errno;
		char buf[16] = "";
		int fd = e == EPERM ? open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0) {
			ssize_t n = read(fd, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = 0;
			close(fd);
		}
		if (!strncmp(buf, "deny", 4)) {
			if (n == 0)
				return;
			bail_errno(e, "setgroups(%u groups): setgroups is denied in this user namespace (its gid map "
				      "was written without privileges: map gids through /etc/subgid and newgidmap)", n);
		}
		bail_errno(e, "setgroups(%u groups)", n);
	}
}

void op_setresgid(const struct op_setresgid *o)
{
	gid_t g = o->gid;
	if (setresgid(g, g, g) < 0)
		bail_errno(errno, "setresgid(%u)", g);
}

void op_setresuid(const struct op_setresuid *o)
{
	uid_t u = o->uid;
	/* Keep the permitted set across the uid change, so OP_CAPSET can still set it. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		bail_errno(errno, "prctl(PR_SET_KEEPCAPS, 1)");
	if (setresuid(u, u, u) < 0)
		bail_errno(errno, "setresuid(%u)", u);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		bail_errno(errno, "prctl(PR_SET_KEEPCAPS, 0)");
}

void op_caps_bounding(const struct op_caps_bounding *o)
{
	uint64_t mask = o->mask;
	for (int cap = 0; cap <= g_cap_last_cap; cap++) {
		if (mask & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			bail_errno(errno, "drop capability %d from the bounding set", cap);
	}
}

void op_capset(const struct op_capset *o)
{
	uint64_t eff = o->effective, prm = o->permitted, inh = o->inheritable;
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {
		{.effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh},
		{.effective = (uint32_t)(eff >> 32),
		 .permitted = (uint32_t)(prm >> 32),
		 .inheritable = (uint32_t)(inh >> 32)},
	};
	if (syscall(SYS_capset, &hdr, data) < 0)
		bail_errno(errno, "capset(effective 0x%llx, permitted 0x%llx, inheritable 0x%llx)",
			   (unsigned long long)eff, (unsigned long long)prm, (unsigned long long)inh);
}

void op_caps_ambient(const struct op_caps_ambient *o)
{
	uint64_t mask = o->mask;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		bail_errno(errno, "clear the ambient capabilities");
	for (int cap = 0; cap < 64; cap++)
		if ((mask & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			bail_errno(errno, "raise ambient capability %d", cap);
}

void op_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		bail_errno(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
}

void op_seccomp(const struct op_seccomp *o)
{
	uint32_t flags = o->flags, len = o->program.len;
	if (len % sizeof(struct sock_filter) || len == 0 || len / sizeof(struct sock_filter) > 0xffff)
		bail_msg(EINVAL, "seccomp: the program is %u bytes, not a whole number of filter "
				 "instructions (1 to 65535)",
			 len);
	/* Copied for alignment: the bytes sit at any offset of the plan. */
	struct sock_filter *insns = malloc(len);
	if (!insns)
		bail_errno(ENOMEM, "seccomp");
	memcpy(insns, o->program.data, len);
	struct sock_fprog prog = {.len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = insns};
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0)
		bail_errno(errno, "seccomp(SECCOMP_SET_MODE_FILTER, flags 0x%x, %u instructions)", flags,
			   prog.len);
	/* OP_SECCOMP_NOTIFY_SEND hands it to the listener. No syscall between here and there: the
	 * filter may notify any of them, and nobody answers before the listener has the fd (the
	 * kernel makes it close-on-exec, so it never reaches the container process; the copy of the
	 * program is left to the exec). */
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		g_seccomp_listener_fd = (int)r;
	else
		free(insns);
}

/* Regular file with an execute bit for us. */
static int is_executable(const char *path, int *exists)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return 0;
	*exists = 1;
	return S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

void op_resolve_exec(const struct op_resolve_exec *o)
{
	const char *arg0 = o->arg0, *path = o->path;
	if (strchr(arg0, '/')) {
		struct stat st;
		if (stat(arg0, &st) < 0)
			bail_msg(errno, "exec: \"%s\": stat %s: %s", arg0, arg0, errtext(errno));
		if (!S_ISREG(st.st_mode) || access(arg0, X_OK) < 0)
			bail_msg(EACCES, "exec: \"%s\": permission denied", arg0);
		g_exec_path = arg0;
		return;
	}
	int denied = 0;
	if (*arg0) {
		const char *p = path;
		for (;;) {
			const char *e = strchrnul(p, ':');
			size_t dl = (size_t)(e - p);
			size_t need = (dl ? dl : 1) + 1 + strlen(arg0) + 1;
			char *cand = malloc(need);
			if (!cand)
				bail_errno(ENOMEM, "exec: \"%s\"", arg0);
			if (dl)
				snprintf(cand, need, "%.*s/%s", (int)dl, p, arg0);
			else
				snprintf(cand, need, "./%s", arg0); /* empty entry: the current directory */
			int exists = 0;
			if (is_executable(cand, &exists)) {
				g_exec_path = cand;
				return;
			}
			denied |= exists;
			free(cand);
			if (!*e)
				break;
			p = e + 1;
		}
	}
	if (denied)
		bail_msg(EACCES, "exec: \"%s\": permission denied", arg0);
	bail_msg(ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}

/* HOME=<dir> of OP_PASSWD_HOME, NULL without it. */
static char *g_home_env;

/* The home field (6th) of the line of uid in passwd text, or NULL. */
static char *passwd_home_of(char *text, uint32_t uid)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *f[7];
		int n = 0;
		for (char *p = line; n < 7; n++) {
			f[n] = p;
			char *c = strchr(p, ':');
			if (!c)
				break;
			*c = '\0';
			p = c + 1;
		}
		if (n < 6)
			continue;
		char *end;
		errno = 0;
		unsigned long v = strtoul(f[2], &end, 10);
		if (!errno && end != f[2] && !*end && v == uid)
			return f[5];
	}
	return NULL;
}

void op_passwd_home(const struct op_passwd_home *o)
{
	/* Non-blocking and regular files only: a FIFO or device planted as /etc/passwd cannot hang or feed us. */
	static char text[1 << 20];
	const char *home = "/";
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		size_t len = 0;
		ssize_t r;
		while (len < sizeof text - 1 && (r = read(fd, text + len, sizeof text - 1 - len)) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			len += (size_t)r;
		}
		text[len] = '\0';
		const char *found = passwd_home_of(text, o->uid);
		if (found && *found)
			home = found;
	}
	if (fd >= 0)
		close(fd);
	free(g_home_env);
	if (asprintf(&g_home_env, "HOME=%s", home) < 0)
		bail_errno(ENOMEM, "passwd home: HOME for uid %u", o->uid);
}

/* envp with g_home_env appended (the plan adds OP_PASSWD_HOME only when envp has no HOME). */
static char **envp_with_home(const struct strs *envp)
{
	if (!g_home_env)
		return envp->items;
	char **out = calloc(envp->count + 2, sizeof *out);
	if (!out)
		bail_errno(ENOMEM, "exec: environment");
	memcpy(out, envp->items, envp->count * sizeof *out);
	out[envp->count] = g_home_env;
	return out;
}

void op_execve(const struct op_execve *o)
{
	char **argv = o->argv.items, **envp = envp_with_home(&o->envp);
	const char *path = g_exec_path ? g_exec_path : (o->argv.count ? argv[0] : NULL);
	if (!path)
		bail_msg(EINVAL, "exec: no argv[0] and no resolved path");
	execve(path, argv, envp);
	int e = errno;
	if (g_sync_fd >= 0)
		bail_errno(e, "exec \"%s\"", path);
	char msg[4200];
	snprintf(msg, sizeof msg, "exec \"%s\": %s", path, errtext(e));
	say(msg);
	_exit(127);
}
