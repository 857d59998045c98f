#!/bin/sh
# Runs one libFuzzer target for a while and prints one summary line (used by `make fuzz`).
#   run.sh BUILD_DIR NAME SECONDS
# New corpus entries go to BUILD_DIR/corpus/NAME (the seeds in tests/fuzz/corpus/NAME are
# only read); a crash is saved in BUILD_DIR/crashes/NAME/ and the log's tail is printed.
set -u
build=$1; name=$2; seconds=$3
bin="$build/fuzz_$name"
corpus="$build/corpus/$name"; crashes="$build/crashes/$name"; log="$build/fuzz_$name.log"
mkdir -p "$corpus" "$crashes"
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "tests/fuzz/corpus/$name" \
    >"$log" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
files=$(ls "$corpus" | wc -l)
if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    echo "fuzz_$name: FAILED after ${runs:-?} runs (${rate:-?}/s); input saved in $crashes/, log $log"
    exit 1
fi
echo "fuzz_$name: ${seconds} s, ${runs:-?} runs (${rate:-?}/s), corpus $files new files, no crash"
