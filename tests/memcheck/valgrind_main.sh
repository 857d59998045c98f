# The main job, shortened, runs clean under valgrind: no invalid access, no leak. valgrind's
# processor has no AVX-512, so qatrain runs its AVX2 GEMM kernel there: the files must still
# be those of a native run, byte for byte (timing.json excepted).
. tests/e2e/lib.inc
command -v valgrind >/dev/null || die "valgrind is not installed (scripts/setup.sh installs it)"
valgrind --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/v" 2>"$TMP/vg.log" || { cat "$TMP/vg.log"; die "valgrind reported errors"; }
grep -q "ERROR SUMMARY: 0 errors" "$TMP/vg.log" || { cat "$TMP/vg.log"; die "valgrind errors"; }
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/n"
for f in $(ls "$TMP/n"); do
    [ "$f" = timing.json ] || cmp -s "$TMP/n/$f" "$TMP/v/$f" || die "$f differs between the native run and valgrind's"
done
exit 0
