#!/usr/bin/env bash
# exit_codes: connleak run exits with the program's code, 128+N when it was
# killed by signal N, and with --fail-on the error exit code (99 or
# --error-exitcode) only when findings of the chosen kinds exist and the
# program itself exited 0.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json -- /bin/sh -c 'exit 3'
expect_rc 3
expect_json '.program.exit_code' 3
expect_json '.status' '"clean"'

run_json -- /bin/sh -c 'kill -TERM $$'
expect_rc 143
expect_json '.program.signal' 15

run_connleak run --fail-on=leak -- "$SAMPLES/leaky_client" 3
expect_rc 99
run_connleak run --fail-on leak -- "$SAMPLES/clean_client" 3
expect_rc 0
run_connleak run --fail-on=leak --error-exitcode 7 -- "$SAMPLES/leaky_client" 3
expect_rc 7
run_connleak run --fail-on=double-close -- "$SAMPLES/fd_games"
expect_rc 99
run_connleak run --fail-on=double-close -- "$SAMPLES/leaky_client" 3
expect_rc 0
run_connleak run --fail-on=orphaned-socket -- "$SAMPLES/leaky_client" 3
expect_rc 99

# The program failed (its one connection is refused, and leaked): its own
# exit code wins over --fail-on.
if (exec 3<> /dev/tcp/127.0.0.1/1) 2> /dev/null; then fail "something listens on 127.0.0.1:1"; fi
run_json --fail-on=leak -- "$SAMPLES/leaky_client" 1 1
expect_rc 1
expect_json '.program.exit_code' 1
expect_json '.summary["orphaned-socket"]' 1
pass
