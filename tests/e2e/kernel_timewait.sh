#!/usr/bin/env bash
# kernel_timewait: timewait_churn makes 300 one-request connections and
# closes each first: a time-wait-storm towards its server, at the connect
# site, with the close rate and the advice; --tw-min above the peak gives
# none. 150 closes are each matched to their TIME_WAIT socket (an exact
# peak); 1500 as fast as it can are sampled past 256 a second: the peak is
# marked estimated (JSON, SARIF, HTML, and "about" in the text) and capped
# at the closes. (--hold 6: on a busy host a walk comes every 5 s, and the first may
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
# 150 closes: each one matched to its TIME_WAIT socket, the peak exact
expect_json '[.findings[] | select(.kind == "time-wait-storm")][0].estimated' false

# 1500 closes as fast as it can: past 256 in a second, one close in 16 is
# matched (one getsockname) and stands for the others: the peak is an
# estimate, said so, and never more than the closes
run_json -- "$SAMPLES/timewait_churn" --count 1500 --rate 0 --hold 6
f=$(jqr '[.findings[] | select(.kind == "time-wait-storm")][0]')
jq -e '.estimated and .closes == 1500 and .peak >= 1000 and .peak <= 1500' <<< "$f" > /dev/null ||
    fail "sampled time-wait-storm: want estimated, 1000 <= peak <= closes 1500: $f"
CONNLEAK_TW_MIN=100 run_connleak run --color never -o "$tmp/text" --sarif "$tmp/tw.sarif" \
    --keep-traces --trace-dir "$tmp/twtr" -- "$SAMPLES/timewait_churn" --count 1500 --rate 0 --hold 6
grep -q 'peak of about [0-9]* connections' "$tmp/text" && grep -q 'the peak is estimated' "$tmp/text" &&
    grep -q '^connleak: .*about [0-9]* connections in TIME_WAIT at peak' "$tmp/text" ||
    fail "the text report does not say the peak is estimated: $(grep -A4 'TIME_WAIT' "$tmp/text")"
# the SARIF result and the HTML report say so too
jq -e '[.runs[0].results[] | select(.ruleId == "time-wait-storm")][0]
       | (.message.text | test("count about [0-9]+")) and .properties.estimated' \
    "$tmp/tw.sarif" > /dev/null || fail "the SARIF result does not mark the peak estimated"
CONNLEAK_TW_MIN=100 "$CONNLEAK" report --format html -o "$tmp/tw.html" "$tmp/twtr" || true
grep -q 'class="count">count about [0-9]' "$tmp/tw.html" ||
    fail "the HTML report does not mark the peak estimated"
pass
