#!/bin/sh
# Mutation check: does the suite notice a planted bug? Plants each mutant of
# tests/mutation/mutants.txt in turn in a scratch copy of the tree (never the working
# files), builds it, and runs the unit tests, the gradient and STE checks first, stopping at
# the first failure: "caught". A mutant no unit test notices is then run through the e2e
# tests too, and is "MISSED" only if they pass as well.
#   tests/mutation/run.sh [NAME...]       (make mutants; default: every mutant)
# Exit 0 when every mutant is caught; 1 when one is missed, or does not apply or build
# (the list must then follow the code); 2 when the unmutated copy already fails. A mutant
# of code this processor never runs (mutants.txt `needs`: AVX-512 kernels on a processor
# without it) is not planted and is counted apart, "for another processor".
# The unmutated copy is built and tested once, then copied to each scratch tree; after each
# mutant its file and the objects it rebuilt are put back as they were, so the next build
# compiles only the next mutant.
# Environment: MUTANT_PARALLEL (scratch trees at once, default: the processor count, at most
# 2), MUTANT_JOBS (make's -j per tree, default -j2 / the trees), QATRAIN_TEST_DATA (as for
# the suite).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
list="$here/mutants.txt"
plant="$here/plant.pl"
jobs=${MUTANT_JOBS:--j2}
start=$(date +%s)

names=$*
[ -n "$names" ] || names=$(perl "$plant" "$list" --names) || exit 2

# Several scratch trees at once, each with every PAR-th mutant: their reports in order, then
# the summed count line.
par=${MUTANT_PARALLEL:-$(nproc 2>/dev/null || echo 1)}
[ "$par" -gt 2 ] 2>/dev/null && par=2
if [ -z "${MUTANT_CHILD:-}" ] && [ "$par" -gt 1 ] && [ "$(echo $names | wc -w)" -gt 1 ]; then
    out=$(mktemp -d "${TMPDIR:-/tmp}/qat-mutants-par.XXXXXX") || exit 2
    trap 'rm -rf "$out"' EXIT INT TERM
    MUTANT_CHILD=base MUTANT_BASE="$out/base" sh "$0" || exit $?
    for k in $(seq 1 "$par"); do
        part=$(echo $names | tr ' ' '\n' | awk -v k="$k" -v p="$par" 'NR % p == k % p')
        MUTANT_CHILD=1 MUTANT_BASE="$out/base" MUTANT_JOBS=${MUTANT_JOBS:--j1} sh "$0" $part >"$out/$k" 2>&1 &
        echo $! >"$out/$k.pid"
    done
    status=0
    for k in $(seq 1 "$par"); do
        wait "$(cat "$out/$k.pid")"; st=$?
        [ "$st" -gt "$status" ] && status=$st
        grep -v '^mutants: [0-9]* caught' "$out/$k"
    done
    cat "$out"/[0-9]* | sed -n 's/^mutants: \([0-9]*\) caught, \([0-9]*\) missed, \([0-9]*\) not applied or not built, \([0-9]*\) for.*/\1 \2 \3 \4/p' |
        awk -v t=$(( $(date +%s) - start )) -v par="$par" '{ c += $1; m += $2; b += $3; o += $4 }
            END { printf "mutants: %d caught, %d missed, %d not applied or not built, %d for another processor (%d s, %d trees)\n", c, m, b, o, t, par }'
    exit "$status"
fi

# The scratch folder: the base's own (MUTANT_CHILD=base), a copy of the base (a tree of
# several), or new.
if [ "${MUTANT_CHILD:-}" = base ]; then
    scratch=$MUTANT_BASE; mkdir -p "$scratch" || exit 2
else
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/qat-mutants.XXXXXX") || exit 2
    trap 'rm -rf "$scratch"' EXIT INT TERM
fi
tree="$scratch/tree"
pristine="$scratch/pristine"
log="$scratch/log"
if [ -n "${MUTANT_BASE:-}" ] && [ "${MUTANT_CHILD:-}" = 1 ]; then
    cp -a "$MUTANT_BASE/." "$scratch/" || exit 2 # built and tested: mtimes kept, nothing rebuilds
else
    mkdir -p "$tree" "$pristine"
    # The tree as it is now (tracked and new files, not build outputs).
    if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$root" && git ls-files -z -co --exclude-standard |
            tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$tree"
    else
        (cd "$root" && tar -cf - Makefile include src tests scripts bench configs) | tar -xf - -C "$tree"
    fi
    cp -a "$tree/." "$pristine/" # mtimes kept: restore puts them back (older than any object)
    # The working tree's build, mtimes kept (the sources' are too): make rebuilds in the copy
    # exactly what it would rebuild there, so after `make check` (CI) nothing compiles again.
    [ -d "$root/build" ] && cp -a "$root/build" "$tree/build"
    # The LiteRT oracle's installed module, for the e2e tests that use it.
    [ -d "$root/tests/litert/node_modules" ] && ln -s "$root/tests/litert/node_modules" "$tree/tests/litert/node_modules"
fi
# The external test data: where the suite would find it from the real tree, also as the
# scratch tree's ../shared (the default place).
data=${QATRAIN_TEST_DATA:-$root/../shared}
case $data in /*) ;; *) data="$root/$data" ;; esac
[ -d "$data" ] && [ ! -e "$scratch/shared" ] && ln -s "$(cd "$data" && pwd)" "$scratch/shared"
export QATRAIN_TEST_DATA="$data"

# Unit tests, fastest and most relevant first; the allocation sweep (seconds) last.
first="test_ops test_fold test_ste test_quant test_prune"
units=""
for t in $first; do [ -f "$tree/tests/unit/$t.c" ] && units="$units $t"; done
for f in "$tree"/tests/unit/test_*.c; do
    t=$(basename "$f" .c)
    case " $first test_alloc_failure " in *" $t "*) ;; *) units="$units $t" ;; esac
done
[ -f "$tree/tests/unit/test_alloc_failure.c" ] && units="$units test_alloc_failure"

# Builds the given targets in the scratch tree, quietly.
build() {
    make -C "$tree" --no-print-directory $jobs "$@" >"$log" 2>&1
}

# Builds and runs the unit tests one by one (a mutant caught by the first costs one link),
# the mutant's hinted test ($1, may be empty) first; prints the first failing test's name
# ("binary: case") and returns 0; returns 1 when all pass, 2 when one does not build.
first_failure() {
    order=${1:-}
    for t in $units; do [ "$t" = "${1:-}" ] || order="$order $t"; done
    for t in $order; do
        build "build/tests/$t" || return 2
        if ! (cd "$tree" && timeout 300 "build/tests/$t") >"$log" 2>&1; then
            c=$(sed -n 's/^\[  FAILED  \] \(test_[A-Za-z0-9_]*\)$/\1/p' "$log" | head -n 1)
            echo "$t${c:+: $c}"
            return 0
        fi
    done
    return 1
}

# The e2e tests that fail in the scratch tree as it is now (names, one a line).
e2e_failing() {
    build build/qatrain $(for f in "$tree"/tests/tools/*.c; do printf ' build/tests/tools/%s' "$(basename "$f" .c)"; done) ||
        { echo "qatrain-build"; return; }
    for t in "$tree"/tests/e2e/test_*.sh; do
        (cd "$tree" && QATRAIN=build/qatrain timeout 900 sh "$t") >"$log" 2>&1
        case $? in 0 | 77) ;; *) basename "$t" ;; esac
    done
}

# For a mutant no unit test caught (planted in file $1): the first e2e test that fails with
# it but not without it (the unmutated run is made once, the first time it is needed).
e2e_failure() {
    if [ ! -f "$scratch/e2e-base" ]; then
        cp "$tree/$1" "$scratch/mutated" && cp "$pristine/$1" "$tree/$1"
        e2e_failing >"$scratch/e2e-base"
        [ -s "$scratch/e2e-base" ] && echo "mutants: e2e tests failing unmutated, not counted:" \
            $(cat "$scratch/e2e-base") >&2
        cp "$scratch/mutated" "$tree/$1"
    fi
    for t in $(e2e_failing); do
        grep -qx "$t" "$scratch/e2e-base" || { echo "$t"; return 0; }
    done
    return 1
}

# The unmutated copy must build and pass every unit test (once, in the base).
if [ "${MUTANT_CHILD:-}" != 1 ] || [ -z "${MUTANT_BASE:-}" ]; then
    echo "mutants: building and testing the unmutated copy in $tree"
    build $(for t in $units; do printf ' build/tests/%s' "$t"; done) ||
        { cat "$log"; echo "mutants: the unmutated tree does not build"; exit 2; }
    f=$(first_failure)
    case $? in
    0) cat "$log"; echo "mutants: the unmutated tree already fails ($f)"; exit 2 ;;
    2) cat "$log"; echo "mutants: the unmutated tree does not build"; exit 2 ;;
    esac
    mkdir -p "$scratch/objects" # the unmutated objects, for restore
    (cd "$tree/build" && find . -name '*.o' -print0 | tar --null -T - -cf -) | tar -xf - -C "$scratch/objects"
    [ "${MUTANT_CHILD:-}" = base ] && exit 0
fi

# Puts file $1 back as it was after a mutant, with its pristine mtime (older than every
# object), and every object the mutant's builds wrote back as the unmutated build made it
# (with a fresh mtime: the library and programs are rebuilt from them), or away when the
# unmutated build had none (the CLI's, built for the e2e tests): nothing is compiled again
# for the restored file, a header's dependents included.
restore() {
    cp -p "$pristine/$1" "$tree/$1"
    (cd "$tree/build" && find . -name '*.o' -newer "$scratch/stamp") | while read -r o; do
        if [ -f "$scratch/objects/$o" ]; then cp "$scratch/objects/$o" "$tree/build/$o"; else rm -f "$tree/build/$o"; fi
    done
}

# The processor's flags, as /proc/cpuinfo names them (none known elsewhere).
flags=" $(sed -n 's/^flags[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1) "
# The flags mutant $1 needs that this processor lacks (empty when it can run it).
lacking() {
    for f in $(perl "$plant" "$list" --needs "$1"); do
        case $flags in *" $f "*) ;; *) printf ' %s' "$f" ;; esac
    done
}

caught=0; missed=0; broken=0; elsewhere=0
for name in $names; do
    t0=$(date +%s); touch "$scratch/stamp"
    no=$(lacking "$name")
    if [ -n "$no" ]; then
        elsewhere=$((elsewhere + 1)); echo "NOT RUN      $name: this processor lacks$no"; continue
    fi
    if ! file=$(perl "$plant" "$list" "$name" "$tree" 2>"$log"); then
        broken=$((broken + 1)); echo "NOT APPLIED  $name: $(cat "$log")"; continue
    fi
    f=$(first_failure "$(perl "$plant" "$list" --test "$name")")
    case $? in
    0) caught=$((caught + 1)); echo "caught       $name  ($f; $(( $(date +%s) - t0 )) s)" ;;
    2) broken=$((broken + 1)); echo "NO BUILD     $name"; grep error "$log" | head -n 5 ;;
    *)
        if f=$(e2e_failure "$file"); then
            caught=$((caught + 1)); echo "caught       $name  (only by e2e: $f; $(( $(date +%s) - t0 )) s)"
        else
            missed=$((missed + 1)); echo "MISSED       $name"
        fi ;;
    esac
    restore "$file"
done
echo "mutants: $caught caught, $missed missed, $broken not applied or not built, $elsewhere for another processor ($(( $(date +%s) - start )) s)"
[ "$missed" -eq 0 ] && [ "$broken" -eq 0 ]
