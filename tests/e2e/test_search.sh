# [search] on a short lesson: the same search on one worker or two and through job folders
# (GNU parallel when installed, else xargs), every candidate within the target, the winner's
# flash the exported file's size, and search_best.ini run alone giving the same model.
. tests/e2e/lib.inc
C=configs/experiments/nas_gesture.ini
O="--quiet --set data.samples_per_class=60 --set search.population=6 --set search.generations=3
   --set search.epochs=3 --set search.max_blocks=3 --set train.epochs=4 --set quant.epochs=1
   --set prune.epochs=1"
# Under ASan + UBSan every code path runs once, on a smaller search (memory errors, not the
# comparisons: the plain suite makes those).
[ "$SANITIZED" = 1 ] && O="$O --set search.population=4 --set search.generations=2 --set search.epochs=1"
"$QATRAIN" $C $O --set search.workers=2 --out "$TMP/one" || die "search on two workers failed"
if [ "$SANITIZED" != 1 ]; then
    "$QATRAIN" $C $O --set search.workers=1 --out "$TMP/two" || die "search on one worker failed"
    for f in search.csv search_front.csv search_best.ini model_int8.tflite report.json; do
        cmp -s "$TMP/one/$f" "$TMP/two/$f" || die "$f differs between one worker and two"
    done
    # any processor: the portable GEMM and int8 kernels give the same search
    QATRAIN_GEMM=scalar QATRAIN_INT8=portable "$QATRAIN" $C $O --out "$TMP/portable" ||
        die "search with the portable kernels failed"
    for f in search.csv model_int8.tflite; do
        cmp -s "$TMP/one/$f" "$TMP/portable/$f" || die "$f differs with the portable kernels"
    done
fi
# every candidate fits the budget (8 KB flash, 8 KB arena); the winner's flash is the file's
awk -F, 'NR > 1 && ($5 > 8192 || $6 > 8192) { bad = 1 } END { exit bad }' "$TMP/one/search.csv" ||
    die "a candidate over the budget was trained"
flash=$(awk -F, '$12 == 1 { print $5 }' "$TMP/one/search.csv")
[ "$flash" = "$(wc -c <"$TMP/one/model_ptq_int8.tflite")" ] ||
    die "winner's flash $flash B is not model_ptq_int8.tflite's $(wc -c <"$TMP/one/model_ptq_int8.tflite") B"
# the job path: run the jobs, run the command again, until it trains the winner
if parallel --version 2>/dev/null | grep -q "GNU parallel"; then runner="parallel --will-cite -j 2"; else runner="xargs -d \\n -n 1 -P 2 sh -c"; fi
rounds=0
while :; do
    rc=0
    "$QATRAIN" $C $O --out "$TMP/jobs" --jobs || rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 3 ] || die "--jobs exited $rc"
    rounds=$((rounds + 1))
    [ $rounds -le 3 ] || die "more rounds of jobs than generations"
    $runner <"$TMP/jobs/search-jobs/jobs.txt" || die "a job failed"
done
[ $rounds -ge 1 ] || die "no job was written" # (a generation of known genomes needs none)
for f in search.csv search_front.csv search_best.ini model_int8.tflite report.json; do
    cmp -s "$TMP/one/$f" "$TMP/jobs/$f" || die "$f differs between the job path and the in-process search"
done
# the winner's config alone: the same models (the .tflite descriptions name another config)
if [ "$SANITIZED" != 1 ]; then
    "$QATRAIN" "$TMP/one/search_best.ini" $O --out "$TMP/best" || die "search_best.ini failed"
    for f in test_outputs_int8.npy test_outputs_ptq_int8.npy test_outputs_float32.npy float.ckpt qat.ckpt; do
        cmp -s "$TMP/one/$f" "$TMP/best/$f" || die "search_best.ini does not reproduce $f"
    done
fi
# 2-D data (the built-in shapes): conv, separable and depthwise blocks, each exported as int8
"$QATRAIN" configs/experiments/conv2d_shapes.ini --quiet --set search.enabled=true --set train.val_split=0.2 \
    --set target.flash_bytes=16384 --set target.arena_bytes=32768 --set search.population=6 \
    --set search.generations=2 --set search.epochs=1 --set data.samples_per_class=30 --set train.epochs=2 \
    --set quant.epochs=1 --set prune.epochs=1 --out "$TMP/2d" || die "2-D search failed"
grep -q '^[0-9]*,[^,]*[sd][0-9]*k[35]' "$TMP/2d/search.csv" || die "no separable or depthwise candidate in the 2-D search"
flash2=$(awk -F, '$12 == 1 { print $5 }' "$TMP/2d/search.csv")
[ "$flash2" = "$(wc -c <"$TMP/2d/model_ptq_int8.tflite")" ] || die "2-D winner's flash is not its file's size"
# bad input: one line, exit 2
expect_error 2 "set \[train\] val_split" -- "$QATRAIN" $C $O --set train.val_split=0 --out "$TMP/bad"
expect_error 2 "separable and depthwise convolutions need 2-D data" -- \
    "$QATRAIN" $C $O --set search.ops=conv,separable --out "$TMP/bad"
expect_error 2 "set a \[target\] with flash and arena limits" -- \
    "$QATRAIN" $C $O --set target.profile=none --set target.flash_bytes=0 --set target.arena_bytes=0 --out "$TMP/bad"
[ "$SANITIZED" = 1 ] || # (1000 models built and lowered: seconds, but half a minute under ASan)
    expect_error 2 "no architecture of 1000 random draws fits" -- \
        "$QATRAIN" $C $O --set target.flash_bytes=1000 --out "$TMP/bad"
expect_error 2 "--jobs and --evaluate run a \[search\]" -- "$QATRAIN" configs/gesture_cnn.ini --jobs --out "$TMP/bad"
mkdir -p "$TMP/empty"
expect_error 2 "genome.txt" -- "$QATRAIN" $C $O --evaluate "$TMP/empty"
echo "search: the same $(($(wc -l <"$TMP/one/search.csv") - 1)) candidates$([ "$SANITIZED" = 1 ] || echo " on 1 and 2 workers and") through $rounds rounds of job folders (${runner%% *}); winner flash $flash B"
