#!/usr/bin/env bash
# raw_close: closes made without libc's close() (issue 13 point 2), as
# libuv (node) makes them: syscall(SYS_close), syscall(SYS_close_range) and
# syscall(SYS_dup2) are seen when they happen, with their time, not found
# missing at exit ("unseen") nor when the number is reused ("implicit").
# The clean run is clean; the leaky twin's one unclosed client is an
# orphaned-socket at its line.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

n=6
run_json_traced --backend preload -- "$SAMPLES/raw_close" $n
expect_rc 0
grep -qx "raw_close: $n connections closed through syscall(), 0 failures" "$tmp/stdout" ||
    fail "raw_close: $(cat "$tmp/stdout")"
expect_json '.status' '"clean"'
expect_json '.processes[0].complete' true
# close records by how: the n clients and the listener's copy by
# syscall(SYS_close), the n accepted ends by close_range, a client's copy
# by the syscall(SYS_dup2) onto its number
count_how() { grep -c "\"t\":\"close\".*\"how\":\"$1\"" "$trace" || true; }
[[ $(count_how syscall) -eq $((n + 1)) ]] || fail "$(count_how syscall) closes by syscall(SYS_close), expected $((n + 1))"
[[ $(count_how close_range) -eq $n ]] || fail "$(count_how close_range) closes by close_range, expected $n"
[[ $(count_how dup2) -eq 1 ]] || fail "$(count_how dup2) closes by syscall(SYS_dup2), expected 1"
[[ $(count_how unseen) -eq 0 ]] || fail "$(count_how unseen) sockets found closed unseen at exit"
[[ $(count_how implicit) -eq 0 ]] || fail "$(count_how implicit) sockets closed implicitly"
grep -q '"t":"live"' "$trace" && fail "live sockets at exit: $(grep '"t":"live"' "$trace" | head -3)"

run_json_traced --backend preload -- "$SAMPLES/raw_close" --leak $n
expect_rc 0
expect_json '.summary["orphaned-socket"]' 1
expect_site orphaned-socket raw_close.c leak-site leak_client 1 > /dev/null
[[ $(count_how syscall) -eq $n ]] || fail "leaky: $(count_how syscall) closes by syscall(SYS_close)"
pass
