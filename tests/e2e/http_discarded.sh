#!/usr/bin/env bash
# http_discarded: a raw-socket client reads the headers of three 1 MiB
# responses and closes each socket with the body unread: one discarded-body
# finding of count 3 at the socket() line of leak_discarded; nothing is left
# open, so nothing is orphaned or unclosed.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

run_json -- "$SAMPLES/http_leaky" discarded "$port" 3
expect_rc 0
expect_stdout "http_leaky discarded: 3 responses of 1048576 bytes, headers read, 3 sockets closed"
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_kinds discarded-body=3
expect_json '[.findings[].kind]' '["discarded-body"]'
expect_json '[.processes[0] | .opened, .closed, .live]' '[3,3,0]'
f=$(expect_site discarded-body http_leaky.c discarded-site leak_discarded 3)
expect_field "$f" '.http | {host, request, status, read, expect, tls}' \
    "{\"host\":\"$host\",\"request\":\"GET /big\",\"status\":200,\"read\":0,\"expect\":1048576,\"tls\":false}"
expect_field "$f" '.hosts' "[{\"host\":\"$host\",\"count\":3}]"
expect_field "$f" '[.peers[] | .peer, .count]' "[\"$host\",3]"
expect_field "$f" '.bytes_read' 0

# Reading the whole body before closing is not a discarded body (and two
# connections are far from a no-connection-reuse pattern).
run_json -- "$SAMPLES/http_leaky" noreuse "$port" 2
expect_rc 0
expect_clean
pass
