# The main job, shortened, runs clean under valgrind: no invalid access, no leak.
# (valgrind does not emulate AVX-512, so OpenBLAS is given its AVX2 kernels here.)
. tests/e2e/lib.inc
command -v valgrind >/dev/null || die "valgrind is not installed (scripts/setup.sh installs it)"
OPENBLAS_CORETYPE=Haswell valgrind --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/v" 2>"$TMP/vg.log" || { cat "$TMP/vg.log"; die "valgrind reported errors"; }
grep -q "ERROR SUMMARY: 0 errors" "$TMP/vg.log" || { cat "$TMP/vg.log"; die "valgrind errors"; }
exit 0
