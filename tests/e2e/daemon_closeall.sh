#!/usr/bin/env bash
# daemon_closeall: a close(3..1023) sweep (which also hits connleak's trace
# fd) is not a foreign close, the sockets it closed are closed, the trace
# survives to its end record, and the one later leak is the only finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json -- "$SAMPLES/daemon_closeall"
expect_rc 0
grep -qx "daemon_closeall: swept fds 3..1023, 1 socket leaked" "$tmp/stdout" ||
    fail "the program's stdout did not come through: $(head -c 300 "$tmp/stdout")"
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_json '.findings | length' 1
expect_json '.summary["foreign-close"]' 0
expect_json '.summary["orphaned-socket"]' 1
expect_site orphaned-socket daemon_closeall.c leak-site leak_socket 1 > /dev/null
expect_json '.processes | length' 1
expect_json '.processes[0].complete' true
expect_json '[.processes[0] | .opened, .closed, .live]' '[4,3,1]'
pass
