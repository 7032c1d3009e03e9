/*
 * tsrun-sys.node: the process calls of `create`, `run`, `exec` and `kill` on Node, as a Node-API
 * addon of a few functions. koffi stays tsrun's FFI (libseccomp, bpf, and the fallback when this
 * file is not built), but its addon is slow to load and set up on every such command; this one
 * is an order of magnitude faster (docs/performance.md).
 *
 * Every function returns what the system call returns (-1 on failure) and keeps errno for errno(),
 * read by the caller right after: nothing between the call and that read can overwrite it.
 * Arguments are checked for type, not for meaning: src/sys/addon.ts is the only caller.
 *
 * Node-API is a stable C ABI (the same binary loads in Node 20, Node 22 and Bun): the few
 * declarations it needs are written below, as documented in nodejs.org/api/n-api.html, and
 * test/unit/sys-addon.test.ts compiles them against the real node_api.h where one is installed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef TSRUN_CHECK_NAPI_HEADER
#include <node_api.h> /* the declarations below must agree with it */
#endif

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
#ifndef TSRUN_CHECK_NAPI_HEADER
typedef enum { napi_ok = 0 } napi_status;
typedef enum { napi_int32_array = 5 } napi_typedarray_type;
#define NAPI_AUTO_LENGTH SIZE_MAX
#endif

napi_status napi_get_cb_info(napi_env env, napi_callback_info cbinfo, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result);
napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result);
napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buf, size_t bufsize, size_t *result);
napi_status napi_get_array_length(napi_env env, napi_value value, uint32_t *result);
napi_status napi_get_element(napi_env env, napi_value object, uint32_t index, napi_value *result);
napi_status napi_get_typedarray_info(napi_env env, napi_value typedarray, napi_typedarray_type *type, size_t *length, void **data, napi_value *arraybuffer, size_t *byte_offset);
napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb, void *data, napi_value *result);
napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg);

/* Bumped when a function's contract changes; src/sys/addon.ts refuses another version. */
#define TSRUN_SYS_VERSION 1
#define MAX_ARGS 6

static int last_errno;

/* The call's result, with errno kept when it failed. */
static int32_t kept(long rc)
{
	if (rc < 0)
		last_errno = errno;
	return (int32_t)rc;
}

static napi_value int_value(napi_env env, int32_t v)
{
	napi_value out;
	napi_create_int32(env, v, &out);
	return out;
}

/* The call's arguments: exactly `want` of them, or a TypeError (NULL returned). */
static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv)
{
	size_t argc = MAX_ARGS;
	napi_value all[MAX_ARGS];
	if (napi_get_cb_info(env, info, &argc, all, NULL, NULL) != napi_ok || argc != want) {
		napi_throw_type_error(env, NULL, "tsrun-sys: wrong number of arguments");
		return -1;
	}
	memcpy(argv, all, want * sizeof *argv);
	return 0;
}

/* Int32 arguments; -1 (a TypeError thrown) when one is not a number. */
static int get_ints(napi_env env, napi_value *argv, size_t n, int32_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) {
			napi_throw_type_error(env, NULL, "tsrun-sys: expected a number");
			return -1;
		}
	return 0;
}

/* Exactly n int32 arguments into out; -1 (a TypeError thrown) otherwise. */
static int int_args(napi_env env, napi_callback_info info, size_t n, int32_t *out)
{
	napi_value argv[MAX_ARGS];
	return get_args(env, info, n, argv) || get_ints(env, argv, n, out) ? -1 : 0;
}

/* A malloc'd copy of a JavaScript string; NULL (a TypeError thrown) when it is not one. */
static char *get_string(napi_env env, napi_value v)
{
	size_t len;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "tsrun-sys: expected a string");
		return NULL;
	}
	char *s = malloc(len + 1);
	if (s)
		napi_get_value_string_utf8(env, v, s, len + 1, &len);
	return s;
}

/* The int32 cells of an Int32Array argument, at least `min` of them; NULL with a TypeError. */
static int32_t *get_int32_array(napi_env env, napi_value v, size_t min)
{
	napi_typedarray_type type;
	size_t length;
	void *data;
	if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array || length < min) {
		napi_throw_type_error(env, NULL, "tsrun-sys: expected an Int32Array");
		return NULL;
	}
	return data;
}

static void free_strings(char **v, uint32_t n)
{
	if (!v)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A NULL-terminated malloc'd array of the strings of a JavaScript array; NULL on error. */
static char **get_string_array(napi_env env, napi_value arr, uint32_t *n)
{
	if (napi_get_array_length(env, arr, n) != napi_ok) {
		napi_throw_type_error(env, NULL, "tsrun-sys: expected an array");
		return NULL;
	}
	char **v = calloc(*n + 1, sizeof *v);
	if (!v)
		return NULL;
	for (uint32_t i = 0; i < *n; i++) {
		napi_value e;
		napi_get_element(env, arr, i, &e);
		if (!(v[i] = get_string(env, e))) {
			free_strings(v, i);
			return NULL;
		}
	}
	return v;
}

/* errno(): errno of the last call that failed. */
static napi_value js_errno(napi_env env, napi_callback_info info)
{
	(void)info;
	return int_value(env, last_errno);
}

/* prctl(option, arg2, arg3, arg4, arg5) */
static napi_value js_prctl(napi_env env, napi_callback_info info)
{
	int32_t a[5];
	if (int_args(env, info, 5, a))
		return NULL;
	return int_value(env, kept(prctl(a[0], (unsigned long)(uint32_t)a[1], (unsigned long)(uint32_t)a[2], (unsigned long)(uint32_t)a[3], (unsigned long)(uint32_t)a[4])));
}

/* waitpid(pid, status: Int32Array, flags): the status goes to status[0]. */
static napi_value js_waitpid(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	int32_t pid, flags;
	if (get_args(env, info, 3, argv) || get_ints(env, &argv[0], 1, &pid) || get_ints(env, &argv[2], 1, &flags))
		return NULL;
	int32_t *status = get_int32_array(env, argv[1], 1);
	if (!status)
		return NULL;
	int st = 0;
	int32_t rc = kept(waitpid(pid, &st, flags));
	status[0] = st;
	return int_value(env, rc);
}

/* shutdown(fd, how) */
static napi_value js_shutdown(napi_env env, napi_callback_info info)
{
	int32_t a[2];
	return int_args(env, info, 2, a) ? NULL : int_value(env, kept(shutdown(a[0], a[1])));
}

/* pidfd_open(pid, flags), through syscall(2): no glibc 2.36 needed. */
static napi_value js_pidfd_open(napi_env env, napi_callback_info info)
{
	int32_t a[2];
	return int_args(env, info, 2, a) ? NULL : int_value(env, kept(syscall(SYS_pidfd_open, a[0], (unsigned)a[1])));
}

/* pidfd_send_signal(pidfd, signal): no siginfo, no flags. */
static napi_value js_pidfd_send_signal(napi_env env, napi_callback_info info)
{
	int32_t a[2];
	return int_args(env, info, 2, a) ? NULL : int_value(env, kept(syscall(SYS_pidfd_send_signal, a[0], a[1], NULL, 0U)));
}

/* exit(code): _exit(2), past Node's teardown (its exit listeners have run: src/sys/exit.ts). */
static napi_value js_exit(napi_env env, napi_callback_info info)
{
	int32_t code;
	if (int_args(env, info, 1, &code))
		return NULL;
	_exit(code);
}

/* Steps of spawn, reported in out[0] when it fails. */
enum { STEP_SOCKETPAIR = 1, STEP_DUP = 2, STEP_FILE_ACTIONS = 3, STEP_SPAWN = 4 };

static int spawn_with_channel(const char *path, char *const argv[], char *const envp[], const int32_t *stdio, uint32_t nstdio, int32_t *out)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
		out[0] = STEP_SOCKETPAIR;
		return -errno;
	}
	/* The channel becomes fd nstdio in the child: neither end may sit where a dup2 lands. */
	for (int i = 0; i < 2; i++) {
		if (pair[i] > (int)nstdio)
			continue;
		int moved = fcntl(pair[i], F_DUPFD_CLOEXEC, (int)nstdio + 1);
		if (moved < 0) {
			int err = errno;
			close(pair[0]);
			close(pair[1]);
			out[0] = STEP_DUP;
			return -err;
		}
		close(pair[i]);
		pair[i] = moved;
	}
	posix_spawn_file_actions_t fa;
	int rc = posix_spawn_file_actions_init(&fa);
	for (uint32_t i = 0; rc == 0 && i < nstdio; i++)
		rc = stdio[i] < 0 ? posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", O_RDWR, 0)
				  : posix_spawn_file_actions_adddup2(&fa, stdio[i], (int)i);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, pair[1], (int)nstdio);
	if (rc != 0) {
		out[0] = STEP_FILE_ACTIONS;
	} else {
		pid_t pid;
		/* posix_spawn returns the error number itself (ENOENT for a missing binary, ...). */
		rc = posix_spawn(&pid, path, &fa, NULL, argv, envp);
		if (rc != 0) {
			out[0] = STEP_SPAWN;
		} else {
			out[0] = pid;
			out[1] = pair[0];
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pair[1]);
	if (rc != 0) {
		close(pair[0]);
		return -rc;
	}
	return 0;
}

/*
 * spawn(path, argv0, env: string[], stdio: number[], out: Int32Array): posix_spawn of path with
 * stdio[i] as its fd i (-1: /dev/null) and one end of a new AF_UNIX socket pair as fd
 * stdio.length. 0, with out = [pid, our end of the pair (close-on-exec)]; or -errno, with out[0]
 * the step that failed (socketpair 1, fd move 2, file actions 3, posix_spawn 4).
 */
static napi_value js_spawn(napi_env env, napi_callback_info info)
{
	napi_value argv[5];
	if (get_args(env, info, 5, argv))
		return NULL;
	int32_t *out = get_int32_array(env, argv[4], 2);
	if (!out)
		return NULL;
	uint32_t nenv = 0, nstdio = 0;
	char *path = get_string(env, argv[0]);
	char *argv0 = path ? get_string(env, argv[1]) : NULL;
	char **envp = argv0 ? get_string_array(env, argv[2], &nenv) : NULL;
	int32_t *stdio = NULL;
	napi_value result = NULL;
	if (!envp)
		goto done;
	if (napi_get_array_length(env, argv[3], &nstdio) != napi_ok || !(stdio = calloc(nstdio + 1, sizeof *stdio))) {
		napi_throw_type_error(env, NULL, "tsrun-sys: expected an fd array");
		goto done;
	}
	for (uint32_t i = 0; i < nstdio; i++) {
		napi_value e;
		napi_get_element(env, argv[3], i, &e);
		if (get_ints(env, &e, 1, &stdio[i]))
			goto done;
	}
	char *child_argv[] = { argv0, NULL };
	result = int_value(env, spawn_with_channel(path, child_argv, envp, stdio, nstdio, out));
done:
	free(stdio);
	free_strings(envp, nenv);
	free(argv0);
	free(path);
	return result;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb)
{
	napi_value fn;
	napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
	napi_set_named_property(env, exports, name, fn);
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports)
{
	export_fn(env, exports, "errno", js_errno);
	export_fn(env, exports, "prctl", js_prctl);
	export_fn(env, exports, "waitpid", js_waitpid);
	export_fn(env, exports, "shutdown", js_shutdown);
	export_fn(env, exports, "pidfdOpen", js_pidfd_open);
	export_fn(env, exports, "pidfdSendSignal", js_pidfd_send_signal);
	export_fn(env, exports, "spawn", js_spawn);
	export_fn(env, exports, "exit", js_exit);
	napi_set_named_property(env, exports, "version", int_value(env, TSRUN_SYS_VERSION));
	return exports;
}

/* The Node-API version NAPI_MODULE_INIT declares by default; only version 1 calls are made. */
__attribute__((visibility("default"))) int32_t node_api_module_get_api_version_v1(void)
{
	return 8;
}
