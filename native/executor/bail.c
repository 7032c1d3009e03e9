#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bail.h"
#include "executor.h"

static char step[512];

void set_step(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(step, sizeof step, fmt, ap);
	va_end(ap);
}

void clear_step(void)
{
	step[0] = 0;
}

const char *errtext(int err)
{
	static char buf[128];
	const char *s = strerror(err);
	snprintf(buf, sizeof buf, "%s", s ? s : "unknown error");
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

void say(const char *msg)
{
	char buf[4200];
	int n = snprintf(buf, sizeof buf, "tsrun-executor: %s\n", msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	ssize_t r = write(2, buf, (size_t)n);
	(void)r;
}

static _Noreturn void bail_text(int err, const char *text)
{
	if (g_sync_fd >= 0) {
		size_t n = strlen(text) + 1;
		uint8_t buf[12 + 4096 + 1];
		if (n > 4096) {
			n = 4096;
		}
		int32_t e = err;
		uint32_t idx = g_op_index, sl = (uint32_t)n;
		memcpy(buf, &e, 4);
		memcpy(buf + 4, &idx, 4);
		memcpy(buf + 8, &sl, 4);
		memcpy(buf + 12, text, n - 1);
		buf[12 + n - 1] = 0;
		send_frame(FRAME_ERROR, buf, (uint32_t)(12 + n));
	} else {
		say(text);
	}
	_exit(1);
}

_Noreturn void bail_msg(int err, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	bail_text(err, text);
}

_Noreturn void bail_errno(int err, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof text) {
		if (step[0])
			snprintf(text + n, sizeof text - (size_t)n, ": %s: %s", step, errtext(err));
		else
			snprintf(text + n, sizeof text - (size_t)n, ": %s", errtext(err));
	}
	bail_text(err, text);
}
