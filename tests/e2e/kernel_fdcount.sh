#!/usr/bin/env bash
# kernel_fdcount: the sampler counts a process's open fds a window at a
# time, so that a sample's cost does not grow with them: a program holding
# 1,200 open files (no sockets; it exits without closing them) is counted right, over several samples
# ("fds_est" in between), and gets no fd-growth finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=100
ulimit -n 4096

run_json_traced --backend preload -- python3 -c '
import os, time
files = [open("/dev/null") for _ in range(1200)]
time.sleep(3)
os._exit(0)'
expect_rc 0
expect_json '.summary["fd-growth"]' 0
jq -s -e '[.[] | select(.t == "sample")] | length >= 10' "$trace" > /dev/null ||
    fail "fewer than 10 samples in $trace"
# the samples of the last second: every count, counted or moved, is 1,200
# files plus the interpreter's own few
jq -s -e '[.[] | select(.t == "sample")] | .[-8:] | all(.fds >= 1200 and .fds <= 1230)' \
    "$trace" > /dev/null ||
    fail "fd counts of the last samples: $(jq -c 'select(.t == "sample") | .fds' "$trace" | tr '\n' ' ')"
jq -s -e '[.[] | select(.t == "sample" and .fds >= 1200)] | any(.fds_est == true)' "$trace" \
    > /dev/null || fail "every sample counted all 1,200 fds at once"
pass
