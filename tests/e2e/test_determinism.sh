# Same config and seed: byte-identical outputs (timing.json excepted, by design).
# Another seed: different weights.
. tests/e2e/lib.inc
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/a"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/b"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/c" --seed 7
n=0
for f in $(ls "$TMP/a"); do
    [ "$f" = timing.json ] && continue
    cmp "$TMP/a/$f" "$TMP/b/$f" || die "$f differs between identical runs"
    n=$((n + 1))
done
[ "$n" -ge 19 ] || die "only $n output files compared"
cmp -s "$TMP/a/model_int8.tflite" "$TMP/c/model_int8.tflite" && die "seed 7 gave the same int8 model"
cmp -s "$TMP/a/float.ckpt" "$TMP/c/float.ckpt" && die "seed 7 gave the same weights as seed 42"
exit 0
