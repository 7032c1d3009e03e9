/*
 * bin/tsrun: the command managers run. It finds the install from its own path, picks the engine
 * `make` chose (build/engine, or $TSRUN_ENGINE; without either, build/tsrun-bun when built, else
 * node) and execs it on tsrun's entry point:
 *   - a compiled program (build/tsrun-*, `make`'s default): exec'd as it is, with our arguments;
 *   - a node binary: node dist/cjs/main.cjs (the per-command bundles), or dist/src/cli/main.js
 *     (tsc's modules) when the bundles are missing or $TSRUN_MODULES is set.
 * NODE_EXTRA_CA_CERTS is dropped: Node parses the whole CA bundle at start-up when it is set,
 * and tsrun makes no TLS connection. A static C program, not a shell script: every manager call
 * starts here (docs/performance.md has the figures).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fail(const char *what, const char *path)
{
	fprintf(stderr, "tsrun: %s %s: %s\n", what, path, strerror(errno));
	exit(127);
}

/* root + suffix into out, or exit: a path that does not fit is not cut short. */
static void join(char *out, size_t size, const char *root, const char *suffix)
{
	if ((size_t)snprintf(out, size, "%s%s", root, suffix) >= size) {
		errno = ENAMETOOLONG;
		fail("path too long:", root);
	}
}

/* The install's root: the folder above the one holding this program (bin/). */
static void install_root(char *root, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", root, size - 1);
	if (n < 0)
		fail("cannot resolve", "/proc/self/exe");
	root[n] = 0;
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(root, '/');
		if (!slash || slash == root) {
			errno = ENOENT;
			fail("no install around", root);
		}
		*slash = 0;
	}
}

/* The first line of build/engine into engine; false when the file is missing or empty. */
static int chosen_engine(const char *root, char *engine, size_t size)
{
	char path[PATH_MAX];
	join(path, sizeof path, root, "/build/engine");
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int ok = fgets(engine, (int)size, f) != NULL;
	fclose(f);
	engine[strcspn(engine, "\n")] = 0;
	return ok && engine[0];
}

static int is_compiled_program(const char *engine)
{
	const char *base = strrchr(engine, '/');
	return strncmp(base ? base + 1 : engine, "tsrun-", 6) == 0;
}

int main(int argc, char **argv)
{
	static char root[PATH_MAX], engine[PATH_MAX], entry[PATH_MAX];
	unsetenv("NODE_EXTRA_CA_CERTS");
	install_root(root, sizeof root);
	const char *over = getenv("TSRUN_ENGINE");
	if (over && *over)
		join(engine, sizeof engine, over, "");
	else if (!chosen_engine(root, engine, sizeof engine)) {
		join(engine, sizeof engine, root, "/build/tsrun-bun");
		if (access(engine, X_OK) != 0)
			strcpy(engine, "node");
	}
	int modules = getenv("TSRUN_MODULES") && *getenv("TSRUN_MODULES");

	if (is_compiled_program(engine) && !modules) {
		argv[0] = engine;
		execv(engine, argv);
		fail("cannot run", engine);
	}
	if (is_compiled_program(engine))
		strcpy(engine, "node"); /* its sources, on Node */
	join(entry, sizeof entry, root, "/dist/cjs/main.cjs");
	if (modules || access(entry, R_OK) != 0)
		join(entry, sizeof entry, root, "/dist/src/cli/main.js");

	char **args = calloc((size_t)argc + 2, sizeof *args);
	if (!args)
		fail("out of memory for", "the arguments");
	args[0] = engine;
	args[1] = entry;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execvp(engine, args); /* "node": the first on PATH, as the caller's shell would find it */
	fail("cannot run", engine);
}
