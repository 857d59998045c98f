# [target] on a short lesson: the int8 models against a profile (they fit an ESP32) and against
# explicit limits they break (flash and arena), the arena being the firmware header's figure
# for a 32-bit MCU; bad targets are one line and exit 2.
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
O="--quiet --set data.samples_per_class=40 --set train.epochs=2 --set quant.epochs=1 --set prune.epochs=1"
"$QATRAIN" $C $O --set target.profile=esp32 --out "$TMP/esp32" || die "esp32 run failed"
r=$(tr -d ' \n' <"$TMP/esp32/report.json")
echo "$r" | grep -q '"target":{"profile":"esp32","limits":{"flash_bytes":4194304,"arena_bytes":532480,"macs":null,"params":null}' ||
    die "report.json target limits: $(echo "$r" | grep -o '"target":{[^]]*' | head -c 300)"
[ "$(echo "$r" | sed "s/.*\"target\"://" | grep -o '"fits":true' | wc -l)" -eq 3 ] || die "the lesson's int8 models should fit an ESP32"
# the arena is the firmware header's 32-bit figure, the flash the file's size
arena=$(sed -n '/#else/,/#endif/s/#define QAT_TENSOR_ARENA_BYTES \([0-9]*\)/\1/p' "$TMP/esp32/model_int8_info.h")
size=$(wc -c <"$TMP/esp32/model_int8.tflite")
echo "$r" | grep -q "\"model\":\"int8_qat\",\"file\":\"model_int8.tflite\",\"flash_bytes\":$size,\"arena_bytes\":$arena," ||
    die "int8_qat against the target: not flash $size B and arena $arena B"
# explicit limits below what the model takes: it does not fit, and the headroom is negative
"$QATRAIN" $C $O --set target.flash_bytes=8192 --set target.arena_bytes=1024 --out "$TMP/tight" >"$TMP/out" ||
    die "tight run failed"
r=$(tr -d ' \n' <"$TMP/tight/report.json")
[ "$(echo "$r" | sed "s/.*\"target\"://" | grep -o '"fits":false' | wc -l)" -eq 3 ] || die "8 KB of flash should not hold the lesson's models"
echo "$r" | grep -q "\"headroom\":{\"flash_bytes\":$((8192 - size)),\"arena_bytes\":$((1024 - arena))}" ||
    die "headroom is not limit - use"
"$QATRAIN" $C --set data.samples_per_class=40 --set train.epochs=2 --set quant.epochs=1 --set prune.epochs=1 \
    --set target.arena_bytes=1024 --out "$TMP/print" | grep -q "model_int8.tflite .*arena $arena B ($((arena - 1024)) over).*does NOT fit" ||
    die "the summary does not say the model is over its arena"
expect_error 2 "target.profile: 'esp8266' is not one of: none, esp32" -- "$QATRAIN" $C $O --out "$TMP/bad" --set target.profile=esp8266
expect_error 2 "\[target\]: the target is checked against the int8 models" -- \
    "$QATRAIN" $C $O --out "$TMP/bad" --set target.profile=esp32 --set quant.enabled=false --set prune.enabled=false
echo "target: the lesson's int8 models take $size B of flash and $arena B of arena: they fit an ESP32, not 8 KB / 1 KB"
