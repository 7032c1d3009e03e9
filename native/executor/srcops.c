/*
 * Bind sources of a container with a user namespace (OP_SOURCE_HELPER, OP_CLONE_TREE). The
 * container's root may not reach a source the host's root can (a directory only root may search).
 * A helper forked before the user namespace keeps the host's credentials; for each source it joins
 * the init's mount namespace, clones the source there (so the clone keeps the locks the namespace
 * put on the host's mounts, as a bind made inside would) and sends the tree back by SCM_RIGHTS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1u
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

static int helper_sock = -1; /* our end of the helper's socket, -1 when there is none */

/* One message with at most one fd (SCM_RIGHTS); *fd is -1 when none came. Returns recvmsg's. */
static ssize_t recv_with_fd(int sock, void *buf, size_t len, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	*fd = -1;
	struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* A request: u32 how, then the source path (NUL-terminated), the caller's mount namespace as the fd. */
struct clone_request {
	uint32_t how;
	char source[PATH_MAX];
};

/* The helper's loop: one tree per request, answered with an errno (0: the tree fd comes with it). */
static _Noreturn void serve_clones(int sock)
{
	struct clone_request req;
	for (;;) {
		int nsfd;
		memset(&req, 0, sizeof req);
		ssize_t n = recv_with_fd(sock, &req, sizeof req - 1, &nsfd);
		if (n <= 0)
			_exit(0); /* the init let us go, or is gone */
		int32_t err = 0;
		int tfd = -1;
		if (nsfd < 0 || (size_t)n <= sizeof req.how)
			err = EPROTO;
		else if (setns(nsfd, CLONE_NEWNS) < 0)
			err = errno;
		else {
			unsigned int rec = (req.how & TREE_RECURSIVE) ? AT_RECURSIVE : 0;
			tfd = (int)syscall(SYS_open_tree, AT_FDCWD, req.source, OPEN_TREE_CLONE | O_CLOEXEC | rec);
			if (tfd < 0)
				err = errno;
		}
		if (nsfd >= 0)
			close(nsfd);
		if (send_with_fd(sock, &err, sizeof err, tfd) < 0)
			_exit(1);
		if (tfd >= 0)
			close(tfd);
	}
}

void op_source_helper(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		bail_errno(errno, "source helper: socketpair");
	pid_t pid = fork();
	if (pid < 0)
		bail_errno(errno, "source helper: fork");
	if (pid == 0) {
		/* Nothing but its socket: tsrun must see the sync socket close when the executor ends. */
		int keep = sv[1];
		close(sv[0]);
		if (syscall(SYS_close_range, 3, keep - 1, 0) < 0 || syscall(SYS_close_range, keep + 1, ~0U, 0) < 0)
			for (int fd = 3; fd < 1024; fd++)
				if (fd != keep)
					close(fd);
		g_sync_fd = -1;
		serve_clones(keep);
	}
	close(sv[1]);
	helper_sock = sv[0];
}

void op_clone_tree(const struct op_clone_tree *o)
{
	const char *src = o->source;
	if (helper_sock < 0)
		bail_msg(EBADF, "bind mount of \"%s\": no source helper (OP_SOURCE_HELPER)", src);
	struct clone_request req = {.how = o->how};
	size_t len = strlen(src);
	if (len >= sizeof req.source)
		bail_msg(ENAMETOOLONG, "bind mount of \"%s\"", src);
	memcpy(req.source, src, len + 1);
	int nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		bail_errno(errno, "bind mount of \"%s\": open /proc/self/ns/mnt", src);
	send_fd(helper_sock, &req, sizeof req.how + len + 1, nsfd, "bind mount: ask the source helper");
	close(nsfd);
	int32_t err = EPROTO;
	int tfd;
	ssize_t n = recv_with_fd(helper_sock, &err, sizeof err, &tfd);
	if (n != (ssize_t)sizeof err)
		bail_msg(EPROTO, "bind mount of \"%s\": the source helper did not answer", src);
	if (err)
		bail_errno(err, "bind mount of \"%s\": open_tree in the host user namespace", src);
	if (tfd < 0)
		bail_msg(EPROTO, "bind mount of \"%s\": the source helper sent no tree", src);
	keep_tree(o->slot, tfd, src);
	if (o->how & TREE_LAST_CLONE) {
		close(helper_sock);
		helper_sock = -1;
	}
}
