#!/usr/bin/env bash
# curl_leaky: libcurl misused two ways.
#  nocleanup: three easy handles never cleaned up -> client-handle-leak
#    (handle "curl", count 3, URL without its query string, 3 sockets still
#    open) at the curl_easy_init line; their cached connections are
#    orphaned-socket findings at the program's curl_easy_perform line (the
#    top user frame, not libcurl): the TCP connections (count 3, with their
#    HTTP context) and the wake-up socketpair of the multi handle that each
#    easy handle keeps (2 per handle; libcurl 7.88 of Debian 12).
#  perrequest: twelve handles, one request each, each cleaned up ->
#    no-connection-reuse (12 connections, 11 saved) at curl_easy_perform.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

run_json -- "$SAMPLES/curl_leaky" nocleanup "$port" 3
expect_rc 0
expect_stdout "curl_leaky nocleanup: 3 transfers, 192 body bytes, 3 handles not cleaned up"
expect_json '.status' '"leaks"'
expect_kinds client-handle-leak=3 orphaned-socket=9
f=$(expect_site client-handle-leak curl_leaky.c nocleanup-init-site leak_nocleanup 3)
expect_field "$f" '[.handle, .urls, .open_sockets]' "[\"curl\",[\"http://$host/x\"],3]"
expect_no_secret s3cret key=

# The orphaned sockets: two findings (TCP, socketpair), both at the
# program's curl_easy_perform line.
line=$(marker_line "$SRC/samples/curl_leaky.c" nocleanup-perform-site)
orphans=$(jq -c --argjson l "$line" '[.findings[] | select(.kind == "orphaned-socket")
    | {role, count, fn: .top_frame.function, line: .top_frame.line,
       file: (.top_frame.file // "" | split("/") | last), peers: [.peers[]?.peer],
       http: (.http // {} | {request, requests})}] | sort_by(.role)' "$REPORT")
expected=$(jq -nc --argjson l "$line" --arg h "$host" '[
    {role: "client", count: 3, fn: "leak_nocleanup", line: $l, file: "curl_leaky.c",
     peers: [$h], http: {request: "GET /x", requests: 1}},
    {role: "pair", count: 6, fn: "leak_nocleanup", line: $l, file: "curl_leaky.c",
     peers: [], http: {request: null, requests: null}}]')
[[ "$orphans" == "$expected" ]] || fail "orphaned sockets: $orphans, expected $expected"
expect_json '.summary.findings' 3

run_json -- "$SAMPLES/curl_leaky" perrequest "$port" 12
expect_rc 0
expect_stdout "curl_leaky perrequest: 12 transfers, 768 body bytes, 12 handles cleaned up"
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_kinds no-connection-reuse=12
f=$(expect_site no-connection-reuse curl_leaky.c perrequest-site leak_perrequest 12)
expect_field "$f" '[.peer, .host]' "[\"$host\",\"$host\"]"
expect_field "$f" '[.connections, .requests, .saved, .max_concurrent]' '[12,12,11,1]'
pass
