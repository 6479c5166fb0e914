#!/usr/bin/env bash
# probe_timewait: the TIME_WAIT storm of a client that closes 300
# one-request connections first, seen by the probe backend from the kernel's
# own state changes (FIN_WAIT -> CLOSE: a TIME_WAIT socket takes its place):
# a time-wait-storm at the connect site with the exact count; the clean twin,
# whose server closes first, leaves none on the client's side.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required
export CONNLEAK_TW_MIN=100 # the default (tests/e2e/lib.sh raises it for the others)

run_json --backend probe -- "$SAMPLES/timewait_churn" --count 300 --rate 0 --hold 1
expect_rc 0
expect_json '.backend' '"probe"'
port=$(grep -o '127\.0\.0\.1:[0-9]*' "$tmp/stdout" | head -n 1)
[[ -n "$port" ]] || fail "timewait_churn printed no server address"
f=$(expect_site time-wait-storm timewait_churn.c connect-site churn_one 300)
jq -e --arg p "$port" '.peer == $p and .peak == 300 and .closes == 300' <<< "$f" > /dev/null ||
    fail "time-wait-storm: peer, peak or closes wrong: $f"
expect_json '.summary["orphaned-socket"]' 0

# The clean twin: the server closes first, the client's sockets end in CLOSE.
run_json --backend probe -- "$SAMPLES/timewait_churn" --count 150 --rate 0 --hold 1 --server-closes
expect_rc 0
expect_json '.summary["time-wait-storm"]' 0
pass
