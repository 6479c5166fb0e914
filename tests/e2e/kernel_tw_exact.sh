#!/usr/bin/env bash
# kernel_tw_exact: TIME_WAIT sockets are the program's only when their
# 4-tuple is one of its connections. Another process (not traced) leaves
# 300 TIME_WAIT sockets towards a server; a traced client then talks to the
# same server but lets the server close first: none of the TIME_WAIT
# sockets are its own, so no time-wait-storm (CONNLEAK_TW_EXACT=0, which
# shares a peer's TIME_WAIT sockets out among the program's closes to it,
# blames it: the check that the 4-tuple match is what decides). A traced
# client that closes first among those 300 is credited with its own only.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=200
export CONNLEAK_TW_MIN=100

"$SAMPLES/timewait_churn" --serve 120 > "$tmp/serve.out" &
server=$!
on_exit "kill $server"
wait_for_file "$tmp/serve.out"
port=$(grep -o 'serving on 127\.0\.0\.1:[0-9]*' "$tmp/serve.out" | grep -o '[0-9]*$')
[[ -n "$port" ]] || fail "the server printed no port: $(cat "$tmp/serve.out")"

"$SAMPLES/timewait_churn" --peer "$port" --count 300 --rate 0 > /dev/null ||
    fail "the untraced churn failed"

run_json -- "$SAMPLES/timewait_churn" --peer "$port" --server-closes --count 200 --rate 0 --hold 1
expect_rc 0
expect_json '.summary["time-wait-storm"]' 0

# (--hold 6: a walk that costs ms on a busy host comes every 5 s; the first
# one may come before a slowed-down client has made all its connections)
CONNLEAK_TW_EXACT=0 run_json -- "$SAMPLES/timewait_churn" --peer "$port" --server-closes \
    --count 200 --rate 0 --hold 6
expect_json '[.findings[] | select(.kind == "time-wait-storm")] | length' 1

run_json -- "$SAMPLES/timewait_churn" --peer "$port" --count 150 --rate 0 --hold 6
peak=$(jqr '[.findings[] | select(.kind == "time-wait-storm")][0].count')
[[ "$peak" != null ]] || fail "no time-wait-storm finding for the client that closes first"
f=$(expect_site time-wait-storm timewait_churn.c connect-site churn_one "$peak")
jq -e --arg p "127.0.0.1:$port" '.peer == $p and .peak >= 100 and .peak <= 150' <<< "$f" \
    > /dev/null || fail "time-wait-storm: want peer 127.0.0.1:$port, peak 100..150: $f"
pass
