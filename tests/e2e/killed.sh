#!/usr/bin/env bash
# killed: a program killed by SIGKILL makes connleak exit 137, and its
# periodically flushed trace (no end record) still shows the 3 leaks.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json -- "$SAMPLES/killed"
expect_rc 137
expect_json '.program.signal' 9
expect_json '.status' '"leaks"'
expect_json '.processes | length' 1
expect_json '.processes[0].complete' false
expect_json '.notes | length > 0' true
expect_json '.summary["orphaned-socket"]' 3
expect_site orphaned-socket killed.c leak-site leak_socket 3 > /dev/null
pass
