#!/usr/bin/env bash
# http_samples_bare: the HTTP samples without connleak. http_server's test
# paths (/big, /chunked, /hang), --close and --idle-ms; every client sample
# does what it says against it; bad usage gets exit 2 and a usage line.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
url="http://127.0.0.1:$port"

# /big: 1 MiB with Content-Length; /chunked: the same bytes, chunked.
curl -s --max-time 10 -D "$tmp/big.h" -o "$tmp/big" "$url/big?x=1" || fail "curl /big failed"
curl -s --max-time 10 -D "$tmp/chunked.h" -o "$tmp/chunked" "$url/chunked" || fail "curl /chunked failed"
[[ $(wc -c < "$tmp/big") -eq 1048576 ]] || fail "/big is not 1 MiB"
grep -qi '^Content-Length: 1048576' "$tmp/big.h" || fail "/big has no Content-Length"
grep -qi '^Transfer-Encoding: chunked' "$tmp/chunked.h" || fail "/chunked is not chunked"
cmp -s "$tmp/big" "$tmp/chunked" || fail "/chunked is not the same body as /big"
# /hang: never answered (curl gives up: exit 28, nothing received).
rc=0
curl -s --max-time 1 -o "$tmp/hang" "$url/hang" || rc=$?
[[ $rc -eq 28 && ! -s "$tmp/hang" ]] || fail "/hang: curl exit $rc, $(wc -c < "$tmp/hang") bytes"
# Keep-alive across the paths; "Connection: close" is honoured.
connects=$(curl -s --max-time 10 -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$url/a" "$url/big" "$url/chunked") || fail "keep-alive curl failed"
[[ "$connects" == "1 0 0 " ]] || fail "keep-alive: num_connects '$connects'"
curl -s --max-time 5 -D - -o /dev/null -H 'Connection: close' "$url/" | grep -qi '^Connection: close' ||
    fail "no Connection: close in the answer to a Connection: close request"

# The clients, bare.
expect_bare() {
    local expected=$1 out
    shift
    out=$(timeout 30 "$@") || fail "$* exited $?"
    [[ "$out" == "$expected" ]] || fail "$*: printed '$out', expected '$expected'"
}
expect_bare "http_leaky unclosed: 2 responses of 1048576 bytes, headers read, bodies not, 2 sockets open" \
    "$SAMPLES/http_leaky" unclosed "$port" 2
expect_bare "http_leaky discarded: 2 responses of 1048576 bytes, headers read, 2 sockets closed" \
    "$SAMPLES/http_leaky" discarded "$port" 2
expect_bare "http_leaky noreuse: 3 keep-alive connections, 1 request each, 192 body bytes read, 3 closed" \
    "$SAMPLES/http_leaky" noreuse "$port" 3
expect_bare "http_leaky orphan: 1 exchanges complete, 1 sockets open" "$SAMPLES/http_leaky" orphan "$port"
expect_bare "http_clean: 5 requests on 1 connection, 3145856 body bytes read, closed" \
    "$SAMPLES/http_clean" "$port" 5
expect_bare "curl_clean: 4 transfers on 1 connection(s), 2097280 body bytes, handle cleaned up" \
    "$SAMPLES/curl_clean" "$port" 4
expect_bare "curl_leaky perrequest: 2 transfers, 128 body bytes, 2 handles cleaned up" \
    "$SAMPLES/curl_leaky" perrequest "$port" 2

# Bad usage: exit 2 and a usage line on stderr.
expect_usage() {
    local rc=0
    "$@" > /dev/null 2> "$tmp/usage" || rc=$?
    [[ $rc -eq 2 ]] || fail "$*: exit $rc, expected 2"
    grep -q '^usage: ' "$tmp/usage" || fail "$*: no usage line: $(head -c 200 "$tmp/usage")"
}
expect_usage "$SAMPLES/http_leaky" bogus "$port"
expect_usage "$SAMPLES/http_leaky" unclosed 0
expect_usage "$SAMPLES/http_leaky" unclosed "$port" 0
expect_usage "$SAMPLES/http_clean"
expect_usage "$SAMPLES/curl_leaky" nocleanup notaport
expect_usage "$SAMPLES/curl_clean" "$port" 5 extra
expect_usage "$SAMPLES/http_server" --idle-ms 0
expect_usage "$SAMPLES/http_server" --body
expect_usage "$PYTHON" "$PY_SAMPLES/urllib_leak.py"
expect_usage "$PYTHON" "$PY_SAMPLES/requests_stream_leak.py" x

# --close: every answer closes its connection.
start_server close_server "$SAMPLES/http_server" --close
connects=$(curl -s --max-time 10 -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "http://127.0.0.1:$port/a" "http://127.0.0.1:$port/b") || fail "curl with --close failed"
[[ "$connects" == "1 1 " ]] || fail "--close: num_connects '$connects', expected '1 1 '"

# --idle-ms: an idle connection, and one waiting on /hang, are closed by the
# server (the reads below end at EOF instead of timing out).
start_server idle_server "$SAMPLES/http_server" --idle-ms 200
exec 5<> "/dev/tcp/127.0.0.1/$port"
exec 6<> "/dev/tcp/127.0.0.1/$port"
printf 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n' >&6
rc=0
timeout 10 cat <&5 > "$tmp/idle5" || rc=$?
[[ $rc -eq 0 && ! -s "$tmp/idle5" ]] || fail "--idle-ms: the idle connection was not closed (rc $rc)"
rc=0
timeout 10 cat <&6 > "$tmp/idle6" || rc=$?
[[ $rc -eq 0 && ! -s "$tmp/idle6" ]] || fail "--idle-ms: the hung request was not closed (rc $rc)"
exec 5<&- 6<&-
pass
