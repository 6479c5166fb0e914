#!/usr/bin/env bash
# watch_go: `connleak watch -- go_leaky_http` diagnoses, from outside, a Go
# HTTP client that never closes its response bodies, against python3's
# http.server (HTTP/1.0: it closes every connection after its response):
# every connection is left in CLOSE_WAIT and the fd count grows. The JSON
# report has close-wait-pile towards the server with one socket per request
# and fd-growth with a positive slope, and --fail-on turns them into exit
# 99; the text report says the same in words, with a sparkline. `connleak
# run` on the same binary says it cannot see it and points to watch.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

prog="$SAMPLES/go_leaky_http"
[[ -x "$prog" ]] || fail "$prog is not built"

mkdir "$tmp/www"
echo "hello from the watch test" > "$tmp/www/index.html"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tmp/www" > "$tmp/server.out" 2>&1 &
server=$!
on_exit "kill $server 2> /dev/null"
for ((i = 0; i < 100; i++)); do
    grep -q "port [0-9]" "$tmp/server.out" && break
    sleep 0.1
done
port=$(grep -o 'port [0-9]*' "$tmp/server.out" | head -n1 | cut -d' ' -f2)
[[ "$port" =~ ^[0-9]+$ ]] || fail "http.server did not start: $(head -c 300 "$tmp/server.out")"
url="http://127.0.0.1:$port/"

# 30 requests, one every 100 ms, then alive until 5 s: sampled every 200 ms.
rm -f "$REPORT"
run_connleak watch --interval 200 --format json -o "$REPORT" --fail-on close-wait-pile,fd-growth \
    -- "$prog" -url "$url" -n 30 -every 100ms -duration 5s
expect_rc 99
grep -q "go_leaky_http: 30 requests, 30 with status 200" "$tmp/stdout" ||
    fail "the Go client did not make its requests: $(head -c 300 "$tmp/stdout")"
jq -e 'type == "object"' "$REPORT" > /dev/null || fail "the watch report is not a JSON object"
expect_json '.status' '"findings"'
expect_json '.ended' '"exited"'
expect_json '.program.exit_code' '0'
expect_json '.comm' '"go_leaky_http"'
samples=$(jqr '.samples')
((samples >= 15)) || fail "only $samples samples in 5 s at 200 ms"

cw=$(jqr '[.findings[] | select(.kind == "close-wait-pile")]')
[[ $(jq length <<< "$cw") -eq 1 ]] || fail "expected one close-wait-pile finding: $cw"
[[ $(jq -r '.[0].peer' <<< "$cw") == "127.0.0.1:$port" ]] || fail "close-wait-pile peer: $cw"
[[ $(jq -r '.[0].direction' <<< "$cw") == out ]] || fail "close-wait-pile direction: $cw"
count=$(jq '.[0].count' <<< "$cw")
((count >= 28 && count <= 30)) || fail "close-wait-pile count $count, expected about 30 (requests)"
jq -e '.[0].oldest_s >= 1.5 and .[0].severity == "error"' <<< "$cw" > /dev/null ||
    fail "the oldest CLOSE_WAIT socket waited less than 1.5 s: $cw"

fd=$(jqr '[.findings[] | select(.kind == "fd-growth")]')
[[ $(jq length <<< "$fd") -eq 1 ]] || fail "expected one fd-growth finding: $fd"
jq -e '.[0] | .slope_per_min > 0 and .fit.p < 0.01 and .last - .first >= 25
       and .rlimit_nofile > 0 and .seconds_to_limit > 0' <<< "$fd" > /dev/null ||
    fail "fd-growth without a positive significant slope: $fd"
# the series behind it: as many points as samples, rising from first to last
expect_json '.series.fds | length' "$samples"
expect_json '(.series.fds | last) - (.series.fds | first) >= 25' 'true'
expect_json '[.peers[] | select(.peer == "127.0.0.1:'"$port"'") | .states.CLOSE_WAIT][0] >= 28' 'true'

# The text report: the same findings in words, the fd sparkline.
run_connleak watch --interval 200 -- "$prog" -url "$url" -n 10 -every 100ms -duration 2500ms
expect_rc 0
grep -q "^CLOSE_WAIT PILE  10 sockets the peer closed, still open at the last sample, to 127.0.0.1:$port (peak 10)" \
    "$tmp/stdout" ||
    fail "no CLOSE_WAIT PILE line for 10 sockets: $(tail -n 15 "$tmp/stdout")"
grep -q "^FD GROWTH  open fds [0-9]* -> [0-9]* over .*: +[0-9.]* per minute" "$tmp/stdout" ||
    fail "no FD GROWTH line: $(tail -n 15 "$tmp/stdout")"
grep -q "▁.*█" "$tmp/stdout" || fail "no sparkline in the text report"
grep -q "^connleak watch: pid [0-9]* (go_leaky_http), .* ended: it exited with status 0" \
    "$tmp/stdout" || fail "no header line saying the program exited"

# connleak run with the preload cannot see it, and says where to look instead.
run_connleak run --backend preload -- "$prog" -url "$url" -n 1 -duration 0s
expect_rc 0
grep -q "is a Go binary.*connleak watch -- $prog" "$tmp/stderr" ||
    fail "connleak run does not point to connleak watch: $(head -c 500 "$tmp/stderr")"
pass
