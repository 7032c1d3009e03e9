/* Frames on the sync socket and PLAN parsing. Layouts mirror OP_FIELDS in protocol.ts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

/* Field kinds per op, in wire order: u = u32, q = u64, s = str, S = strs, U = u32s, b = bytes.
 * test/integration/executor.test.ts checks this table against OP_FIELDS, one line per op. */
static const char *const layouts[] = {
	[OP_CLOEXEC_FROM] = "u",
	[OP_INHERIT_FD] = "u",
	[OP_OPEN_FIFO] = "us",
	[OP_CONSOLE_CONNECT] = "s",
	[OP_SETNS] = "us",
	[OP_UNSHARE] = "u",
	[OP_IDMAP_SYNC] = "",
	[OP_TIMENS_OFFSETS] = "s",
	[OP_FORK] = "u",
	[OP_SETSID] = "",
	[OP_MOUNT] = "uqssss",
	[OP_SET_ROOT] = "s",
	[OP_MKNOD] = "uuuuuus",
	[OP_SYMLINK] = "uss",
	[OP_PIVOT_ROOT] = "",
	[OP_MOVE_ROOT] = "",
	[OP_MASK_PATH] = "s",
	[OP_WRITE_FILE] = "uss",
	[OP_SETHOSTNAME] = "s",
	[OP_SETDOMAINNAME] = "s",
	[OP_RLIMIT] = "uqq",
	[OP_CONSOLE] = "uu",
	[OP_CHDIR] = "s",
	[OP_UMASK] = "u",
	[OP_SETGROUPS] = "U",
	[OP_SETRESGID] = "u",
	[OP_SETRESUID] = "u",
	[OP_CAPS_BOUNDING] = "q",
	[OP_CAPSET] = "qqq",
	[OP_CAPS_AMBIENT] = "q",
	[OP_NO_NEW_PRIVS] = "",
	[OP_SECCOMP] = "ub",
	[OP_RESOLVE_EXEC] = "ss",
	[OP_READY] = "",
	[OP_WAIT_FIFO] = "",
	[OP_EXECVE] = "SS",
	[OP_SYNC] = "u",
	[OP_MKDIR] = "uus",
	[OP_CLOSE_SYNC] = "",
	[OP_IDMAP_TREE] = "uussss",
	[OP_ATTACH_TREE] = "uus",
	[OP_JOIN_KEYRING] = "s",
	[OP_SECCOMP_LISTENER_CONNECT] = "s",
	[OP_SECCOMP_NOTIFY_SEND] = "",
	[OP_JOIN_CGROUP] = "Ss",
};
#define NLAYOUTS (sizeof layouts / sizeof layouts[0])

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int send_frame(uint16_t type, const void *payload, uint32_t len)
{
	uint8_t head[TSRUN_FRAME_HEADER_SIZE];
	uint32_t magic = TSRUN_FRAME_MAGIC;
	uint16_t version = TSRUN_PROTOCOL_VERSION;
	if (g_sync_fd < 0) {
		errno = EBADF;
		return -1;
	}
	memcpy(head, &magic, 4);
	memcpy(head + 4, &version, 2);
	memcpy(head + 6, &type, 2);
	memcpy(head + 8, &len, 4);
	if (len == 0)
		return write_all(g_sync_fd, head, sizeof head);
	/* One buffer, one send: the frame reaches tsrun whole, and no other process sharing the
	 * socket can interleave bytes with it. */
	uint8_t small[256];
	uint8_t *buf = len + sizeof head <= sizeof small ? small : malloc(len + sizeof head);
	if (!buf)
		return -1;
	memcpy(buf, head, sizeof head);
	memcpy(buf + sizeof head, payload, len);
	int r = write_all(g_sync_fd, buf, len + sizeof head);
	if (buf != small)
		free(buf);
	return r;
}

void send_frame_or_exit(uint16_t type, const void *payload, uint32_t len)
{
	/* The only reason a send fails is that tsrun is gone: leave without a word. */
	if (send_frame(type, payload, len) < 0)
		_exit(1);
}

/* Reads exactly n bytes; EOF (or a dead socket) while waiting for tsrun exits silently. */
static void read_exact(uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(g_sync_fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1);
		p += r;
		n -= (size_t)r;
	}
}

void read_frame(uint16_t *type, uint16_t *version, uint8_t **payload, uint32_t *len)
{
	uint8_t head[TSRUN_FRAME_HEADER_SIZE];
	uint32_t magic;
	if (g_sync_fd < 0)
		bail_msg(EBADF, "sync socket already closed");
	read_exact(head, sizeof head);
	memcpy(&magic, head, 4);
	memcpy(version, head + 4, 2);
	memcpy(type, head + 6, 2);
	memcpy(len, head + 8, 4);
	if (magic != TSRUN_FRAME_MAGIC)
		bail_msg(EPROTO, "bad frame magic 0x%x", magic);
	if (*version != TSRUN_PROTOCOL_VERSION)
		bail_msg(EPROTO, "protocol version %u not supported (this executor speaks %u)", *version,
			 TSRUN_PROTOCOL_VERSION);
	if (*len > TSRUN_MAX_FRAME - TSRUN_FRAME_HEADER_SIZE)
		bail_msg(EPROTO, "frame too large: %u bytes", *len);
	*payload = NULL;
	if (*len) {
		*payload = malloc(*len);
		if (!*payload)
			bail_errno(ENOMEM, "read frame of %u bytes", *len);
		read_exact(*payload, *len);
	}
}

void wait_for(uint16_t want, const char *what)
{
	wait_for_payload(want, what, NULL, NULL);
}

void wait_for_payload(uint16_t want, const char *what, uint8_t **out, uint32_t *out_len)
{
	uint16_t type, version;
	uint8_t *payload;
	uint32_t len;
	read_frame(&type, &version, &payload, &len);
	if (type == want && out) {
		*out = payload;
		*out_len = len;
		return;
	}
	free(payload);
	if (type == want)
		return;
	if (type == FRAME_ABORT)
		_exit(1);
	bail_msg(EPROTO, "unexpected frame type %u while waiting for %s", type, what);
}

/* Little-endian reads from unaligned memory (x86-64 and arm64 are little endian). */
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Parses one str at body[*off]; NULL when malformed. */
static const char *get_str(const uint8_t *body, uint32_t len, uint32_t *off)
{
	if (len - *off < 4)
		return NULL;
	uint32_t n = get32(body + *off);
	*off += 4;
	if (n == 0 || n > len - *off || body[*off + n - 1] != 0)
		return NULL;
	const char *s = (const char *)body + *off;
	*off += n;
	return s;
}

/* A count prefix: the u32 at *off, checked against what is left of the body at `unit` bytes (at
 * least) an item. 0, or -1 when the body is too short. */
static int get_count(const uint8_t *body, uint32_t len, uint32_t *off, uint32_t unit, uint32_t *n)
{
	if (len - *off < 4)
		return -1;
	*n = get32(body + *off);
	*off += 4;
	return *n > (len - *off) / unit ? -1 : 0;
}

static void parse_op(struct op *o, const uint8_t *body, uint32_t len, uint32_t index)
{
	const char *layout = o->code < NLAYOUTS ? layouts[o->code] : NULL;
	uint32_t off = 0;
	int nu = 0, nq = 0, ns = 0, nv = 0;
	if (!layout)
		bail_msg(EINVAL, "unknown op %u", o->code);
	for (const char *k = layout; *k; k++) {
		switch (*k) {
		case 'u':
			if (len - off < 4)
				goto bad;
			o->u[nu++] = get32(body + off);
			off += 4;
			break;
		case 'q':
			if (len - off < 8)
				goto bad;
			o->q[nq++] = get64(body + off);
			off += 8;
			break;
		case 's':
			if (!(o->s[ns++] = get_str(body, len, &off)))
				goto bad;
			break;
		case 'S': {
			uint32_t n;
			if (get_count(body, len, &off, 4, &n) < 0) /* each string has its own 4-byte length */
				goto bad;
			char **v = calloc((size_t)n + 1, sizeof *v);
			if (!v)
				bail_errno(ENOMEM, "parse op %u", index);
			for (uint32_t i = 0; i < n; i++)
				if (!(v[i] = (char *)get_str(body, len, &off)))
					goto bad;
			o->v[nv] = v;
			o->vn[nv++] = n;
			break;
		}
		case 'U': {
			uint32_t n;
			if (get_count(body, len, &off, 4, &n) < 0)
				goto bad;
			o->l = calloc((size_t)n + 1, sizeof *o->l);
			if (!o->l)
				bail_errno(ENOMEM, "parse op %u", index);
			for (uint32_t i = 0; i < n; i++, off += 4)
				o->l[i] = get32(body + off);
			o->ln = n;
			break;
		}
		case 'b': {
			uint32_t n;
			if (get_count(body, len, &off, 1, &n) < 0)
				goto bad;
			o->b = body + off;
			o->bn = n;
			off += n;
			break;
		}
		}
	}
	/* What remains is the zero padding to 4 bytes. */
	if (len - off > 3)
		goto bad;
	return;
bad:
	bail_msg(EINVAL, "op %u (code %u): malformed body of %u bytes", index, o->code, len);
}

struct op *parse_plan(const uint8_t *p, uint32_t len, uint32_t *count)
{
	uint32_t n = 0, off = 0;
	/* First pass: count the ops and check the framing. */
	while (off < len) {
		if (len - off < TSRUN_OP_HEADER_SIZE)
			bail_msg(EINVAL, "plan: truncated op header at byte %u", off);
		uint32_t blen = get32(p + off + 4);
		if (blen > len - off - TSRUN_OP_HEADER_SIZE) {
			g_op_index = n;
			bail_msg(EINVAL, "plan: op %u body of %u bytes runs past the plan", n, blen);
		}
		off += TSRUN_OP_HEADER_SIZE + blen;
		n++;
	}
	struct op *ops = calloc(n ? n : 1, sizeof *ops);
	if (!ops)
		bail_errno(ENOMEM, "plan of %u ops", n);
	off = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t code;
		memcpy(&code, p + off, 2);
		uint32_t blen = get32(p + off + 4);
		g_op_index = i;
		ops[i].code = code;
		parse_op(&ops[i], p + off + TSRUN_OP_HEADER_SIZE, blen, i);
		off += TSRUN_OP_HEADER_SIZE + blen;
	}
	*count = n;
	return ops;
}
