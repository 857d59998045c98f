# The structured-pruned lesson model (configs/experiments/structured.ini: conv 8 and 16
# filters, dense 16 units) is the case issue 10 measured on TFLite Micro's 64-bit host build:
# arena_used_bytes() 2,960 bytes, but AllocateTensors needs a 3,424-byte arena (the planner's
# bookkeeping is taken from the free arena while it runs). The arena depends only on the
# shapes, which the config fixes whatever the weights, so qatrain's model of the allocator must
# give both figures.
. tests/e2e/lib.inc
"$QATRAIN" configs/experiments/structured.ini $SMALL --out "$TMP/s"
"$QATRAIN" inspect "$TMP/s/model_pruned_int8.tflite" >"$TMP/s.txt"
grep -Eq 'conv1/kernel  *INT8  *\[8, 1, 5, 3\]' "$TMP/s.txt" || die "not the structured-pruned shapes: $(grep kernel "$TMP/s.txt")"
row() { sed -n "s/^  $1  *\([0-9]*\)  *[0-9]*\$/\1/p" "$TMP/s.txt"; }
used=$(row 'arena_used_bytes() after AllocateTensors'); min=$(row 'smallest arena AllocateTensors accepts')
echo "structured-pruned model, 64-bit host: arena_used_bytes $used (TFLM 2960), minimum $min (TFLM 3424)"
[ "$used" = 2960 ] && [ "$min" = 3424 ] || die "the arena model disagrees with TFLM's measurement"
exit 0
