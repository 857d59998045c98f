# report.html: the comparison table, five gnuplot SVGs inline, nothing fetched or run (no
# script, no URL but the SVG namespaces), byte-identical for the same seed; and without
# gnuplot (QAT_GNUPLOT=/nonexistent) the run still succeeds with one warning and a page of
# tables.
. tests/e2e/lib.inc
command -v gnuplot >/dev/null 2>&1 ||
    die "gnuplot is not installed: run scripts/setup.sh (it installs gnuplot-nox)"
SWEEP="--set prune.sweep=0.5,0.7,0.9,0.5" # 0.7 is the configured run: not run again
mkdir "$TMP/tmp"
TMPDIR="$TMP/tmp" "$QATRAIN" configs/gesture_cnn.ini $SMALL $SWEEP --out "$TMP/a" 2>"$TMP/a.err"
[ ! -s "$TMP/a.err" ] || die "--quiet run printed: $(cat "$TMP/a.err")"
[ -z "$(ls -A "$TMP/tmp")" ] || die "the plots' temporary folder was left behind: $(ls -A "$TMP/tmp")"
h="$TMP/a/report.html"
[ -s "$h" ] || die "no report.html"
targets=$(sed -n 's/.*"target_sparsity": \([0-9.]*\).*/\1/p' "$TMP/a/report.json" | tr '\n' ' ')
[ "$targets" = "0.7 0.5 0.9 " ] || die "pruning runs for '$targets', want each sparsity once"
for heading in Float32 "Dynamic range" "Int8 PTQ" "Int8 QAT" "Int8 QAT+pruned" "test accuracy (%)" \
    ".tflite</code> bytes" "gzip -9 bytes" "activation memory (bytes)" "MACs per inference" "sparsity (%)" \
    "TFLite Micro cannot run it" "compress better, not smaller or faster"; do
    grep -qF "$heading" "$h" || die "report.html lacks '$heading'"
done
n=$(grep -o '<svg' "$h" | wc -l)
[ "$n" -ge 5 ] || die "report.html has $n <svg> elements, want >= 5"
grep -qi '<script' "$h" && die "report.html contains a <script>"
grep -qi 'javascript:' "$h" && die "report.html contains a javascript: URL"
urls=$(grep -oE 'https?://[^"'"'"' <>)]*' "$h" | sort -u |
    grep -vxF -e 'http://www.w3.org/2000/svg' -e 'http://www.w3.org/1999/xlink' || true)
[ -z "$urls" ] || die "report.html refers to: $urls"
grep -qF -e 'qatrain-plots-' -e "$TMP" "$h" && die "a temporary path leaked into report.html"
# Same seed, same bytes.
"$QATRAIN" configs/gesture_cnn.ini $SMALL $SWEEP --out "$TMP/b"
cmp "$h" "$TMP/b/report.html" || die "report.html differs between identical runs"
# No gnuplot: exit 0, one warning line on stderr, tables but no plots.
NOQUIET=$(echo "$SMALL" | sed 's/--quiet//')
QAT_GNUPLOT=/nonexistent "$QATRAIN" configs/gesture_cnn.ini $NOQUIET $SWEEP --out "$TMP/c" \
    >/dev/null 2>"$TMP/c.err" || die "the run without gnuplot failed: $(cat "$TMP/c.err")"
[ "$(wc -l <"$TMP/c.err")" -eq 1 ] || die "want one warning line, got: $(cat "$TMP/c.err")"
grep -qx 'qatrain: warning: gnuplot not found: report.html has tables but no plots (apt-get install gnuplot-nox)' \
    "$TMP/c.err" || die "unexpected warning: $(cat "$TMP/c.err")"
h="$TMP/c/report.html"
grep -qF "Int8 QAT+pruned" "$h" && grep -qF "test accuracy (%)" "$h" || die "no table without gnuplot"
grep -q '<svg' "$h" && die "report.html without gnuplot has an <svg>"
# --quiet silences the warning; the page is the same.
QAT_GNUPLOT=/nonexistent "$QATRAIN" configs/gesture_cnn.ini $SMALL $SWEEP --out "$TMP/d" 2>"$TMP/d.err"
[ ! -s "$TMP/d.err" ] || die "--quiet printed: $(cat "$TMP/d.err")"
cmp "$h" "$TMP/d/report.html" || die "the page without gnuplot differs between runs"
# A gnuplot that fails: one warning with the last line of its error output, no plots.
printf '#!/bin/sh\necho "line 7: bad thing" >&2\necho "        ^" >&2\nexit 1\n' >"$TMP/gp-fail"
chmod +x "$TMP/gp-fail"
QAT_GNUPLOT="$TMP/gp-fail" "$QATRAIN" configs/gesture_cnn.ini $NOQUIET --out "$TMP/f" >/dev/null 2>"$TMP/f.err" ||
    die "the run with a failing gnuplot failed: $(cat "$TMP/f.err")"
[ "$(cat "$TMP/f.err")" = "qatrain: warning: gnuplot failed (line 7: bad thing): report.html has tables but no plots" ] ||
    die "unexpected warning for a failing gnuplot: $(cat "$TMP/f.err")"
grep -q '<svg' "$TMP/f/report.html" && die "report.html has an <svg> though gnuplot failed"
# A missing plot script is a warning too, naming where it was sought.
QAT_SCRIPTS="$TMP/none" "$QATRAIN" configs/gesture_cnn.ini $NOQUIET --out "$TMP/e" >/dev/null 2>"$TMP/e.err" ||
    die "the run without plots.gp failed"
grep -q "plots.gp not found in \$QAT_SCRIPTS" "$TMP/e.err" || die "no warning for a missing plots.gp: $(cat "$TMP/e.err")"
exit 0
