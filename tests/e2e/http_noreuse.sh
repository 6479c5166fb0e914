#!/usr/bin/env bash
# http_noreuse: twelve keep-alive connections to one server, one request
# each, closed by the program: one no-connection-reuse finding (12
# connections, 12 requests, 11 saved by keep-alive) at the socket() line of
# leak_noreuse. Nine such connections stay under the default threshold (10)
# and are clean.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

run_json -- "$SAMPLES/http_leaky" noreuse "$port" 12
expect_rc 0
expect_stdout "http_leaky noreuse: 12 keep-alive connections, 1 request each, 768 body bytes read, 12 closed"
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_kinds no-connection-reuse=12
f=$(expect_site no-connection-reuse http_leaky.c noreuse-site leak_noreuse 12)
expect_field "$f" '[.peer, .host]' "[\"$host\",\"$host\"]"
expect_field "$f" '[.connections, .requests, .saved, .max_concurrent]' '[12,12,11,1]'
expect_field "$f" '.sites | length' 1
expect_json '[.processes[0] | .opened, .closed, .live]' '[12,12,0]'

# Below the threshold: 9 connections are not a pattern.
run_json -- "$SAMPLES/http_leaky" noreuse "$port" 9
expect_rc 0
expect_clean
pass
