#!/usr/bin/env bash
# py_urllib: urllib.request.urlopen() of a 1 MiB body, left open and unread
# until the program ends: unclosed-body, count 1, GET /big (query string
# redacted), status 200, read less than expected, at the urlopen line of the
# script. The twin (the body read in a with-block): clean.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

run_json -- "$PYTHON" "$PY_SAMPLES/urllib_leak.py" "$port"
expect_rc 0
expect_stdout "urllib_leak: status 200, length 1048576, response left open"
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_kinds unclosed-body=1
expect_json '.findings[0] | [.kind, .count]' '["unclosed-body",1]'
expect_json '.findings[0].http | {host, request, status, expect, tls}' \
    "{\"host\":\"$host\",\"request\":\"GET /big\",\"status\":200,\"expect\":1048576,\"tls\":false}"
expect_json '.findings[0].http.read < 1048576' true
expect_json '.findings[0].hosts' "[{\"host\":\"$host\",\"count\":1}]"
expect_no_secret q=1
site=$(expect_site unclosed-body py/urllib_leak.py leak-site main 1)
expect_field "$site" '[.stack[] | select(.function == "urlopen")] | length' 1
expect_field "$site" '[.stack[].function // "" | select(startswith("_PyEval"))]' '[]'

run_json -- "$PYTHON" "$PY_SAMPLES/urllib_leak.py" "$port" --clean
expect_rc 0
expect_stdout "urllib_leak: status 200, 1048576 body bytes read and closed"
expect_clean
pass
