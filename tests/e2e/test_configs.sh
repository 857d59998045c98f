# Every shipped config on built-in data runs one short epoch of each phase, with pruning off
# and on, and writes what it should (tests/e2e/configs.inc).
. tests/e2e/configs.inc
run_configs builtin
exit 0
