#!/usr/bin/env bash
# privdrop: a forked worker that drops root before its first socket (issue
# 13, point 1). Through libc the worker opens its trace first
# (preload/hooks_creds.c) and its leak is reported. Through a raw system
# call connleak cannot see the drop: the worker cannot create its trace,
# tells `connleak run` over its notify socket (CONNLEAK_NOTIFY), and the
# report names it as untraced and fails --fail-on; nothing of connleak's
# reaches the program's stderr either way. Needs root: skipped otherwise.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP [$TEST_NAME]: dropping privileges needs root"
    exit 77
fi
chmod 755 "$tmp"

run_json --backend preload --fail-on leak -- "$SAMPLES/privdrop" libc
expect_rc 99
grep -qx "privdrop: done" "$tmp/stdout" || fail "the program's stdout did not come through"
expect_site orphaned-socket privdrop.c leak-site main 1 > /dev/null
expect_json '[.processes[] | select(.forked)] | length' 1

run_json --backend preload --fail-on leak -- "$SAMPLES/privdrop" raw
expect_rc 99
! grep -q "connleak" "$tmp/stderr" || fail "connleak wrote on the program's stderr: $(grep connleak "$tmp/stderr")"
jq -e '[.notes[] | select(test("^pid [0-9]+ was not traced: it cannot create its trace file"))] | length == 1' \
    "$REPORT" > /dev/null || fail "the report does not name the untraced worker: $(jqr .notes)"
expect_json '.findings' '[]'
pass
