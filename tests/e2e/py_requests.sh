#!/usr/bin/env bash
# py_requests: Python requests with stream=True. Three responses of 1 MiB
# whose bodies are never read nor closed, the program still holding them at
# its end: unclosed-body, count 3, GET /big (query string redacted), read
# less than expected, at the requests.get line of the script (Python frames
# read in-process), with no CPython C frame left in the stack. The twin,
# with with-blocks and bodies read on one session: clean.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

run_json -- "$PYTHON" "$PY_SAMPLES/requests_stream_leak.py" "$port" 3
expect_rc 0
expect_stdout "requests_stream_leak: 3 responses, status [200], length 1048576, bodies left unread and open"
expect_json '.status' '"leaks"'
expect_kinds unclosed-body=3
# One call site (the same Python code, so the same C stack), three sockets.
expect_json '.summary.findings' 1
expect_json '.findings[0] | [.kind, .count]' '["unclosed-body",3]'
expect_json '.findings[0].http | {host, request, status, expect, tls}' \
    "{\"host\":\"$host\",\"request\":\"GET /big\",\"status\":200,\"expect\":1048576,\"tls\":false}"
# requests read a buffer's worth of the body with the headers, not all of it.
expect_json '.findings[0].http.read < 1048576' true
expect_json '.findings[0].bytes_read < 3 * 1048576' true
expect_json '.findings[0].hosts' "[{\"host\":\"$host\",\"count\":3}]"
expect_no_secret session=abc
# The finding names the script's line, and its stack holds Python frames
# where the interpreter's C frames were.
site=$(expect_site unclosed-body py/requests_stream_leak.py leak-site fetch_headers_only 3)
expect_field "$site" '[.stack[] | select(.file != null and (.file | endswith(".py")))] | length > 5' true
expect_field "$site" '[.stack[].function // "" | select(startswith("_PyEval"))]' '[]'
expect_field "$site" '[.stack[] | select(.function == "get" and (.file | endswith("requests/api.py")))] | length' 1

run_json -- "$PYTHON" "$PY_SAMPLES/requests_stream_clean.py" "$port" 3
expect_rc 0
expect_stdout "requests_stream_clean: 3 responses, 3145728 body bytes read, all closed"
expect_clean
pass
