#!/bin/sh
# Installs the Debian packages qatrain needs, only those missing. Uses sudo when not root.
set -eu
# dataset-fashion-mnist: the image lessons' real images (Fashion-MNIST's IDX files, 30 MB).
# parallel: GNU parallel runs the architecture search's job folders (tests/e2e/test_search.sh).
PKGS="build-essential libopenblas-dev libinih-dev libcmocka-dev zlib1g-dev valgrind gnuplot-nox
      dataset-fashion-mnist parallel"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# The LiteRT oracle in the tests runs under Node.js; take Debian's when none is installed.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
echo "setup: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
