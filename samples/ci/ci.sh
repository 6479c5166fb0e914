#!/usr/bin/env bash
# ci.sh - samples/ci's CI job, run the way a pipeline would (README.md here).
#
#   samples/ci/ci.sh CONNLEAK WORKDIR
#
# 1. the test suite under `connleak run --fail-on leak` fails: the vendor's
#    health check leaks a socket;
# 2. the rule --gen-suppressions writes for it, committed as connleak.supp
#    and applied with --suppressions, makes the job pass;
# 3. instead of suppressions, a baseline: the main branch's JSON report;
#    --baseline passes while nothing new leaks...
# 4. ...and fails on a change that brings a new leak (-DNEW_LEAK).
# Prints one line per step and exits 0 when every step went as it should,
# 1 at the first that did not.
set -euo pipefail
connleak=$1 work=$2
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"

build() { # build OUT [CFLAGS...]
    local out=$1
    shift
    cc -g -O0 -fno-omit-frame-pointer "$@" -o "$out" "$src/test_counter.c" "$src/counter.c" \
        "$src/vendor.c"
}
step() { # step NAME EXPECTED-EXIT -- CONNLEAK-ARGS...
    local name=$1 want=$2 rc=0
    shift 3
    "$connleak" run --fail-on leak "$@" > "$work/$name.out" 2> "$work/$name.err" || rc=$?
    if [[ $rc -ne $want ]]; then
        echo "ci.sh: $name: exit $rc, expected $want" >&2
        tail -20 "$work/$name.err" >&2
        exit 1
    fi
    echo "ci.sh: $name: exit $rc as expected"
}

build "$work/test_counter"
step leak-fails 99 -- --gen-suppressions="$work/connleak.supp" -- "$work/test_counter"
grep -q '^frame vendor_healthcheck ' "$work/connleak.supp" ||
    { echo "ci.sh: the generated rule does not name vendor_healthcheck" >&2; exit 1; }
step suppressed-passes 0 -- --suppressions "$work/connleak.supp" -- "$work/test_counter"
step baseline-made 99 -- --json "$work/baseline.json" -- "$work/test_counter"
step baseline-passes 0 -- --baseline "$work/baseline.json" -- "$work/test_counter"
build "$work/test_counter" -DNEW_LEAK
step new-leak-fails 99 -- --baseline "$work/baseline.json" -- "$work/test_counter"
grep -q "counter_fetch" "$work/new-leak-fails.err" ||
    { echo "ci.sh: the new leak's report does not name counter_fetch" >&2; exit 1; }
echo "ci.sh: every step as expected"
