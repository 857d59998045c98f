# The progressive pipeline (configs/progressive_pipeline.ini), shortened: with the lesson's CNN
# as stage 1 (over the 8 KB budget) structured pruning runs and its model fits, with the C
# array of that final model; with a searched architecture (which fits by construction) the
# pipeline stops after QAT; each stage's flash is its file's size.
. tests/e2e/lib.inc
C=configs/progressive_pipeline.ini
O="--quiet --set data.samples_per_class=60 --set train.epochs=6 --set quant.epochs=2 --set prune.epochs=2
   --set search.population=6 --set search.generations=2 --set search.epochs=3 --set search.max_blocks=3"
stage() { # stage NAME FIELD report.json: the field of that stage's row
    tr -d ' \n' <"$3" | grep -o "{\"stage\":\"$1\"[^}]*}" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"
}
"$QATRAIN" $C $O --set search.enabled=false --out "$TMP/given" || die "run with the lesson's CNN failed"
r="$TMP/given/report.json"
[ "$(stage architecture fits "$r")" = false ] || die "the lesson's CNN should be over 8 KB"
[ "$(stage qat fits "$r")" = false ] || die "QAT does not shrink the model"
[ "$(stage pruning fits "$r")" = true ] || die "structured pruning at 50 % should fit 8 KB"
for s in architecture:model_ptq_int8 qat:model_int8 pruning:model_pruned_int8; do
    [ "$(stage "${s%%:*}" flash_bytes "$r")" = "$(wc -c <"$TMP/given/${s#*:}.tflite")" ] ||
        die "stage ${s%%:*}: flash is not ${s#*:}.tflite's size"
done
tr -d ' \n' <"$r" | grep -q '"stopped_early":false' || die "stopped_early should be false"
[ -s "$TMP/given/model_pruned_int8.c" ] && [ -s "$TMP/given/model_pruned_int8.h" ] ||
    die "the final (pruned) model has no C array"
"$QATRAIN" $C $O --out "$TMP/searched" || die "run with the search failed"
r="$TMP/searched/report.json"
[ "$(stage qat fits "$r")" = true ] || die "the searched model should fit"
tr -d ' \n' <"$r" | grep -q '"stopped_early":true' || die "the pipeline should stop after QAT"
[ -z "$(stage pruning fits "$r")" ] && [ ! -e "$TMP/searched/model_pruned_int8.tflite" ] ||
    die "pruning ran although the target was met"
# without stop_when_met every stage runs
"$QATRAIN" $C $O --set target.stop_when_met=false --out "$TMP/all" || die "run without stop_when_met failed"
[ "$(stage pruning fits "$TMP/all/report.json")" = true ] || die "pruning should run without stop_when_met"
[ ! -e "$TMP/all/model_pruned_int8.c" ] || die "the C array of the pruned model only in the progressive pipeline"
echo "progressive pipeline: lesson CNN $(stage qat flash_bytes "$TMP/given/report.json") B -> pruned $(stage pruning flash_bytes "$TMP/given/report.json") B; the searched model stops after QAT"
