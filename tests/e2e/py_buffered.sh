#!/usr/bin/env bash
# py_buffered: Python's buffered reads (issue 15). Three requests.get(...,
# stream=True) responses of 64 bytes, never read nor closed and dropped:
# each arrived whole in one recv into http.client's buffer, so the socket
# view says "read", and the garbage collector closed the connections. The
# report has no finding but is not silent: a python-buffered note counts
# the 3 connections and names the peer. The clean twin (one session,
# responses read and closed) carries the 3 requests on one connection: no
# note. The same small responses fetched by a C program get no such note.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
buffered() { jq -r '.notes[]? | select(test("python-buffered"))' "$REPORT"; }

run_json -- "$PYTHON" "$PY_SAMPLES/requests_small.py" "$port" 3 drop
expect_rc 0
expect_stdout "requests_small: 3 requests (drop)"
expect_json '.status' '"clean"'
expect_kinds
note=$(buffered)
[[ $(grep -c . <<< "$note") -eq 1 ]] || fail "expected one python-buffered note, got: '$note'"
grep -q "^python3[.0-9]* (pid [0-9]*): 3 connections (e.g. to 127.0.0.1:$port) closed after one response of at most 8 KiB" <<< "$note" ||
    fail "the python-buffered note does not count the 3 connections: '$note'"

run_json -- "$PYTHON" "$PY_SAMPLES/requests_small.py" "$port" 3 session
expect_rc 0
expect_stdout "requests_small: 3 requests (session)"
expect_json '.status' '"clean"'
[[ -z "$(buffered)" ]] || fail "the clean twin got a python-buffered note: $(buffered)"

# Not Python: no note (the limit is documented for every client, the note
# is for the programs whose buffering is known).
run_json -- "$SAMPLES/http_clean" "$port" 3
[[ -z "$(buffered)" ]] || fail "a C program got a python-buffered note: $(buffered)"
pass
