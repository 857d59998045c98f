#!/bin/sh
# Installs the LiteRT oracle's one npm dependency (@litertjs/core, exact versions from
# package-lock.json) into tests/litert/node_modules when it is missing. Quiet on success;
# on failure one line on stderr and exit status 1. Run from anywhere.
set -u
dir=$(cd "$(dirname "$0")" && pwd) || exit 1
[ -f "$dir/node_modules/@litertjs/core/package.json" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "litert: npm not found (Node >= 20 with npm is needed)" >&2; exit 1; }
log=$(mktemp) || exit 1
if npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    rm -f "$log"; exit 0
fi
why=$(grep -iv '^npm warn\|complete log of this run\|^npm error *$' "$log" | sed 's/^npm \(error\|ERR!\) *//' | grep . \
    | head -n 3 | tr '\n' ';' | sed 's/;$//; s/;/; /g')
rm -f "$log"
echo "litert: npm ci in $dir failed: ${why:-see npm's log}" >&2
exit 1
