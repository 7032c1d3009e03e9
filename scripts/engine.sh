#!/usr/bin/env bash
# Chooses the JavaScript engine bin/tsrun starts, by absolute path (no PATH search at every call):
#   scripts/engine.sh node   the system's node (default)
#   scripts/engine.sh bun    Bun, from the npm registry's @oven/bun-linux-x64 (the binary is inside
#                            the package), unpacked under build/engines/bun
# Writes build/engine; with --print, prints the engine's path instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN_VERSION=1.4.5
engine=${1:-node}
case $engine in
  node) path=$(command -v node) ;;
  bun)
    path=$PWD/build/engines/bun/bin/bun
    if [ ! -x "$path" ]; then
      tmp=$(mktemp -d)
      trap 'rm -rf "$tmp"' EXIT
      (cd "$tmp" && npm pack --silent "@oven/bun-linux-x64@$BUN_VERSION" >/dev/null && tar xzf oven-bun-linux-x64-*.tgz)
      mkdir -p build/engines
      rm -rf build/engines/bun
      mv "$tmp/package" build/engines/bun
      chmod +x "$path"
    fi ;;
  *) echo "engine.sh: unknown engine '$engine' (node or bun)" >&2; exit 2 ;;
esac
"$path" --version >/dev/null
if [ "${2:-}" = --print ]; then echo "$path"; exit 0; fi
mkdir -p build
echo "$path" > build/engine
