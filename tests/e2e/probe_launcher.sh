#!/usr/bin/env bash
# probe_launcher: `connleak run -- sh -c 'goprog ...'`, the way a service is
# often started. Under the preload the shell is traced and the Go program it
# starts is not seen at all ("no leaks"); left to choose, connleak runs a
# launcher under the probe, which follows the exec into the Go program:
# every leaked connection is found, named after go_client. A Go program that
# makes its requests before its net/http functions are probed (its DWARF is
# read after the exec, some 50 ms) still has each socket reported, with a
# note saying why the requests are not tied to a line; one that waits a
# little gets them at its line. The clean twin gives no finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required

start_http_server
url="http://127.0.0.1:$port/"
prog="$SAMPLES/go_client"

run_json --fail-on leak -- sh -c "$prog -url $url -mode leak-body -n 3; true"
expect_rc 99
expect_json '.backend' '"probe"'
grep -q "go_client: leak-body: 3 requests, 3 with status 200" "$tmp/stdout" ||
    fail "the client's output changed: $(head -c 300 "$tmp/stdout")"
expect_json '[.findings[] | select(.kind == "unclosed-body" or .kind == "orphaned-socket")
              | .count] | add' 3
if [[ $(jqr '[.findings[] | select(.kind == "orphaned-socket")] | length') -gt 0 ]]; then
    jq -e '[.notes[] | select(test("before net/http was probed"))] | length == 1' "$REPORT" \
        > /dev/null || fail "Go sockets without their requests, and no note says why"
fi
run_connleak run --color never -- sh -c "$prog -url $url -mode leak-body -n 3; true"
grep -q "by go_client (pid [0-9]*)" "$tmp/stderr" ||
    fail "the headline does not name go_client: $(grep '^connleak:' "$tmp/stderr" | head -3)"

# Probed by the time it sends its requests: each one at the user's line.
run_json -- sh -c "exec $prog -url $url -mode leak-body -n 3 -delay 500ms"
expect_rc 0
expect_json '.backend' '"probe"'
expect_site unclosed-body go/client.go leak-body-site main.leakBody 3 > /dev/null

run_json --fail-on leak -- sh -c "$prog -url $url -mode clean -n 3"
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings | length' 0
pass
