#!/usr/bin/env bash
# agg_unclosed: with CONNLEAK_DETAIL_SOCKETS=0 the three sockets http_leaky
# unclosed leaves open with a body unread are quiet until the exit, where
# late open records (dated from their real open) come before the live
# batch: one unclosed-body finding of count 3 at the socket() line of
# leak_unclosed, nothing orphaned, and no note (tests/e2e/http_unclosed.sh
# for the detailed trace).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

CONNLEAK_DETAIL_SOCKETS=0 run_json_traced -- \
    "$SAMPLES/http_leaky" unclosed "$port" 3
expect_rc 0
expect_stdout "http_leaky unclosed: 3 responses of 1048576 bytes, headers read, bodies not, 3 sockets open"
[[ $(jq -c 'select(.t == "open" and .late == true and .opened < .ts)' "$trace" | wc -l) -eq 3 ]] ||
    fail "expected 3 late open records"

expect_json '.status' '"leaks"'
expect_json '.notes' '[]'
expect_kinds unclosed-body=3
expect_json '[.findings[].kind]' '["unclosed-body"]'
expect_json '[.processes[0] | .opened, .closed, .live]' '[3,0,3]'
f=$(expect_site unclosed-body http_leaky.c unclosed-site leak_unclosed 3)
expect_field "$f" '.http | {host, request, status, read, expect}' \
    "{\"host\":\"$host\",\"request\":\"GET /big\",\"status\":200,\"read\":0,\"expect\":1048576}"
expect_field "$f" '[.peers[] | .peer, .count]' "[\"$host\",3]"
pass
