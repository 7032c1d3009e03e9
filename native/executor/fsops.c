/* File system ops: resolution beneath the root, mounts, nodes, links, pivot_root, masks, files. */
#include <sys/statvfs.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif

/* openat2 beneath the root fd: absolute symlinks and ".." stay inside it (runc's securejoin). */
static int openat2_root(const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (int i = 0; i < 128; i++) {
		long fd = syscall(SYS_openat2, g_root_fd, path, &how, sizeof how);
		/* EAGAIN: a rename or mount raced the lookup; the kernel asks us to retry. */
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
			return (int)fd;
	}
	return -1;
}

int open_path(int in_root, const char *path, int flags, mode_t mode)
{
	flags |= O_CLOEXEC;
	if (!in_root)
		return open(path, flags, mode);
	if (g_root_fd < 0) {
		set_step("no root set (OP_SET_ROOT) for an in-root path");
		errno = EBADF;
		return -1;
	}
	return openat2_root(path, flags, mode);
}

const char *fd_path(int fd, const char *orig, char *buf, size_t size)
{
	/* After pivot_root the container may have no /proc; then the root is "/" and the path
	 * itself means the same thing (without the protection against a swapped symlink). */
	if (g_root_is_slash && access("/proc/self/fd", F_OK) < 0)
		return orig;
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}

/* Splits path into its parent directory (in dir) and its last component (returned). */
static const char *split_path(const char *path, char *dir, size_t size)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(dir, path, n);
	dir[n] = 0;
	char *slash = strrchr(dir, '/');
	static char base[NAME_MAX + 1];
	const char *b = slash ? slash + 1 : dir;
	if (strlen(b) > NAME_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(base, b);
	if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..")) {
		set_step("%s: no file name in the path", path);
		errno = EINVAL;
		return NULL;
	}
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	return base;
}

/* mkdir -p: an O_PATH fd to the directory path, creating missing components with mode. Each
 * component's parent is resolved afresh (beneath the root when in_root), and mkdirat never
 * follows a symlink in the last component, so nothing is created outside the root. */
static int mkdir_p(int in_root, const char *path, mode_t mode)
{
	int fd = open_path(in_root, path, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char buf[PATH_MAX];
	size_t blen = 0;
	int parent = open_path(in_root, path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY, 0);
	if (parent < 0)
		return -1;
	const char *p = path;
	if (*p == '/')
		buf[blen++] = '/';
	buf[blen] = 0;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		char comp[NAME_MAX + 1];
		if (n > NAME_MAX || blen + n + 2 > sizeof buf) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		if (blen && buf[blen - 1] != '/')
			buf[blen++] = '/';
		memcpy(buf + blen, p, n);
		blen += n;
		buf[blen] = 0;
		p = e;
		fd = open_path(in_root, buf, O_PATH | O_DIRECTORY, 0);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(parent, comp, mode) < 0 && errno != EEXIST) {
				set_step("mkdir \"%s\"", buf);
				goto fail;
			}
			fd = open_path(in_root, buf, O_PATH | O_DIRECTORY, 0);
		}
		if (fd < 0) {
			set_step("mkdir \"%s\"", buf);
			goto fail;
		}
		close(parent);
		parent = fd;
	}
	return parent;
fail: {
	int e = errno;
	close(parent);
	errno = e;
	return -1;
}
}

int create_file(int in_root, const char *path)
{
	int fd = open_path(in_root, path, O_PATH, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char dir[PATH_MAX];
	if (!split_path(path, dir, sizeof dir))
		return -1;
	int pfd = mkdir_p(in_root, dir, 0755);
	if (pfd < 0)
		return -1;
	close(pfd);
	/* O_EXCL: never follow a symlink that appeared in the last component. */
	fd = open_path(in_root, path, O_CREAT | O_EXCL | O_WRONLY | O_NOCTTY, 0644);
	if (fd < 0 && errno != EEXIST) {
		set_step("create \"%s\"", path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return open_path(in_root, path, O_PATH, 0);
}

/* An O_PATH fd to the parent of path (created when how has PATH_CREATE_DIR); base gets the last
 * component. */
static int open_parent(uint32_t how, const char *path, const char **base)
{
	char dir[PATH_MAX];
	if (!(*base = split_path(path, dir, sizeof dir)))
		return -1;
	if (how & PATH_CREATE_DIR)
		return mkdir_p(how & PATH_IN_ROOT, dir, 0755);
	return open_path(how & PATH_IN_ROOT, dir, O_PATH | O_DIRECTORY, 0);
}

static void mount_what(char *buf, size_t size, const char *src, const char *tgt, const char *fstype)
{
	if (*fstype)
		snprintf(buf, size, "mount \"%s\" on \"%s\" (type \"%s\")", src, tgt, fstype);
	else
		snprintf(buf, size, "mount \"%s\" on \"%s\"", src, tgt);
}

/*
 * A bind remount must keep the flags the kernel locked on the mount (nosuid, nodev, noexec and
 * the atime mode of a mount made in a more privileged namespace), or it fails with EPERM; runc
 * reads them with statfs the same way. Harmless outside user namespaces: they are already set.
 */
static unsigned long locked_flags(const char *target)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(target, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

void op_mount(const struct op *o)
{
	uint32_t how = o->u[0];
	unsigned long flags = (unsigned long)o->q[0];
	const char *src = o->s[0], *tgt = o->s[1], *fstype = o->s[2], *data = o->s[3];
	int in_root = how & PATH_IN_ROOT;
	uint32_t create = how & (PATH_CREATE_DIR | PATH_CREATE_FILE);
	char what[3 * PATH_MAX];
	mount_what(what, sizeof what, src, tgt, fstype);

	int sfd = -1, tfd = -1;
	char sbuf[64];
	const char *source = src;
	if (how & PATH_SOURCE_IN_ROOT) {
		sfd = open_path(1, src, O_PATH, 0);
		if (sfd < 0) {
			/* A read-only path the kernel does not have (e.g. /proc/sysrq-trigger). */
			if (errno == ENOENT && (how & PATH_IGNORE_ENOENT))
				goto out;
			bail_errno(errno, "%s", what);
		}
		source = fd_path(sfd, src, sbuf, sizeof sbuf);
	}
	if (how & PATH_CREATE_LIKE_SOURCE) {
		struct stat st;
		int r = sfd >= 0 ? fstat(sfd, &st) : stat(src, &st);
		if (r < 0 && (flags & MS_BIND)) {
			set_step("stat \"%s\"", src);
			bail_errno(errno, "%s", what);
		}
		create = (r < 0 || S_ISDIR(st.st_mode)) ? PATH_CREATE_DIR : PATH_CREATE_FILE;
	}

	char tbuf[64];
	const char *target = tgt;
	if (create & PATH_CREATE_DIR)
		tfd = mkdir_p(in_root, tgt, 0755);
	else if (create & PATH_CREATE_FILE)
		tfd = create_file(in_root, tgt);
	else if (in_root)
		tfd = open_path(1, tgt, O_PATH, 0);
	else
		tfd = -2; /* a plain path, used as is */
	if (tfd == -1) {
		if (errno == ENOENT && !create && (how & PATH_IGNORE_ENOENT))
			goto out;
		bail_errno(errno, "%s", what);
	}
	if (tfd == -2 && (how & PATH_IGNORE_ENOENT)) {
		struct stat st;
		if (stat(tgt, &st) < 0 && errno == ENOENT)
			goto out;
	}
	if (in_root)
		target = fd_path(tfd, tgt, tbuf, sizeof tbuf);
	if ((flags & (MS_REMOUNT | MS_BIND)) == (MS_REMOUNT | MS_BIND))
		flags |= locked_flags(target);
	if (mount(source, target, *fstype ? fstype : NULL, flags, *data ? data : NULL) < 0)
		bail_errno(errno, "%s", what);
out:
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
}

void op_set_root(const struct op *o)
{
	int fd = open(o->s[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "open root \"%s\"", o->s[0]);
	if (g_root_fd >= 0)
		close(g_root_fd);
	g_root_fd = fd;
	g_root_is_slash = 0;
}

void op_mknod(const struct op *o)
{
	uint32_t how = o->u[0], mode = o->u[1];
	dev_t dev = makedev(o->u[2], o->u[3]);
	uid_t uid = o->u[4];
	gid_t gid = o->u[5];
	const char *path = o->s[0], *base;
	int pfd = open_parent(how, path, &base);
	if (pfd < 0) {
		if (errno == ENOENT && (how & PATH_IGNORE_ENOENT))
			return;
		bail_errno(errno, "mknod \"%s\"", path);
	}
	if (mknodat(pfd, base, mode, dev) < 0) {
		if (errno != EEXIST)
			bail_errno(errno, "mknod \"%s\"", path);
		if (unlinkat(pfd, base, 0) < 0 || mknodat(pfd, base, mode, dev) < 0)
			bail_errno(errno, "mknod \"%s\"", path);
	}
	/* The umask applied to mknod; the plan's mode is the one wanted. */
	if (fchmodat(pfd, base, mode & 07777, 0) < 0)
		bail_errno(errno, "chmod \"%s\"", path);
	if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		bail_errno(errno, "chown \"%s\" to %u:%u", path, uid, gid);
	close(pfd);
}

void op_symlink(const struct op *o)
{
	uint32_t how = o->u[0];
	const char *target = o->s[0], *path = o->s[1], *base;
	int pfd = open_parent(how, path, &base);
	if (pfd < 0) {
		if (errno == ENOENT && (how & PATH_IGNORE_ENOENT))
			return;
		bail_errno(errno, "symlink \"%s\" -> \"%s\"", path, target);
	}
	if (symlinkat(target, pfd, base) < 0 && errno != EEXIST)
		bail_errno(errno, "symlink \"%s\" -> \"%s\"", path, target);
	close(pfd);
}

void op_mkdir(const struct op *o)
{
	uint32_t how = o->u[0];
	const char *path = o->s[0];
	int fd = mkdir_p(how & PATH_IN_ROOT, path, o->u[1]);
	if (fd < 0) {
		if (errno == ENOENT && (how & PATH_IGNORE_ENOENT))
			return;
		bail_errno(errno, "mkdir \"%s\"", path);
	}
	close(fd);
}

static void reopen_root(void)
{
	if (g_root_fd >= 0)
		close(g_root_fd);
	g_root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g_root_fd < 0)
		bail_errno(errno, "open \"/\"");
	g_root_is_slash = 1;
}

void op_pivot_root(const struct op *o)
{
	(void)o;
	if (g_root_fd < 0)
		bail_msg(EBADF, "pivot_root: no root set (OP_SET_ROOT)");
	if (fchdir(g_root_fd) < 0)
		bail_errno(errno, "pivot_root: chdir to the root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		bail_errno(errno, "pivot_root");
	/* The old root is stacked under "."; make it a slave so unmounting it does not propagate
	 * to the host, then detach it. */
	if (mount("", ".", "", MS_SLAVE | MS_REC, "") < 0)
		bail_errno(errno, "pivot_root: make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		bail_errno(errno, "pivot_root: detach the old root");
	if (chdir("/") < 0)
		bail_errno(errno, "pivot_root: chdir \"/\"");
	reopen_root();
}

void op_move_root(const struct op *o)
{
	(void)o;
	if (g_root_fd < 0)
		bail_msg(EBADF, "move root: no root set (OP_SET_ROOT)");
	if (fchdir(g_root_fd) < 0)
		bail_errno(errno, "move root: chdir to the root");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		bail_errno(errno, "move root: mount --move . /");
	if (chroot(".") < 0)
		bail_errno(errno, "move root: chroot");
	if (chdir("/") < 0)
		bail_errno(errno, "move root: chdir \"/\"");
	reopen_root();
}

void op_mask_path(const struct op *o)
{
	const char *path = o->s[0];
	int in_root = g_root_fd >= 0;
	int fd = open_path(in_root, path, O_PATH, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		bail_errno(errno, "mask \"%s\"", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		bail_errno(errno, "mask \"%s\"", path);
	char buf[64];
	const char *target = in_root ? fd_path(fd, path, buf, sizeof buf) : path;
	int r;
	if (S_ISDIR(st.st_mode))
		r = mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL);
	else
		r = mount("/dev/null", target, NULL, MS_BIND, NULL);
	if (r < 0)
		bail_errno(errno, "mask \"%s\"", path);
	close(fd);
}

void op_write_file(const struct op *o)
{
	uint32_t how = o->u[0];
	const char *path = o->s[0], *data = o->s[1];
	int in_root = how & PATH_IN_ROOT;
	int flags = O_WRONLY | O_TRUNC | O_NOCTTY;
	if (how & (PATH_CREATE_DIR | PATH_CREATE_FILE)) {
		char dir[PATH_MAX];
		if (!split_path(path, dir, sizeof dir))
			bail_errno(errno, "write \"%s\"", path);
		int pfd = mkdir_p(in_root, dir, 0755);
		if (pfd < 0)
			bail_errno(errno, "write \"%s\"", path);
		close(pfd);
		if (how & PATH_CREATE_FILE)
			flags |= O_CREAT;
	}
	int fd = open_path(in_root, path, flags, 0644);
	if (fd < 0) {
		if (errno == ENOENT && (how & PATH_IGNORE_ENOENT))
			return;
		bail_errno(errno, "write \"%s\"", path);
	}
	size_t n = strlen(data);
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			bail_errno(errno, "write \"%s\"", path);
		if (w == 0)
			bail_errno(EIO, "write \"%s\"", path);
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) < 0)
		bail_errno(errno, "write \"%s\"", path);
}
