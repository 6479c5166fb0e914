#!/usr/bin/env bash
# agg_discarded: with CONNLEAK_DETAIL_SOCKETS=0 the three sockets http_leaky
# discarded closes with a 1 MiB body unread are only counted in an agg
# record, with the last one's request as its example: still one
# discarded-body finding of count 3 at the socket() line of leak_discarded,
# showing GET /big (tests/e2e/http_discarded.sh for the detailed trace).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

CONNLEAK_DETAIL_SOCKETS=0 run_json_traced -- \
    "$SAMPLES/http_leaky" discarded "$port" 3
expect_rc 0
expect_stdout "http_leaky discarded: 3 responses of 1048576 bytes, headers read, 3 sockets closed"
[[ $(jq -c 'select(.t == "close")' "$trace" | wc -l) -eq 0 ]] ||
    fail "CONNLEAK_DETAIL_SOCKETS=0 still wrote close records"
[[ $(jq -s '[.[] | select(.t == "agg") | .discarded] | add' "$trace") -eq 3 ]] ||
    fail "the agg records do not count 3 discarded bodies"

expect_json '.status' '"leaks"'
expect_json '.notes' '[]'
expect_kinds discarded-body=3
expect_json '[.findings[].kind]' '["discarded-body"]'
expect_json '[.processes[0] | .opened, .closed, .live]' '[3,3,0]'
f=$(expect_site discarded-body http_leaky.c discarded-site leak_discarded 3)
expect_field "$f" '.http | {host, request, status, read, expect, tls}' \
    "{\"host\":\"$host\",\"request\":\"GET /big\",\"status\":200,\"read\":0,\"expect\":1048576,\"tls\":false}"
expect_field "$f" '[.peers[] | .peer, .count]' "[\"$host\",3]"
expect_field "$f" '.bytes_read' 0
pass
