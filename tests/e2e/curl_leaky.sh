#!/usr/bin/env bash
# curl_leaky: libcurl misused two ways.
#  nocleanup: three easy handles never cleaned up -> one client-handle-leak
#    (handle "curl", count 3, URL without its query string, 3 sockets still
#    open) at the curl_easy_init line, an error that holds what the handles
#    keep open: their cached TCP connections (3) and the wake-up socketpair
#    of the multi handle each easy handle keeps (2 per handle; libcurl 7.88
#    of Debian 12) - no orphaned-socket finding of their own; --fail-on
#    leak fails on it. The text report says it in one block.
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
# One root cause, one finding: the sockets the handles hold fold under it.
expect_json '.summary.findings' 1
expect_kinds client-handle-leak=3 orphaned-socket=0
f=$(expect_site client-handle-leak curl_leaky.c nocleanup-init-site leak_nocleanup 3)
expect_field "$f" '[.handle, .urls, .open_sockets, .severity]' \
    "[\"curl\",[\"http://$host/x\"],3,\"error\"]"
expect_field "$f" '.holds' \
    "{\"sockets\":9,\"connections\":3,\"internal\":6,\"peers\":[{\"peer\":\"$host\",\"count\":3}]}"
expect_no_secret s3cret key=
# The folded finding still fails --fail-on leak (its sockets are leaked).
run_json --fail-on leak -- "$SAMPLES/curl_leaky" nocleanup "$port" 3
expect_rc 99
# The text report: one block, the headline at the program's line.
line=$(marker_line "$SRC/samples/curl_leaky.c" nocleanup-init-site)
timeout -k 5 45 "$CONNLEAK" run --color never -o "$tmp/report.txt" -- "$SAMPLES/curl_leaky" nocleanup "$port" 4 \
    > /dev/null || fail "connleak run failed"
grep -q "^connleak: 4 client handles leaked (holding 12 sockets) by curl_leaky" "$tmp/report.txt" ||
    fail "headline: $(head -n 1 "$tmp/report.txt")"
grep -qE "^LEAKED CLIENT HANDLES  4 curl easy handles never released at leak_nocleanup \(.*curl_leaky\.c:$line\), holding 4 connections and 8 internal sockets$" \
    "$tmp/report.txt" || fail "handle block: $(sed -n 3p "$tmp/report.txt")"
! grep -q "ORPHANED SOCKETS" "$tmp/report.txt" || fail "orphans left beside the handle finding"

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
