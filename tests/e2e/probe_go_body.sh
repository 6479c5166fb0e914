#!/usr/bin/env bash
# probe_go_body: a Go client (its own system calls: LD_PRELOAD sees nothing)
# that never reads nor closes resp.Body, run under `connleak run`, which
# picks the probe backend by itself: one unclosed-body finding at the
# user's client.Get line (main.leakBody, through the inlined net/http
# frames), count exact, with the request; bodies read to the end and never
# closed give missing-body-close there (a warning); the clean twin (one
# client, every body read and closed) gives no finding and passes
# --fail-on leak.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required

start_http_server
prog="$SAMPLES/go_client"

run_json --fail-on leak -- "$prog" -url "http://127.0.0.1:$port/" -mode leak-body -n 7
expect_rc 99
grep -q "go_client: leak-body: 7 requests, 7 with status 200" "$tmp/stdout" ||
    fail "the client's output changed: $(head -c 300 "$tmp/stdout")"
expect_json '.backend' '"probe"'
expect_json '.status' '"leaks"'
f=$(expect_site unclosed-body go/client.go leak-body-site main.leakBody 7)
expect_field "$f" '.http | {host, request, status}' \
    "{\"host\":\"127.0.0.1:$port\",\"request\":\"GET /\",\"status\":200}"
expect_json '[.findings[] | select(.kind == "orphaned-socket")] | length' 0

# Every body read to the end and never closed: Go reuses the connection
# (nothing leaks, --fail-on leak passes), but each missing Close is counted
# at the request's line, from the uprobes on resp.Body's Read and Close.
# The bodies are dropped unclosed, so the collector may reuse their
# addresses for later bodies: the count must still be exact.
run_json --fail-on leak -- "$prog" -url "http://127.0.0.1:$port/" -mode read-no-close -n 9
expect_rc 0
grep -q "go_client: read-no-close: 9 requests, 9 with status 200" "$tmp/stdout" ||
    fail "the client's output changed: $(head -c 300 "$tmp/stdout")"
f=$(expect_site missing-body-close go/client.go read-no-close-site main.readNoClose 9)
expect_field "$f" '.http | {host, request}' "{\"host\":\"127.0.0.1:$port\",\"request\":\"GET /\"}"
expect_json '.findings | length' 1
run_json --fail-on missing-body-close -- "$prog" -url "http://127.0.0.1:$port/" -mode read-no-close -n 2
expect_rc 99

# The clean twin: one connection, reused, closed at the end.
run_json --fail-on leak -- "$prog" -url "http://127.0.0.1:$port/" -mode clean -n 7
expect_rc 0
expect_json '.backend' '"probe"'
expect_json '.status' '"clean"'
expect_json '.findings | length' 0

# What LD_PRELOAD cannot see is seen: a Go program and a static one, clean.
for hello in go_hello static_hello; do
    run_json --fail-on leak -- "$SAMPLES/$hello"
    expect_rc 0
    grep -qx "$hello: hello" "$tmp/stdout" || fail "$hello did not run: $(head -c 300 "$tmp/stdout")"
    expect_json '.backend' '"probe"'
    expect_json '.status' '"clean"'
done

# The text report says which backend saw the program, and names the line.
line=$(marker_line "$SRC/samples/go/client.go" leak-body-site)
run_connleak run --color never -- "$prog" -url "http://127.0.0.1:$port/" -mode leak-body -n 3
expect_rc 0
grep -q "probe" <(head -n 3 "$tmp/stderr") || fail "the report's first lines do not name the probe backend"
grep -qF "client.go:$line" "$tmp/stderr" || fail "the text report does not name client.go:$line"
pass
