# Special files and out-of-range numbers given as inputs: a named pipe, a folder or a device
# where a file is expected, a named pipe inside a class folder, CSV values of 1e300/NaN/inf
# and resampler rates of 1e300/1e-300 each give exit 2 within seconds (timeout turns a hang
# into a failure), one stderr line naming the file, and nothing written.
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
mkfifo "$TMP/f.ini" "$TMP/f.csv" "$TMP/f.ckpt" "$TMP/f.tflite" "$TMP/f.bin" "$TMP/f.npy"
# refused PATTERN ARGS...: exit 2 in time, one line matching, nothing written to $TMP/out.
refused() {
    p=$1; shift
    expect_error 2 "$p" -- timeout 5 "$QATRAIN" "$@"
    # The run may create the (empty) output folder before reading its data: the folder's
    # staging is issue 11's other part. Nothing may be written into it.
    [ -z "$(ls -A "$TMP/out" 2>/dev/null)" ] || die "a refused run wrote into $TMP/out ($*)"
    rm -rf "$TMP/out"
}
O="--quiet --out $TMP/out"
pipe="not a regular file \\(a named pipe\\)"
refused "^qatrain: $TMP/f.ini: $pipe\$" "$TMP/f.ini" $O
refused "^qatrain: $TMP/f.ckpt: $pipe\$" $C $O --init "$TMP/f.ckpt"
refused "^qatrain: $TMP/f.bin: $pipe\$" $C $O --set prune.masks="$TMP/f.bin"
refused "^qatrain: $TMP: not a regular file \(a folder\)\$" $C $O --init "$TMP"
refused "^qatrain: /dev/zero: not a regular file \(a character device\)\$" $C $O --init /dev/zero
refused "^qatrain: /dev/null: not a regular file \(a character device\)\$" /dev/null $O
refused "^qatrain: $TMP/f.tflite: $pipe\$" inspect "$TMP/f.tflite"
refused "^qatrain: $TMP/f.tflite: $pipe\$" run "$TMP/f.tflite" "$TMP/f.npy"

# A named pipe called x.npy inside a class folder.
"$QATRAIN" $C --quiet --set data.samples_per_class=4 --write-data "$TMP/d"
mkfifo "$TMP/d/wave/zz.npy"
refused "^qatrain: $TMP/d/wave/zz.npy: $pipe\$" $C $O --set data.source=npy --set data.dir="$TMP/d"

# CSV: a named pipe, values out of range, rates out of range.
csv() { echo "--set data.source=csv --set files.wave=$1 --set files.punch=$1 --set files.flex=$1"; }
refused "^qatrain: $TMP/f.csv: $pipe\$" $C $O $(csv "$TMP/f.csv")
for v in 1e300 -1e300; do
    printf 'aX,aY,aZ\n1,2,3\n1,%s,3\n' "$v" >"$TMP/v.csv"
    refused "^qatrain: $TMP/v.csv:3: column aY: '$v' is outside \[-1e\+38, 1e\+38\]" $C $O $(csv "$TMP/v.csv")
done
for v in nan inf -inf; do
    printf 'aX,aY,aZ\n1,2,3\n1,2,%s\n' "$v" >"$TMP/v.csv"
    refused "^qatrain: $TMP/v.csv:3: column aZ: '$v' is not finite\$" $C $O $(csv "$TMP/v.csv")
done
printf 'aX,aY,aZ\n1,2,3\n4,5,6\n' >"$TMP/ok.csv"
for r in 1e300 1e-300 2e6 1e-4; do
    refused "^qatrain: --set data.csv_rate_hz: .* is out of range \(must be in \[0.001, 1000000\]\)$" $C $O --set data.csv_rate_hz=$r $(csv "$TMP/ok.csv")
done
