/*
 * tsrun-console: the host side of a container's terminal for `tsrun run` and `tsrun exec` in the
 * foreground. Node cannot receive a file descriptor over a unix socket, so this small program does:
 *
 *   tsrun-console SOCKET   (fd 3: a pipe to tsrun, written once when SOCKET listens)
 *
 * It accepts one connection on SOCKET, receives the pty master by SCM_RIGHTS (the console-socket
 * protocol runc's clients use), puts its own stdin in raw mode when it is a terminal, copies the
 * terminal size to the pty (now and on every SIGWINCH), and copies bytes both ways until the
 * container side of the pty is closed. A closed stdin becomes an EOF character for the container.
 * Exit status: 0, or 1 with one line on stderr.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int raw_on;
static volatile sig_atomic_t winch = 1; /* copy the size once at start */

static void restore(void)
{
	if (raw_on)
		tcsetattr(0, TCSANOW, &saved);
}

static void die(const char *what)
{
	int e = errno;
	restore();
	fprintf(stderr, "tsrun-console: %s: %s\n", what, strerror(e));
	exit(1);
}

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		die(path);
	}
	strcpy(addr.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 1) < 0)
		die("listen on the console socket");
	return s;
}

/* Receives exactly one fd in one SCM_RIGHTS message. */
static int receive_master(int conn)
{
	char name[4096];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf};
	if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
		die("receive the pty master");
	struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
	if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS || h->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EPROTO;
		die("receive the pty master");
	}
	int fd;
	memcpy(&fd, CMSG_DATA(h), sizeof fd);
	return fd;
}

/* Writes all of buf; a closed peer ends the copy quietly. */
static int write_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tsrun-console SOCKET\n");
		return 2;
	}
	int s = listen_on(argv[1]);
	/* Tell tsrun the socket is ready: create may connect now. */
	if (write(3, "1", 1) != 1)
		die("signal readiness on fd 3");
	close(3);
	int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		die("accept on the console socket");
	int master = receive_master(conn);
	close(conn);
	close(s);
	unlink(argv[1]);

	int tty = isatty(0);
	if (tty && tcgetattr(0, &saved) == 0) {
		struct termios raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSANOW, &raw) == 0)
			raw_on = 1;
	}
	struct sigaction sa = {.sa_handler = on_winch};
	sigaction(SIGWINCH, &sa, NULL);
	/* Ctrl-C reaches the container as a byte in raw mode; a real SIGINT/SIGTERM is tsrun's to forward. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = master, .events = POLLIN}};
	char buf[16384];
	for (;;) {
		if (winch) {
			winch = 0;
			struct winsize ws;
			if (tty && ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(master, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) /* EIO: every container side of the pty is closed */
				break;
			if (write_all(1, buf, n) < 0)
				break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(0, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* stdin closed: the container reads EOF (VEOF at the start of a line). */
				struct termios t;
				char eof = tcgetattr(master, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
				write_all(master, &eof, 1);
				p[0].fd = -1;
				continue;
			}
			if (write_all(master, buf, n) < 0)
				break;
		}
	}
	restore();
	return 0;
}
