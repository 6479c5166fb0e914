#!/usr/bin/env bash
# bounded_trace: past CONNLEAK_DETAIL_SOCKETS sockets, a process writes
# per-site counters (agg records) instead of a line per connection, and the
# report is the same: mt_churn opens about 16,000 sockets on 8 threads and
# leaks 8; with only the first 100 written one by one, its trace stays
# small, the 8 leaks are still reported at leak_one's line (their late open
# records come before the live batch), and the agg counts plus the detailed
# closes add up to every socket closed.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

M=500
export CONNLEAK_DETAIL_SOCKETS=100
run_json_traced -- "$SAMPLES/mt_churn" $M
expect_rc 0
expect_leaked_at mt_churn.c leak-site leak_one 8

lines=$(wc -l < "$trace")
end=$(jq -c 'select(.t == "end")' "$trace")
opened=$(jq .opened <<< "$end")
closed=$(jq .closed <<< "$end")
[[ $opened -gt 10000 ]] || fail "only $opened sockets: mt_churn did not churn"
# 100 detailed sockets (a few lines each), agg and sample lines, the
# module map and stacks: far below one line per socket
[[ $lines -lt 2000 ]] || fail "$lines trace lines for $opened sockets: not bounded"
detailed=$(jq -c 'select(.t == "close" and .last == true)' "$trace" | wc -l)
counted=$(jq -s '[.[] | select(.t == "agg") | .closed] | add // 0' "$trace")
[[ $((detailed + counted)) -eq $closed ]] ||
    fail "closes: $detailed written + $counted counted != $closed in the end record"
late=$(jq -c 'select(.t == "open" and .late == true)' "$trace" | wc -l)
[[ $late -ge 8 ]] || fail "only $late late open records: the leaks were not promoted"
pass
