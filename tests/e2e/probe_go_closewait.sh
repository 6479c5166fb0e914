#!/usr/bin/env bash
# probe_go_closewait: a Go server that keeps the connections its clients
# hung up: every one sits in CLOSE_WAIT, seen as the kernel's own state
# change (no polling). One close-wait-pile finding at the user's Accept line
# (main.main.func1) with the exact count; the twin that closes at EOF gives
# no finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required
PYTHON=${PYTHON:-/usr/bin/python3}

# serve CLOSE_FLAG: runs go_cw_server under connleak, 4 clients that send a
# line and hang up, and waits for the report.
serve() {
    rm -f "$REPORT" "$tmp/port"
    timeout -k 5 45 "$CONNLEAK" run --format json -o "$REPORT" --fail-on leak -- \
        "$SAMPLES/go_cw_server" -duration 30s -conns 4 "$@" > "$tmp/port" 2> "$tmp/stderr" &
    local pid=$! i
    for ((i = 0; i < 100; i++)); do
        [[ -s "$tmp/port" ]] && break
        sleep 0.1
    done
    local port
    port=$(head -n1 "$tmp/port")
    [[ "$port" =~ ^[0-9]+$ ]] || fail "go_cw_server did not start"
    # the server ends 500 ms after its 4th client (30 s at most): a loaded
    # machine's slow start-ups cannot outlast it
    "$PYTHON" -c "
import socket
for _ in range(4):
    s = socket.create_connection(('127.0.0.1', $port)); s.sendall(b'hi\\n'); s.close()" ||
        fail "the clients could not connect to go_cw_server (port $port)"
    RC=0
    wait "$pid" || RC=$?
}

serve
expect_rc 99
expect_json '.backend' '"probe"'
expect_site close-wait-pile go/cw_server.go accept-site main.main.func1 4 > /dev/null
expect_json '[.findings[] | select(.kind == "orphaned-socket")] | length' 0

serve -close
expect_rc 0
expect_json '.findings | length' 0
pass
