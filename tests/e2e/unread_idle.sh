#!/usr/bin/env bash
# unread_idle: a client sends a request, never reads the answer and keeps
# the connection: the sampler sees the idle socket's receive queue holding
# the response (FIONREAD), and the orphaned-socket finding says how many
# bytes were never read. The same client that reads its answer holds an
# idle keep-alive connection at exit, which is no leak.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=200

"$SAMPLES/http_server" --body 500 > "$tmp/port" &
server=$!
on_exit "kill $server 2> /dev/null"
wait_for_file "$tmp/port"
port=$(head -n1 "$tmp/port")

client() { # $1: bytes to read of the answer
    cat > "$tmp/client.py" << PY
import os, socket, time
s = socket.create_connection(("127.0.0.1", $port))
s.sendall(b"GET /u HTTP/1.1\r\nHost: x\r\n\r\n")
got = s.recv($1) if $1 else b""
time.sleep(1.5)
os._exit(0)  # as a service that never closes it (CPython's exit would)
PY
    run_json --backend preload -- python3 "$tmp/client.py"
    expect_rc 0
}

client 0
f=$(jqr '[.findings[] | select(.kind == "orphaned-socket")]')
[[ $(jq length <<< "$f") -eq 1 ]] || fail "expected one orphaned-socket finding: $f"
unread=$(jq '.[0].unread_bytes' <<< "$f")
[[ $unread -gt 500 ]] || fail "unread_bytes is $unread, the answer (> 500 bytes) was never read"
jq -e '.[0].http.request == "GET /u"' <<< "$f" > /dev/null || fail "no HTTP context: $f"

# Read to its end and kept, it is the client's one idle keep-alive
# connection at exit: no finding (rules_exit.c).
client 65536
expect_json '.status' '"clean"'
expect_json '[.findings[] | select(.kind == "orphaned-socket")] | length' 0
pass
