#!/usr/bin/env bash
# many_threads: 1100 threads alive at once, more than connleak has record
# rings (1024, preload/tring.c): the last ones share the spare ring, which
# its other threads refill while one of them drains it. Every socket opened
# must have its open record and every close its close record in the kept
# trace (none dropped), in order, and the report is clean (the sample closes
# all it opens, half of them on another thread than the one that opened).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

T=1100 C=200
mkdir "$tmp/traces"
export CONNLEAK_DETAIL_SOCKETS=-1 # one open record per socket: counted below
export CONNLEAK_SAMPLE_MS=0
run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/many_threads" $T $C
expect_rc 0
grep -qx "many_threads: $T threads x $C cycles, 0 failures" "$tmp/stdout" ||
    fail "many_threads itself failed: $(head -c 300 "$tmp/stdout")"
expect_json '.status' '"clean"'
traces=("$tmp"/traces/connleak-*.jsonl)
[[ ${#traces[@]} -eq 1 && -f "${traces[0]}" ]] || fail "expected one kept trace, found: $(ls "$tmp/traces")"
trace_dump "${traces[0]}" "$tmp/trace.json"
trace=$tmp/trace.json
counts=$(jq -s -c '{opens: map(select(.t == "open")) | length,
                    lasts: map(select(.t == "close" and .last)) | length,
                    end: (map(select(.t == "end")) | last)}' "$trace")
echo "trace: $counts"
opened=$((T * C * 2))
jq -e --argjson o $opened '.end.opened == $o and .end.closed == $o and .end.live == 0' \
    <<< "$counts" > /dev/null || fail "end record: expected $opened opened and closed"
jq -e '.opens == .end.opened' <<< "$counts" > /dev/null || fail "open records were dropped"
jq -e '.lasts == .end.closed' <<< "$counts" > /dev/null || fail "close records were dropped"
python3 "$(dirname "$0")/trace_order.py" "$trace" > "$tmp/order.txt" ||
    fail "records out of order: $(head -c 600 "$tmp/order.txt")"
pass
