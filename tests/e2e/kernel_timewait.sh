#!/usr/bin/env bash
# kernel_timewait: timewait_churn makes 300 one-request connections and
# closes each first: a time-wait-storm towards its server, at the connect
# site, with the close rate and the advice; --tw-min above the peak gives
# none. (--hold 6: on a busy host a walk comes every 5 s, and the first may
# come before a slowed-down client made all its connections.)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=200
export CONNLEAK_TW_MIN=100 # the default (tests/e2e/lib.sh raises it for the others)

run_json -- "$SAMPLES/timewait_churn" --count 300 --rate 0 --hold 6
expect_rc 0
port=$(grep -o '127\.0\.0\.1:[0-9]*' "$tmp/stdout" | head -n 1)
[[ -n "$port" ]] || fail "timewait_churn printed no server address"
peak=$(jqr '[.findings[] | select(.kind == "time-wait-storm")][0].count')
[[ "$peak" != null ]] || fail "no time-wait-storm finding"
f=$(expect_site time-wait-storm timewait_churn.c connect-site churn_one "$peak")
jq -e --arg p "$port" '.peer == $p and .severity == "warning"' <<< "$f" > /dev/null ||
    fail "time-wait-storm: peer is not $port: $f"
jq -e '.peak >= 100 and .peak <= 300 and .closes == 300 and .rate_per_s > 0' <<< "$f" \
    > /dev/null || fail "time-wait-storm: peak, closes or rate wrong: $f"
jq -e '.advice | test("keep-alive") and test("SO_REUSEADDR")' <<< "$f" > /dev/null ||
    fail "time-wait-storm: no advice"
expect_json '.summary["orphaned-socket"]' 0

CONNLEAK_TW_MIN=100000 run_json -- "$SAMPLES/timewait_churn" --count 150 --rate 0 --hold 1
expect_json '.summary["time-wait-storm"]' 0
run_json --tw-min 20 --fail-on time-wait-storm -- "$SAMPLES/timewait_churn" --count 150 --rate 0 --hold 1
expect_rc 99
pass
