#!/usr/bin/env bash
# http_orphan_context: sockets left open after complete exchanges are
# orphaned-socket findings that carry their HTTP context (host, last request
# line, requests, phase, status): http_leaky orphan (keep-alive, body read)
# and leaky_client (Connection: close, read to EOF). A socket that carried no
# HTTP has no http object.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

run_json -- "$SAMPLES/http_leaky" orphan "$port" 2
expect_rc 0
expect_stdout "http_leaky orphan: 2 exchanges complete, 2 sockets open"
expect_json '.summary.findings' 1
expect_kinds orphaned-socket=2
f=$(expect_site orphaned-socket http_leaky.c orphan-site leak_orphan 2)
expect_field "$f" '.http | {host, request, requests, phase, status}' \
    "{\"host\":\"$host\",\"request\":\"GET /orphan\",\"requests\":1,\"phase\":\"idle\",\"status\":200}"

run_json -- "$SAMPLES/leaky_client" 3 "$port"
expect_rc 0
expect_kinds orphaned-socket=3
f=$(expect_site orphaned-socket leaky_client.c leak-site open_connection 3)
expect_field "$f" '.http | [.request, .requests, .phase, .status]' '["GET /",1,"idle",200]'

# two_sites' sockets never carry HTTP: no http object on its findings.
run_json -- "$SAMPLES/two_sites"
expect_json '[.findings[] | select(.kind == "orphaned-socket") | has("http")] | any' false
expect_json '[.findings[] | select(.kind == "orphaned-socket")] | length > 0' true
pass
