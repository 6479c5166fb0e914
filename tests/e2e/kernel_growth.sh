#!/usr/bin/env bash
# kernel_growth: leak_growth leaks one connection a second for 12 s while it
# churns ten more a second: an fd-growth finding with a slope of about 60
# per minute (±25%) that names the leak site as the growing call site, plus
# the 12 orphaned sockets at exit. The text report (on stderr for run) draws
# the series.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=200

run_json -- "$SAMPLES/leak_growth" --seconds 12
expect_rc 0
expect_json '[.findings[] | select(.kind == "fd-growth")] | length' 1
g=$(jqr '.findings[] | select(.kind == "fd-growth")')
jq -e '.severity == "error" and .slope_per_min >= 45 and .slope_per_min <= 75' <<< "$g" \
    > /dev/null || fail "fd-growth: slope not 60/min ±25%: $(jq -c '{slope_per_min, fit}' <<< "$g")"
jq -e '.fit.p < 0.01 and .fit.n >= 40 and (.series.t | length) == (.series.fds | length)' \
    <<< "$g" > /dev/null || fail "fd-growth: fit or series wrong: $(jq -c .fit <<< "$g")"
jq -e '.nofile > 0 and .eta_s > 0' <<< "$g" > /dev/null || fail "fd-growth: no nofile or eta_s"
line=$(marker_line "$SRC/samples/leak_growth.c" leak-site)
jq -e --argjson l "$line" '.sites | length == 1 and .[0].top_frame.function == "leak_one"
        and .[0].top_frame.line == $l and .[0].slope_per_min >= 45 and .[0].slope_per_min <= 75' \
    <<< "$g" > /dev/null || fail "fd-growth: the leak site is not the growing site: $(jq -c .sites <<< "$g")"
jq -e --argjson l "$line" '.top_frame.line == $l' <<< "$g" > /dev/null ||
    fail "fd-growth: its stack is not the leak site"
expect_site orphaned-socket leak_growth.c leak-site leak_one 12 > /dev/null

run_connleak run --fail-on fd-growth -- "$SAMPLES/leak_growth" --seconds 8 --churn 2
expect_rc 99
grep -q "^FD GROWTH  open fds " "$tmp/stderr" || fail "text: no FD GROWTH block"
grep -q "[▁▂▃▄▅▆▇█]\{20,\}" "$tmp/stderr" || fail "text: no sparkline"
grep -q "live sockets growing at leak_one" "$tmp/stderr" || fail "text: no growing site"
pass
