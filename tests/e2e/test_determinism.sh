# Same config and seed: byte-identical outputs (timing.json excepted, by design).
# Another seed: different weights.
. tests/e2e/lib.inc
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/a"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/b"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/c" --seed 7
for f in history.csv report.json float.ckpt; do
    cmp "$TMP/a/$f" "$TMP/b/$f" || die "$f differs between identical runs"
done
cmp -s "$TMP/a/float.ckpt" "$TMP/c/float.ckpt" && die "seed 7 gave the same weights as seed 42"
exit 0
