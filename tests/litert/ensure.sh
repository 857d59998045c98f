#!/bin/sh
# Installs the LiteRT oracle's one npm dependency (@litertjs/core, exact versions from
# package-lock.json) into tests/litert/node_modules when it is missing. Quiet on success;
# on failure one line on stderr and exit status 1. Run from anywhere.
set -u
dir=$(cd "$(dirname "$0")" && pwd) || exit 1
# Node >= 20 (package.json "engines"); an older one fails later with an obscure error. Debian
# 12's own nodejs is 18: scripts/setup.sh installs it only when no node is present.
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) ||
    { echo "litert: node not found (Node >= 20 with npm is needed)" >&2; exit 1; }
[ "$major" -ge 20 ] 2>/dev/null ||
    { echo "litert: node $(node --version) found; the LiteRT oracle needs Node >= 20" >&2; exit 1; }
# The suite runs tests in parallel (scripts/run-tests.sh): two LiteRT tests may call this at
# once. One installs while the other waits on the lock, and "installed" is a stamp written
# after npm ci has finished: npm writes package.json before the 9 MB .wasm files, so a test
# that took package.json as the sign once loaded a half-written module (CI, stop 22).
stamp="$dir/node_modules/.qatrain-installed"
[ -f "$stamp" ] && exit 0
command -v flock >/dev/null 2>&1 || { echo "litert: flock not found (util-linux)" >&2; exit 1; }
exec 9>"$dir/.install.lock" || { echo "litert: cannot create $dir/.install.lock" >&2; exit 1; }
flock 9 || { echo "litert: cannot lock $dir/.install.lock" >&2; exit 1; }
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "litert: npm not found (Node >= 20 with npm is needed)" >&2; exit 1; }
log=$(mktemp) || exit 1
if npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >"$log" 2>&1 && : >"$stamp"; then
    rm -f "$log"; exit 0
fi
why=$(grep -iv '^npm warn\|complete log of this run\|^npm error *$' "$log" | sed 's/^npm \(error\|ERR!\) *//' | grep . \
    | head -n 3 | tr '\n' ';' | sed 's/;$//; s/;/; /g')
rm -f "$log"
echo "litert: npm ci in $dir failed: ${why:-see npm's log}" >&2
exit 1
