#!/usr/bin/env bash
# http_stuck: two requests to /hang (the server never answers), the client
# waits 1.5 s and exits with the sockets open. With CONNLEAK_STUCK_MS=500:
# one stuck-request finding of count 2 at the socket() line of leak_stuck,
# not also orphaned. With the default threshold (10 s) they are not stuck,
# only sockets left open: orphaned-socket with their HTTP context.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"
out="http_leaky stuck: 2 request(s) without an answer after 1500 ms, 2 socket(s) open"

CONNLEAK_STUCK_MS=500 run_json -- "$SAMPLES/http_leaky" stuck "$port" 2
expect_rc 0
expect_stdout "$out"
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_kinds stuck-request=2
f=$(expect_site stuck-request http_leaky.c stuck-site leak_stuck 2)
expect_field "$f" '.http | [.host, .request]' "[\"$host\",\"GET /hang\"]"
expect_field "$f" '.hosts' "[{\"host\":\"$host\",\"count\":2}]"
expect_field "$f" '[.peers[] | .peer, .count]' "[\"$host\",2]"
# The program waited 1500 ms for an answer: connleak saw at least the 500.
expect_field "$f" '[.waited_ms | if type == "object" then .min else . end | . >= 500]' '[true]'

run_json -- "$SAMPLES/http_leaky" stuck "$port" 2
expect_rc 0
expect_stdout "$out"
expect_kinds orphaned-socket=2
f=$(expect_site orphaned-socket http_leaky.c stuck-site leak_stuck 2)
expect_field "$f" '.http | [.host, .request, .requests]' "[\"$host\",\"GET /hang\",1]"
pass
