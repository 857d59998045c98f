# Every shipped config that reads the external test data ("../shared/..." paths: real
# recordings) runs one short epoch of each phase, with pruning off and on, and writes what it
# should (tests/e2e/configs.inc). Skipped, and counted, when that data is absent.
. tests/e2e/configs.inc
run_configs external
exit 0
