/* Frames on the sync socket and PLAN parsing, into struct op by the op_layouts table of proto.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

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

/* Decodes one field of `kind` at body[*off] into `at` (its member of struct op); -1 when the body
 * is too short or malformed. */
static int parse_field(uint8_t kind, void *at, const uint8_t *body, uint32_t len, uint32_t *off, uint32_t index)
{
	uint32_t n;
	switch (kind) {
	case FIELD_U32:
		if (len - *off < 4)
			return -1;
		*(uint32_t *)at = get32(body + *off);
		*off += 4;
		return 0;
	case FIELD_U64:
		if (len - *off < 8)
			return -1;
		*(uint64_t *)at = get64(body + *off);
		*off += 8;
		return 0;
	case FIELD_STR:
		return (*(const char **)at = get_str(body, len, off)) ? 0 : -1;
	case FIELD_STRS: {
		struct strs *l = at;
		if (get_count(body, len, off, 4, &n) < 0) /* each string has its own 4-byte length */
			return -1;
		/* NULL-terminated: argv and envp go to execve as they are. */
		if (!(l->items = calloc((size_t)n + 1, sizeof *l->items)))
			bail_errno(ENOMEM, "parse op %u", index);
		for (l->count = 0; l->count < n; l->count++)
			if (!(l->items[l->count] = (char *)get_str(body, len, off)))
				return -1;
		return 0;
	}
	case FIELD_U32S: {
		struct u32s *l = at;
		if (get_count(body, len, off, 4, &n) < 0)
			return -1;
		if (!(l->items = calloc((size_t)n + 1, sizeof *l->items)))
			bail_errno(ENOMEM, "parse op %u", index);
		for (l->count = 0; l->count < n; l->count++, *off += 4)
			l->items[l->count] = get32(body + *off);
		return 0;
	}
	case FIELD_BYTES: {
		struct bytes *b = at;
		if (get_count(body, len, off, 1, &n) < 0)
			return -1;
		b->data = body + *off;
		b->len = n;
		*off += n;
		return 0;
	}
	}
	return -1;
}

#define NLAYOUTS (sizeof op_layouts / sizeof op_layouts[0])

static void parse_op(struct op *o, const uint8_t *body, uint32_t len, uint32_t index)
{
	const struct op_layout *layout = o->code < NLAYOUTS ? &op_layouts[o->code] : NULL;
	uint32_t off = 0;
	if (!layout || !layout->name)
		bail_msg(EINVAL, "unknown op %u", o->code);
	for (uint32_t i = 0; i < layout->count; i++)
		if (parse_field(layout->fields[i].kind, (char *)o + layout->fields[i].offset, body, len, &off, index) < 0)
			goto bad;
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
