#!/usr/bin/env bash
# messages: what the text report says in the cases that are easy to get
# wrong: a static binary (said once, and --fail-on fails: nothing could be
# observed), a program killed before connleak's first flush (blame the
# signal, not setuid), and a program killed after it (one line saying so).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# A static binary the preload must watch: the one-line message is printed
# once on stderr.
run_connleak run --backend preload -- "$SAMPLES/static_hello"
expect_rc 0
[[ $(grep -c "is statically linked" "$tmp/stderr") -eq 1 ]] ||
    fail "the not-observable line is not printed exactly once"
# ... and a CI gate does not pass silently
run_connleak run --backend preload --fail-on=leak -- "$SAMPLES/static_hello"
expect_rc 99
run_connleak run --backend preload --fail-on=any --error-exitcode=7 --format json -o "$REPORT" -- "$SAMPLES/static_hello"
expect_rc 7
expect_json '.status' '"not-observable"'

# Killed before any trace was written.
run_connleak run --backend preload -- sh -c 'kill -TERM $$'
expect_rc 143
grep -q "no trace: sh was killed by signal 15 (SIGTERM) before connleak's first flush" \
    "$tmp/stderr" || fail "no-trace after a signal does not blame the signal"
! grep -q setuid "$tmp/stderr" || fail "no-trace after a signal suggests setuid"

# Killed after its trace was flushed: one line says so, with the flush interval.
run_connleak run --flush-ms 100 -- "$SAMPLES/killed"
expect_rc 137
grep -Eq "^connleak: killed \(pid [0-9]+\) was killed by signal 9 \(SIGKILL\): the report is as of its last flush \(100 ms\)$" \
    "$tmp/stderr" || fail "the text report does not say the program was killed"
pass
