#!/usr/bin/env bash
# mt_churn: 8 threads x 500 cycles of connect/request/close, dup+close and
# socketpair+close, one leak per thread. The report has exactly one finding
# (count 8 at leak_one's socket() line), and the kept trace balances:
# opened - closed == live, with the exact numbers the sample produces, and
# the records of the 8 threads come out in the order their fds were used.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

M=500
mkdir "$tmp/traces"
# Every socket one by one (no per-site counters after the first 10,000):
# this test counts open records against the end record's totals.
export CONNLEAK_DETAIL_SOCKETS=-1
# No samples: a run slowed past the first sample (a loaded machine) would
# also see its 4,000 closed connections in TIME_WAIT, a true but different
# finding (kernel_timewait tests that one).
export CONNLEAK_SAMPLE_MS=0
run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/mt_churn" $M
expect_rc 0
grep -qx "mt_churn: 8 threads x $M cycles, 0 failures, 8 sockets leaked" "$tmp/stdout" ||
    fail "mt_churn itself failed: $(head -c 300 "$tmp/stdout")"
expect_json '.status' '"leaks"'
expect_leaked_at mt_churn.c leak-site leak_one 8
expect_json '[.findings[] | select(.kind != "orphaned-socket" and .kind != "close-wait-pile")]' '[]'
f=$(jqr '[.findings[] | select(.kind == "orphaned-socket" or .kind == "close-wait-pile")][0]')
jq -e '.stack | map(.function) | index("churn_thread") != null' <<< "$f" > /dev/null ||
    fail "churn_thread is not in the stack: $(jq -c '[.stack[].function]' <<< "$f")"

traces=("$tmp"/traces/connleak-*.jsonl)
[[ ${#traces[@]} -eq 1 && -f "${traces[0]}" ]] || fail "expected one kept trace, found: $(ls "$tmp/traces")"
trace_dump "${traces[0]}" "$tmp/trace.json" # every record decodes (exit 0)
trace=$tmp/trace.json
jq -c . "$trace" > /dev/null || fail "the trace has a record that is not JSON"
[[ $(head -n1 "$trace" | jq -r .t) == hdr ]] || fail "the first line is not hdr"
[[ $(tail -n1 "$trace" | jq -r .t) == end ]] || fail "the last line is not end"
counts=$(jq -s -c '{opens: map(select(.t == "open")) | length,
                    lives: map(select(.t == "live")) | length,
                    lasts: map(select(.t == "close" and .last)) | length,
                    ends: map(select(.t == "end")) | length,
                    end: (map(select(.t == "end")) | last)}' "$trace")
echo "trace: $counts"
jq -e '.ends == 1' <<< "$counts" > /dev/null || fail "not exactly one end record"
jq -e '.end.opened - .end.closed == .end.live' <<< "$counts" > /dev/null ||
    fail "end record: opened - closed != live"
# 4 sockets per cycle, 2 per leaked connection, and the listener.
expected_opened=$((8 * M * 4 + 8 * 2 + 1))
jq -e --argjson o $expected_opened '.end.opened == $o and .opens == $o' <<< "$counts" > /dev/null ||
    fail "expected $expected_opened sockets opened (end record and open records)"
jq -e '.end.live == 9 and .lives == 9 and .lasts == .end.closed and .end.lost == 0' \
    <<< "$counts" > /dev/null || fail "expected 9 live sockets (8 leaks + listener), closes matching"
expect_json '[.processes[0] | .opened, .closed, .live]' "[$expected_opened,$((expected_opened - 9)),9]"
# The 8 threads record into rings of their own (preload/tring.c): merged
# back, the records are in the order the fds were used. The check itself
# must fail on records out of order (the same trace backwards).
order=$(dirname "$0")/trace_order.py
python3 "$order" "$trace" > "$tmp/order.txt" || fail "records out of order: $(head -c 600 "$tmp/order.txt")"
python3 "$order" "$trace" --reverse > /dev/null && fail "trace_order.py does not see records out of order"
grep -q '"trace-reordered"' "$trace" && fail "the flush wrote records out of order"
pass
