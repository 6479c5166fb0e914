#!/usr/bin/env bash
# py_finalize: a requests script that keeps 4 streamed responses in a global
# list and returns normally. The interpreter's shutdown closes the sockets
# (the preload marks those closes "fin"), but the program never did: the
# report says unclosed-body at the requests.get line, not discarded-body.
# The twin reads and closes every response in an atexit handler (which runs
# before finalization): closed by the program, clean.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server

run_json_traced -- "$PYTHON" "$PY_SAMPLES/requests_held_at_exit.py" "$port" 4
expect_rc 0
expect_stdout "requests_held_at_exit: 4 responses held"
# the trace says the interpreter closed them...
[[ $(grep -c '"t":"close".*"fin":true' "$trace") -eq 4 ]] ||
    fail "expected 4 closes marked fin in the trace, found $(grep -c '"fin":true' "$trace")"
# ...and the report counts them as never closed by the program
expect_json '.status' '"leaks"'
expect_kinds unclosed-body=4
expect_site unclosed-body py/requests_held_at_exit.py leak-site keep_responses 4 > /dev/null

run_json_traced -- "$PYTHON" "$PY_SAMPLES/requests_held_at_exit.py" "$port" 4 --close-at-exit
expect_rc 0
expect_stdout "requests_held_at_exit: 4 responses held
requests_held_at_exit: 4194304 body bytes read and closed at exit"
! grep -q '"fin":true' "$trace" || fail "a close made by an atexit handler is marked fin"
expect_clean
pass
