# The output folder is safe as a set (--out and --write-data): nothing outside it is written,
# followed or removed; links planted in it (named like a staging folder, like an output, or
# anything else) survive with their targets untouched; a failure (a folder or a link where an
# output goes, a move that fails midway, a run killed mid-swap, SIGTERM during --write-data)
# leaves the earlier run whole; a finished run replaces it wholly (a file it no longer writes
# is removed, files qatrain does not own are kept).
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
TINY="--quiet --set data.samples_per_class=6 --set train.epochs=1 --set quant.epochs=1 --set prune.epochs=1"
P="$TMP/p"
O="$P/o"
mkdir -p "$P/victim/sub"
echo precious >"$P/victim/keep"
echo deeper >"$P/victim/sub/file"
echo beside >"$P/sibling.txt"
# snap DIR [SKIP]: every entry (type, size, mode, link target) and every file's checksum,
# without following links; SKIP (a top-level name) is left out.
snap() {
    (cd "$1" && find . -path "./${2:-.none}" -prune -o -printf '%p %y %s %m %l\n' | sort &&
        find . -path "./${2:-.none}" -prune -o -type f -exec cksum {} + | sort)
}
outside() { snap "$P" o; }
# owned: the manifest's entries, one a line.
owned() { grep -v '^#' "$O/.qatrain-manifest"; }
dead=$(sh -c 'echo $$')
while kill -0 "$dead" 2>/dev/null; do dead=$((dead + 1)); done

"$QATRAIN" $C $TINY --out "$O"
[ -f "$O/masks.bin" ] && [ -f "$O/model_pruned_int8.tflite" ] || die "the pruning run wrote no pruned files"
[ "$(owned | sort)" = "$(ls "$O" | sort)" ] || die "the manifest does not list exactly the run's files"
n_pruned=$(owned | wc -l)
before_outside=$(outside)

# Links named like dead runs' staging and backup folders, a link to a file and a link to a
# folder, and a user's note: a run (pruning off this time) keeps them all and what they
# point to, and removes the first run's pruned files, which it no longer writes.
ln -s "$P/victim" "$O/.qatrain-partial-$dead"
ln -s "$P/victim" "$O/.qatrain-old-$dead"
ln -s "$P/victim/keep" "$O/link_to_file"
ln -s "$P/victim" "$O/link_to_folder"
echo mine >"$O/notes.txt"
"$QATRAIN" $C $TINY --set prune.enabled=false --out "$O"
for l in ".qatrain-partial-$dead" ".qatrain-old-$dead" link_to_file link_to_folder; do
    [ -L "$O/$l" ] || die "the link $l planted in the output folder was removed"
done
[ "$(cat "$O/notes.txt")" = mine ] || die "a user's file in the output folder changed"
[ ! -e "$O/masks.bin" ] && [ ! -e "$O/model_pruned_int8.tflite" ] ||
    die "files of the earlier run that this run no longer writes were left"
! owned | grep -q pruned || die "the manifest still lists pruned files"
for f in $(owned); do [ -f "$O/$f" ] || die "the manifest lists $f, which is not there"; done
[ "$(outside)" = "$before_outside" ] || die "a run changed something outside --out"
earlier=$(snap "$O")

# What must not be replaced stands where an output of this run (pruning on) goes: a folder,
# a link to a file outside. The run fails before anything moves; the earlier run is whole.
mkdir "$O/masks.bin"
expect_error 2 'o/masks\.bin: is a folder qatrain did not write' -- "$QATRAIN" $C $TINY --out "$O"
rmdir "$O/masks.bin"
[ "$(snap "$O")" = "$earlier" ] || die "a refused run changed the earlier run's folder"
ln -s "$P/victim/keep" "$O/model_pruned_int8.tflite"
expect_error 2 'o/model_pruned_int8\.tflite: is a symbolic link' -- "$QATRAIN" $C $TINY --out "$O"
rm "$O/model_pruned_int8.tflite"
[ "$(snap "$O")" = "$earlier" ] || die "a refused run changed the earlier run's folder"

# A move that fails midway through the swap (the first, a middle one, the manifest's, which
# is the last): every move is undone, the earlier run stays whole.
for at in 1 7 $((n_pruned + 1)); do
    expect_error 2 'o/[a-z0-9_.-]+: cannot move into place' -- \
        env QATRAIN_TEST_FAIL_COMMIT_AT=$at "$QATRAIN" $C $TINY --out "$O"
    [ "$(snap "$O")" = "$earlier" ] || die "a swap failing at move $at mixed two runs"
done

# A run killed mid-swap (built by hand as it would be left: the earlier set in the backup
# folder, two of its new files moved in, no manifest): the next run into the folder rolls
# it back before it starts (this one then fails, so the folder shows the rollback).
S="$O/.qatrain-partial-$((dead + 1))"
B="$O/.qatrain-old-$((dead + 1))"
kill -0 $((dead + 1)) 2>/dev/null && die "pid $((dead + 1)) is alive; rerun"
mkdir "$S" "$B"
printf '# qatrain\nreport.json\nhistory.csv\nextra.txt\n' >"$S/.qatrain-manifest"
echo new >"$S/extra.txt"
mv "$O/.qatrain-manifest" "$B/"
for f in $(grep -v '^#' "$B/.qatrain-manifest"); do mv "$O/$f" "$B/"; done
echo new >"$O/report.json"
echo new >"$O/history.csv"
expect_error 2 'cannot move into place' -- env QATRAIN_TEST_FAIL_COMMIT_AT=1 "$QATRAIN" $C $TINY --out "$O"
[ "$(snap "$O")" = "$earlier" ] || die "a run killed mid-swap was not rolled back"

# Then a run that succeeds replaces the set wholly: the pruned files are back, listed.
"$QATRAIN" $C $TINY --out "$O"
[ "$(owned | wc -l)" -eq "$n_pruned" ] && [ -f "$O/masks.bin" ] || die "the pruning run's set was not swapped in"
[ "$(outside)" = "$before_outside" ] || die "a run changed something outside --out"

# --write-data: a smaller dataset over a larger one leaves no stale sample; a user's file
# stays; SIGTERM before the swap (a real signal, raised by the test hook), a failing move and
# a class folder qatrain did not write leave the folder as it was.
D="$P/data"
"$QATRAIN" $C --quiet --set data.samples_per_class=8 --write-data "$D"
echo mine >"$D/README"
"$QATRAIN" $C --quiet --set data.samples_per_class=5 --write-data "$D"
for c in wave punch flex; do
    [ "$(ls "$D/$c" | wc -l)" -eq 5 ] || die "write-data over a larger dataset: $(ls "$D/$c" | wc -l) $c files, want 5"
done
[ "$(cat "$D/README")" = mine ] || die "write-data changed a user's file"
data=$(snap "$D")
set +e
QATRAIN_TEST_SIGTERM_WRITE_DATA=1 "$QATRAIN" $C --quiet --set data.samples_per_class=3 --write-data "$D" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -eq 130 ] || die "write-data stopped by SIGTERM: exit $rc, want 130 ($(cat "$TMP/err"))"
grep -q 'data: interrupted; the folder is as it was' "$TMP/err" || die "write-data SIGTERM message: $(cat "$TMP/err")"
[ "$(snap "$D")" = "$data" ] || die "write-data stopped by SIGTERM changed the folder"
expect_error 2 'data/[a-z]+: cannot move into place' -- \
    env QATRAIN_TEST_FAIL_COMMIT_AT=2 "$QATRAIN" $C --quiet --set data.samples_per_class=3 --write-data "$D"
[ "$(snap "$D")" = "$data" ] || die "write-data failing midway changed the folder"
mkdir -p "$P/foreign/punch"
echo theirs >"$P/foreign/punch/x.npy"
expect_error 2 'foreign/punch: is a folder qatrain did not write' -- \
    "$QATRAIN" $C --quiet --set data.samples_per_class=3 --write-data "$P/foreign"
[ "$(ls -A "$P/foreign")" = punch ] && [ "$(cat "$P/foreign/punch/x.npy")" = theirs ] ||
    die "write-data refused a foreign folder but changed it"
rm -r "$P/foreign" "$D"
[ "$(outside)" = "$before_outside" ] || die "--write-data changed something outside its folder"
# --out itself a link to a folder: followed once, as the user's choice of folder; the link
# stays a link.
mkdir "$TMP/real"
ln -s "$TMP/real" "$TMP/via"
"$QATRAIN" $C $TINY --set prune.enabled=false --out "$TMP/via"
[ -L "$TMP/via" ] && [ -f "$TMP/real/report.json" ] && [ -f "$TMP/real/.qatrain-manifest" ] ||
    die "--out as a link to a folder: not written there"
echo "output folder: 18 cases passed"
exit 0
