/* The one error path of tsrun-executor: an ERROR frame to tsrun, then _exit(1). */
#ifndef TSRUN_BAIL_H
#define TSRUN_BAIL_H

/* The message is exactly fmt: no errno text is added. */
_Noreturn void bail_msg(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message is fmt, then ": <step>" if a helper recorded one, then ": <strerror(err)>" with the
 * first letter lower-cased (Go style, which clients match on). */
_Noreturn void bail_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records which sub-step of an op failed (e.g. `mkdir "/a/b"`); cleared before every op. */
void set_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void clear_step(void);
/* strerror(err) with the first letter lower-cased, in a static buffer. */
const char *errtext(int err);
/* Writes "tsrun-executor: msg\n" to fd 2. */
void say(const char *msg);

#endif
