# The lesson's pruning: 30 % -> 70 % magnitude pruning, then QAT keeping the masks.
# Pruned weights are exactly 0 in the int8 file (a property), each layer's sparsity is the
# target within one weight (a property), and, on seed 42, accuracy and gzip size as the
# seed spread allows. Measured over seeds 1-10 (README *Results*), pruned int8 minus float
# accuracy: mean +0.37 points, sd 1.5, worst -1.33 (scattered) and -2.67 (dense1 in blocks of
# 8); so a run must stay within 4.5 points of float (3 sd below the mean). gzip(dense int8) /
# gzip(pruned int8): 1.70 (sd 0.015, 1.68-1.74) scattered, 1.98 (sd 0.016, 1.95-2.01) in
# blocks: a run must reach 1.6x and 1.8x (more than 6 sd of margin; 1.8x is the issue's
# target, met only by the block variant). Bad pruning input fails cleanly.
. tests/e2e/lib.inc
json() { sed -n "/\"$2\": {/,/}/s/.*\"$3\": \([0-9.e-]*\).*/\1/p" "$1" | head -n 1; }
# check_run CONFIG OUT MIN_GZIP_RATIO BLOCKS MAX_DROP: the claims above for one run; BLOCKS
# lists each pruned layer's block size as masks.json gives them; MAX_DROP the accuracy a run
# may lose against float (-1: not checked).
SHORT_RUN=""
check_run() {
    "$QATRAIN" "$1" --quiet --out "$2" $SHORT_RUN
    r="$2/report.json"
    f=$(json "$r" float32 test_accuracy); pa=$(json "$r" int8_qat_pruned test_accuracy)
    dg=$(json "$r" int8_qat gzip_bytes); pg=$(json "$r" int8_qat_pruned gzip_bytes)
    lost=$(sed -n 's/.*"pruned_nonzero_in_int8": \([0-9]*\).*/\1/p' "$r" | head -n 1)
    echo "$1: float $f, pruned int8 $pa; gzip dense int8 $dg, pruned $pg; pruned weights not zero in int8: $lost"
    [ "$lost" = 0 ] || die "$1: $lost pruned weights are not zero in the int8 model"
    awk -v f="$f" -v p="$pa" -v m="$5" 'BEGIN { exit !(m < 0 || p >= f - m) }' || die "$1: pruned int8 accuracy more than $5 below float"
    awk -v d="$dg" -v p="$pg" -v m="$3" 'BEGIN { printf "gzip ratio %.2f\n", d / p; exit !(d / p >= m) }' || die "$1: gzip ratio below $3"
    # Each pruned layer's sparsity is 70 % within one weight (masks.json).
    awk '/"weights":/ { gsub(/[^0-9]/, ""); w = $0 } /"pruned":/ { gsub(/[^0-9]/, ""); n++
           t = int(0.7 * w + 0.5); if ($0 < t - 1 || $0 > t + 1) { print "layer " n ": " $0 " of " w; bad = 1 } }
         END { exit bad || n != 4 }' "$2/masks.json" || die "$1: a layer's sparsity misses 70 % by more than one weight"
    blocks=$(sed -n 's/.*"block": \([0-9]*\).*/\1/p' "$2/masks.json" | tr '\n' ' ')
    [ "$blocks" = "$4" ] || die "$1: block sizes '$blocks', expected '$4'"
}
if [ "$SANITIZED" = 1 ]; then # memory errors, not statistics: short runs, the properties only
    echo "sanitizer build: short runs, the zeros and the sparsity; accuracy and gzip are the plain suite's"
    SHORT_RUN="$SMALL --set prune.epochs=4 --set prune.frequency=4 --set prune.end_step=32"
    check_run configs/gesture_cnn.ini "$TMP/p" 0 "1 1 1 1 " -1
    check_run configs/experiments/prune_block.ini "$TMP/b" 0 "1 1 8 1 " -1
else
    check_run configs/gesture_cnn.ini "$TMP/p" 1.6 "1 1 1 1 " 0.045
    check_run configs/experiments/prune_block.ini "$TMP/b" 1.8 "1 1 8 1 " 0.045
fi
# Bad input: masks from another model, a sparsity of 1, end before begin.
Q="$QATRAIN"
expect_error 2 'masks\.bin: .*conv1.*another model' -- "$Q" configs/gesture_cnn.ini --quiet --out "$TMP/x" \
    --set data.samples_per_class=6 --set train.epochs=1 --set quant.epochs=1 --set prune.epochs=1 \
    --set layer.conv1.filters=8 --set "prune.masks=$TMP/p/masks.bin"
expect_error 2 'prune.final_sparsity: .1. is out of range' -- "$Q" configs/gesture_cnn.ini --set prune.final_sparsity=1
expect_error 2 'prune.initial_sparsity: .-0.1. is out of range' -- "$Q" configs/gesture_cnn.ini --set prune.initial_sparsity=-0.1
expect_error 2 '\[prune\] end_step: 100 is not after begin_step 200' -- "$Q" configs/gesture_cnn.ini \
    --set prune.begin_step=200 --set prune.end_step=100
expect_error 2 'prune_block: 8 applies to unstructured pruning' -- "$Q" configs/experiments/prune_block.ini \
    --set prune.structured=true
exit 0
