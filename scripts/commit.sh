#!/usr/bin/env bash
# Prints the commit tsrun is built from (git describe: the last tag or the short hash, -dirty for
# uncommitted changes), or "unknown" when the tree is not a git work tree of its own (a tarball
# unpacked anywhere, even inside another repository).
cd "$(dirname "$0")/.." || exit 1
top=$(git rev-parse --show-toplevel 2>/dev/null)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ]; then
  git describe --always --dirty --tags 2>/dev/null && exit 0
fi
echo unknown
