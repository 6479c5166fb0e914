#!/usr/bin/env bash
# same_behaviour: what a program sees does not change under connleak: the
# output and exit code of clean_client, mt_churn and errno_probe (return
# values and errno of failing and succeeding hooked calls) are the same with
# and without it.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

compare() {
    local name=$1 bare_rc=0
    shift
    timeout -k 5 30 "$@" > "$tmp/bare.out" 2> "$tmp/bare.err" || bare_rc=$?
    run_json -- "$@"
    [[ $RC -eq $bare_rc ]] || fail "$name: exit code $RC under connleak, $bare_rc without"
    diff -u "$tmp/bare.out" "$tmp/stdout" > "$tmp/diff" ||
        fail "$name: stdout differs under connleak:$(echo; head -n 40 "$tmp/diff")"
}

compare clean_client "$SAMPLES/clean_client" 5
compare mt_churn "$SAMPLES/mt_churn" 50
compare errno_probe "$SAMPLES/errno_probe"
if grep -q clobbered "$tmp/stdout"; then fail "errno_probe: errno clobbered even without connleak"; fi
pass
