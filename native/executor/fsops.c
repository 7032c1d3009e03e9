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
#include <sys/wait.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
/* From linux/mount.h, which clashes with sys/mount.h on some libcs: our own names. */
#define X_OPEN_TREE_CLONE 1u
#define X_AT_RECURSIVE 0x8000
#define X_MOVE_MOUNT_F_EMPTY_PATH 0x4u
#define X_MOVE_MOUNT_T_EMPTY_PATH 0x40u
#define X_MOUNT_ATTR_IDMAP 0x100000ull
#define X_MOUNT_ATTR_NOSYMFOLLOW 0x200000ull
struct x_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

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

/* True when this process is in a user namespace other than the initial one (whose inode
 * number is fixed: PROC_USER_INIT_INO). */
static int in_userns(void)
{
	struct stat st;
	if (stat("/proc/self/ns/user", &st) < 0)
		return 0;
	return st.st_ino != 0xEFFFFFFDu;
}

/*
 * A bind remount must keep the flags the kernel locked on the mount (nosuid, nodev, noexec and
 * the atime mode of a mount made in a more privileged namespace), or it fails with EPERM; runc
 * reads them with statfs the same way. Harmless outside user namespaces: they are already set.
 * In a user namespace a read-only host mount is locked read-only too (MNT_LOCK_READONLY): a bind
 * of it stays read-only instead of failing. Outside one, root may still make such a bind writable.
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
	if ((sv.f_flag & ST_RDONLY) && in_userns())
		f |= MS_RDONLY;
	return f;
}

/* Resolves (creating it per `create`) the target of a mount: an O_PATH fd, -2 for a plain path
 * to use as is (neither in the root nor created), -1 on error with errno set. */
static int open_target(uint32_t how, uint32_t create, const char *tgt)
{
	int in_root = how & PATH_IN_ROOT;
	if (create & PATH_CREATE_DIR)
		return mkdir_p(in_root, tgt, 0755);
	if (create & PATH_CREATE_FILE)
		return create_file(in_root, tgt);
	if (in_root)
		return open_path(1, tgt, O_PATH, 0);
	return -2;
}

/* After a failed mount: EPERM inside a user namespace gets a hint, since that is the usual cause. */
static _Noreturn void bail_mount(int err, const char *what)
{
	if (err == EPERM && in_userns())
		bail_errno(err, "%s (refused inside the container's user namespace)", what);
	bail_errno(err, "%s", what);
}

/* Propagation flags on the mount holding the host path `path`: EINVAL is "not a mount point",
 * so the parent directories are tried up to "/" (pivot_root wants the rootfs's parent unshared). */
static void mount_enclosing(const char *path, unsigned long flags, const char *what)
{
	char p[PATH_MAX];
	if (path[0] != '/' || snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
		bail_errno(EINVAL, "%s: needs an absolute path shorter than PATH_MAX", what);
	for (;;) {
		if (mount("", p, NULL, flags, NULL) == 0)
			return;
		if (errno != EINVAL || strcmp(p, "/") == 0)
			bail_mount(errno, what);
		char *slash = strrchr(p, '/');
		slash[slash == p] = '\0';
	}
}

void op_mount(const struct op_mount *o)
{
	uint32_t how = o->how;
	unsigned long flags = (unsigned long)o->flags;
	const char *src = o->source, *tgt = o->target, *fstype = o->fstype, *data = o->data;
	int in_root = how & PATH_IN_ROOT;
	uint32_t create = how & (PATH_CREATE_DIR | PATH_CREATE_FILE);
	char what[3 * PATH_MAX];
	mount_what(what, sizeof what, src, tgt, fstype);
	if (how & PATH_ENCLOSING_MOUNT) {
		mount_enclosing(tgt, flags, what);
		return;
	}

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
	tfd = open_target(how, create, tgt);
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
		bail_mount(errno, what);
out:
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
}

void op_set_root(const struct op_set_root *o)
{
	int fd = open(o->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "open root \"%s\"", o->path);
	if (g_root_fd >= 0)
		close(g_root_fd);
	g_root_fd = fd;
	g_root_is_slash = 0;
}

void op_mknod(const struct op_mknod *o)
{
	uint32_t how = o->how, mode = o->mode;
	dev_t dev = makedev(o->major, o->minor);
	uid_t uid = o->uid;
	gid_t gid = o->gid;
	const char *path = o->path, *base;
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

void op_symlink(const struct op_symlink *o)
{
	uint32_t how = o->how;
	const char *target = o->target, *path = o->path, *base;
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

void op_mkdir(const struct op_mkdir *o)
{
	uint32_t how = o->how;
	const char *path = o->path;
	int fd = mkdir_p(how & PATH_IN_ROOT, path, o->mode);
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

void op_pivot_root(void)
{
	if (g_root_fd < 0)
		bail_msg(EBADF, "pivot_root: no root set (OP_SET_ROOT)");
	int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (old_root < 0)
		bail_errno(errno, "pivot_root: open the old root");
	if (fchdir(g_root_fd) < 0)
		bail_errno(errno, "pivot_root: chdir to the root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		bail_errno(errno, "pivot_root");
	/* The old root is stacked on the new one. mount(2) of "." from the new root's directory
	 * would act on the new root (only umount2 follows to the top mount): enter the old root's
	 * own directory, make its tree a slave so detaching it does not propagate to the host,
	 * then detach it. The new root's tree keeps its propagation (an rshared volume stays a peer). */
	if (fchdir(old_root) < 0)
		bail_errno(errno, "pivot_root: chdir to the old root");
	close(old_root);
	if (mount("", ".", "", MS_SLAVE | MS_REC, "") < 0)
		bail_errno(errno, "pivot_root: make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		bail_errno(errno, "pivot_root: detach the old root");
	if (chdir("/") < 0)
		bail_errno(errno, "pivot_root: chdir \"/\"");
	reopen_root();
}

/* One line of /proc/self/mountinfo: what hiding the old root needs. */
struct mount_line {
	unsigned long long id, parent;
	int full_pseudo; /* a proc or sysfs mount of its filesystem's root */
	char *point;     /* unescaped, in the text buffer */
};

/* mountinfo writes space, tab, newline and backslash as \ooo: decoded in place. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r; w++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w = *r++;
		}
	}
	*w = 0;
}

/* The whole of a mountinfo file, read afresh from its start, NUL-terminated (malloc'd). */
static char *read_mountinfo(int fd)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf || (len + 1 >= cap && !(buf = realloc(buf, cap *= 2)))) {
			errno = ENOMEM;
			return NULL;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			free(buf);
			errno = err;
			return NULL;
		}
		if (n == 0) {
			buf[len] = 0;
			return buf;
		}
		len += (size_t)n;
	}
}

/* Splits the mountinfo text into lines (at most max); returns how many. */
static size_t parse_mountinfo(char *text, struct mount_line *out, size_t max)
{
	size_t n = 0;
	for (char *line = text, *next; line && *line && n < max; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		/* id parent major:minor root point options [optional...] - fstype source super */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = 0;
		char *fstype = sep + 3;
		fstype[strcspn(fstype, " ")] = 0;
		char *save = NULL, *f[5];
		int i = 0;
		for (char *tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
			f[i++] = tok;
		if (i < 5)
			continue;
		unescape_octal(f[4]);
		out[n].id = strtoull(f[0], NULL, 10);
		out[n].parent = strtoull(f[1], NULL, 10);
		out[n].point = f[4];
		out[n].full_pseudo = !strcmp(f[3], "/") && (!strcmp(fstype, "proc") || !strcmp(fstype, "sysfs"));
		n++;
	}
	return n;
}

/* Whether mount `id` is `top` or lies beneath it, by the parent links of the table. */
static int mount_beneath(const struct mount_line *m, size_t n, unsigned long long id, unsigned long long top)
{
	for (size_t hops = 0; hops <= n; hops++) {
		if (id == top)
			return 1;
		size_t i = 0;
		while (i < n && m[i].id != id)
			i++;
		if (i == n || m[i].parent == id)
			return 0;
		id = m[i].parent;
	}
	return 0;
}

struct mount_table {
	char *text;
	struct mount_line *m;
	size_t n;
};

static void load_mount_table(struct mount_table *t, int fd)
{
	t->text = read_mountinfo(fd);
	if (!t->text)
		bail_errno(errno, "move root: read /proc/self/mountinfo");
	size_t max = 1;
	for (const char *c = t->text; *c; c++)
		max += *c == '\n';
	t->m = calloc(max, sizeof *t->m);
	if (!t->m)
		bail_errno(ENOMEM, "move root: read /proc/self/mountinfo");
	t->n = parse_mountinfo(t->text, t->m, max);
}

static void free_mount_table(struct mount_table *t)
{
	free(t->m);
	free(t->text);
}

/* Whether line i is a full proc or sysfs mount outside the rootfs with nothing over its root. */
static int exposes_pseudo(const struct mount_table *t, size_t i, unsigned long long rootfs_id)
{
	const struct mount_line *m = t->m;
	if (!m[i].full_pseudo || mount_beneath(m, t->n, m[i].id, rootfs_id))
		return 0;
	for (size_t j = 0; j < t->n; j++)
		if (m[j].parent == m[i].id && !strcmp(m[j].point, m[i].point))
			return 0;
	return 1;
}

/*
 * The old root stays in the mount namespace under the moved rootfs, and with it the host's
 * full proc and sysfs mounts: the kernel lets a user namespace mount a fresh procfs or sysfs
 * when one such mount is fully visible anywhere in the mount namespace, which would undo the
 * container's masks. Detach each one outside the rootfs, or, where it is locked, cover it;
 * then look again, and refuse to go on if one is still exposed.
 */
static void hide_full_pseudo_mounts(void)
{
	struct statx sx;
	if (statx(g_root_fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0)
		bail_errno(errno, "move root: the rootfs mount id (statx)");
	if (!(sx.stx_mask & STATX_MNT_ID))
		bail_msg(ENOSYS, "move root: the kernel gives no mount id (statx STATX_MNT_ID needs Linux 5.8)");
	/* Open once: the file still reads the mount table after /proc itself is detached. */
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "move root: open /proc/self/mountinfo");
	struct mount_table t;
	load_mount_table(&t, fd);
	for (size_t i = 0; i < t.n; i++) {
		if (!exposes_pseudo(&t, i, sx.stx_mnt_id))
			continue;
		const char *p = t.m[i].point;
		/* Slave first, so the detach does not reach the host. ENOENT or EINVAL: no longer a
		 * mount point, detached with one above it (the check below makes sure). */
		if (mount("", p, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT || errno == EINVAL)
				continue;
			bail_errno(errno, "move root: make \"%s\" a slave", p);
		}
		if (umount2(p, MNT_DETACH) == 0)
			continue;
		/* Locked (a user namespace's copy of the host's mounts): cover it instead. */
		if (errno != EINVAL && errno != EPERM)
			bail_errno(errno, "move root: detach \"%s\"", p);
		if (mount("tmpfs", p, "tmpfs", 0, NULL) < 0)
			bail_errno(errno, "move root: cover \"%s\" with a tmpfs", p);
	}
	free_mount_table(&t);
	load_mount_table(&t, fd);
	for (size_t i = 0; i < t.n; i++)
		if (exposes_pseudo(&t, i, sx.stx_mnt_id))
			bail_msg(EPERM, "move root: the proc or sysfs mount at \"%s\" is still fully visible beside the rootfs: a user namespace in the container could mount a fresh one", t.m[i].point);
	free_mount_table(&t);
	close(fd);
}

/* The working directory (the root fd's) becomes the root: chroot("."), chdir("/"). */
static void chroot_here(const char *what)
{
	if (chroot(".") < 0)
		bail_errno(errno, "%s: chroot", what);
	if (chdir("/") < 0)
		bail_errno(errno, "%s: chdir \"/\"", what);
	reopen_root();
}

/* fchdir to the root fd set by OP_SET_ROOT. */
static void enter_root_fd(const char *what)
{
	if (g_root_fd < 0)
		bail_msg(EBADF, "%s: no root set (OP_SET_ROOT)", what);
	if (fchdir(g_root_fd) < 0)
		bail_errno(errno, "%s: chdir to the root", what);
}

void op_move_root(void)
{
	if (g_root_fd < 0)
		bail_msg(EBADF, "move root: no root set (OP_SET_ROOT)");
	hide_full_pseudo_mounts();
	enter_root_fd("move root");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		bail_errno(errno, "move root: mount --move . /");
	chroot_here("move root");
}

/* No mount namespace of its own: the root fd's mounts stay in tsrun's namespace, so the
 * container gets its root by chroot, the only way without moving the caller's "/". */
void op_chroot(void)
{
	enter_root_fd("chroot");
	chroot_here("chroot");
}

void op_umount(const struct op_umount *o)
{
	if (umount2(o->path, (int)o->flags) < 0 && errno != EINVAL && errno != ENOENT)
		bail_errno(errno, "umount \"%s\"", o->path);
}

void op_mask_path(const struct op_mask_path *o)
{
	const char *path = o->path;
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

void op_write_file(const struct op_write_file *o)
{
	uint32_t how = o->how;
	const char *path = o->path, *data = o->data;
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

/* ---- Id-mapped mounts (OP_IDMAP_TREE, OP_ATTACH_TREE) ---------------------------------------- */

/* Detached trees made by OP_IDMAP_TREE and OP_CLONE_TREE, waiting for OP_ATTACH_TREE. */
#define MAX_TREES 256
static struct {
	uint32_t slot;
	int fd;
} trees[MAX_TREES];
static int ntrees;

void keep_tree(uint32_t slot, int fd, const char *src)
{
	if (ntrees >= MAX_TREES)
		bail_msg(E2BIG, "mount of \"%s\": more than %d detached mounts", src, MAX_TREES);
	trees[ntrees].slot = slot;
	trees[ntrees].fd = fd;
	ntrees++;
}

/* User namespaces made for id maps, by their map text: mounts with the same maps share one. */
#define MAX_IDMAP_USERNS 16
static struct {
	char *uid, *gid;
	int fd;
} idmap_userns[MAX_IDMAP_USERNS];
static int nidmap_userns;

static void write_map(pid_t pid, const char *file, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "id-mapped mount: open %s", path);
	/* One write: the kernel takes a map only whole, and only once; a second write is EPERM. */
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	if (w < 0 || (size_t)w != n)
		bail_errno(w < 0 ? errno : EIO, "id-mapped mount: write %s", path);
	close(fd);
}

/*
 * A user namespace with the given maps, as an fd. A child unshares it and waits; this process,
 * still in the host user namespace with CAP_SETUID/CAP_SETGID, writes the child's maps, keeps
 * /proc/CHILD/ns/user and lets the child go: the fd alone keeps the namespace alive.
 */
static int userns_with_maps(const char *uidmap, const char *gidmap)
{
	for (int i = 0; i < nidmap_userns; i++)
		if (!strcmp(idmap_userns[i].uid, uidmap) && !strcmp(idmap_userns[i].gid, gidmap))
			return idmap_userns[i].fd;
	int up[2], down[2];
	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
		bail_errno(errno, "id-mapped mount: pipe");
	pid_t pid = fork();
	if (pid < 0)
		bail_errno(errno, "id-mapped mount: fork");
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		int32_t err = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
		ssize_t w = write(up[1], &err, sizeof err);
		(void)w;
		char c;
		/* EOF: the parent has what it needs (or is gone). */
		while (read(down[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	int32_t err = EIO;
	ssize_t r;
	do
		r = read(up[0], &err, sizeof err);
	while (r < 0 && errno == EINTR);
	close(up[0]);
	if (r != (ssize_t)sizeof err)
		err = EIO;
	if (err) {
		close(down[1]);
		waitpid(pid, NULL, 0);
		bail_errno(err, "id-mapped mount: unshare a user namespace for the mapping");
	}
	write_map(pid, "uid_map", uidmap);
	write_map(pid, "gid_map", gidmap);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int e = errno;
	close(down[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (fd < 0)
		bail_errno(e, "id-mapped mount: open %s", path);
	if (nidmap_userns < MAX_IDMAP_USERNS) {
		idmap_userns[nidmap_userns].uid = strdup(uidmap);
		idmap_userns[nidmap_userns].gid = strdup(gidmap);
		idmap_userns[nidmap_userns].fd = fd;
		if (idmap_userns[nidmap_userns].uid && idmap_userns[nidmap_userns].gid)
			nidmap_userns++;
	}
	return fd;
}

static int mount_setattr_fd(int fd, unsigned int flags, struct x_mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, fd, "", flags | AT_EMPTY_PATH, attr, sizeof *attr);
}

/* The recursive attribute options (rro, rnosuid ...) of a mount, on it and every submount. */
void op_mount_setattr(const struct op_mount_setattr *o)
{
	const char *tgt = o->target, *opts = o->options;
	int fd = open_target(o->how, 0, tgt);
	if (fd == -2)
		fd = open(tgt, O_PATH | O_CLOEXEC);
	if (fd < 0)
		bail_errno(errno, "mount options \"%s\" on \"%s\"", opts, tgt);
	struct x_mount_attr attr = { .attr_set = o->attr_set, .attr_clr = o->attr_clr };
	if (mount_setattr_fd(fd, X_AT_RECURSIVE, &attr) < 0) {
		int e = errno;
		if (e == ENOSYS)
			bail_errno(e, "mount options \"%s\" on \"%s\": this kernel has no mount_setattr (Linux 5.12+)", opts, tgt);
		if (e == EINVAL && (o->attr_set & X_MOUNT_ATTR_NOSYMFOLLOW))
			bail_errno(e, "mount options \"%s\" on \"%s\": mount_setattr refused (rnosymfollow needs Linux 5.14+)", opts, tgt);
		if (e == EPERM && in_userns())
			bail_errno(e, "mount options \"%s\" on \"%s\": mount_setattr refused inside the container's user namespace (an attribute the host locked cannot be cleared)", opts, tgt);
		bail_errno(e, "mount options \"%s\" on \"%s\": mount_setattr", opts, tgt);
	}
	close(fd);
}

void op_idmap_tree(const struct op_idmap_tree *o)
{
	uint32_t how = o->how, slot = o->slot;
	const char *src = o->source, *nspath = o->userns_path, *uidmap = o->uid_map, *gidmap = o->gid_map;
	int ufd, own_ufd = 0;
	if (*nspath) {
		ufd = open(nspath, O_RDONLY | O_CLOEXEC);
		if (ufd < 0)
			bail_errno(errno, "id-mapped mount of \"%s\": open user namespace \"%s\"", src, nspath);
		own_ufd = 1;
	} else {
		ufd = userns_with_maps(uidmap, gidmap);
	}
	unsigned int rec = (how & TREE_RECURSIVE) ? X_AT_RECURSIVE : 0;
	int tfd = (int)syscall(SYS_open_tree, AT_FDCWD, src, X_OPEN_TREE_CLONE | O_CLOEXEC | rec);
	if (tfd < 0)
		bail_errno(errno, "id-mapped mount of \"%s\": open_tree", src);
	/* As a bind made in the container's (rslave) mount namespace would be: host events flow in,
	 * none flow out. */
	struct x_mount_attr attr = { .propagation = MS_SLAVE };
	if (mount_setattr_fd(tfd, rec, &attr) < 0)
		bail_errno(errno, "id-mapped mount of \"%s\": make it a slave", src);
	memset(&attr, 0, sizeof attr);
	attr.attr_set = X_MOUNT_ATTR_IDMAP;
	attr.userns_fd = (uint64_t)ufd;
	if (mount_setattr_fd(tfd, (how & TREE_IDMAP_RECURSIVE) ? X_AT_RECURSIVE : 0, &attr) < 0) {
		int e = errno;
		if (e == EINVAL)
			bail_errno(e, "id-mapped mount of \"%s\": mount_setattr(MOUNT_ATTR_IDMAP): its filesystem "
				      "does not support id-mapped mounts (or the mount is id-mapped already)", src);
		if (e == ENOSYS)
			bail_errno(e, "id-mapped mount of \"%s\": this kernel has no mount_setattr (Linux 5.12+)", src);
		bail_errno(e, "id-mapped mount of \"%s\": mount_setattr(MOUNT_ATTR_IDMAP)", src);
	}
	if (own_ufd)
		close(ufd);
	keep_tree(slot, tfd, src);
}

void op_attach_tree(const struct op_attach_tree *o)
{
	uint32_t how = o->how, slot = o->slot;
	const char *tgt = o->target;
	int tfd = -1;
	for (int i = 0; i < ntrees; i++)
		if (trees[i].slot == slot && trees[i].fd >= 0) {
			tfd = trees[i].fd;
			trees[i].fd = -1;
			break;
		}
	if (tfd < 0)
		bail_msg(EBADF, "attach mount on \"%s\": no tree in slot %u (OP_IDMAP_TREE, OP_CLONE_TREE)", tgt, slot);
	uint32_t create = how & (PATH_CREATE_DIR | PATH_CREATE_FILE);
	if (how & PATH_CREATE_LIKE_SOURCE) {
		struct stat st;
		if (fstat(tfd, &st) < 0)
			bail_errno(errno, "attach mount on \"%s\": stat the source", tgt);
		create = S_ISDIR(st.st_mode) ? PATH_CREATE_DIR : PATH_CREATE_FILE;
	}
	int dfd = open_target(how, create, tgt);
	if (dfd == -2)
		dfd = open(tgt, O_PATH | O_CLOEXEC);
	if (dfd < 0)
		bail_errno(errno, "attach mount on \"%s\"", tgt);
	if (syscall(SYS_move_mount, tfd, "", dfd, "", X_MOVE_MOUNT_F_EMPTY_PATH | X_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		bail_mount(errno, "attach mount (move_mount)");
	close(dfd);
	close(tfd);
}
