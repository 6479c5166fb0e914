#!/usr/bin/env bash
# http_unclosed: a raw-socket client reads only the headers of four 1 MiB
# responses and keeps the sockets open: one unclosed-body finding of count 4
# at the socket() line of leak_unclosed, with host, request line (query
# string redacted), status, bytes read of bytes expected; those sockets are
# not also orphaned-socket. The text report names the same site.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

run_json -- "$SAMPLES/http_leaky" unclosed "$port" 4
expect_rc 0
expect_stdout "http_leaky unclosed: 4 responses of 1048576 bytes, headers read, bodies not, 4 sockets open"
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_kinds unclosed-body=4
expect_json '[.findings[].kind]' '["unclosed-body"]'
f=$(expect_site unclosed-body http_leaky.c unclosed-site leak_unclosed 4)
expect_field "$f" '.http | {host, request, status, read, expect, tls}' \
    "{\"host\":\"$host\",\"request\":\"GET /big\",\"status\":200,\"read\":0,\"expect\":1048576,\"tls\":false}"
expect_field "$f" '.hosts' "[{\"host\":\"$host\",\"count\":4}]"
expect_field "$f" '[.peers[] | .peer, .count]' "[\"$host\",4]"
expect_field "$f" '.bytes_read' 0
expect_field "$f" '.idle_ms.min >= 0 and .idle_ms.max >= .idle_ms.min' true
expect_field "$f" '.pids' "[$(jq '.processes[0].pid' "$REPORT")]"
expect_no_secret alice s3cret token=

# The same run as text: the finding names the site and the request.
line=$(marker_line "$SRC/samples/http_leaky.c" unclosed-site)
run_connleak run --color never -- "$SAMPLES/http_leaky" unclosed "$port" 2
expect_rc 0
grep -qF "http_leaky.c:$line" "$tmp/stderr" || fail "the text report does not name http_leaky.c:$line"
grep -qF "GET /big" "$tmp/stderr" || fail "the text report does not show GET /big"
! grep -qF s3cret "$tmp/stderr" || fail "the text report shows the query string"
pass
