#!/usr/bin/env bash
# signal_storm: hooks re-entered from a signal handler, on two threads, for a
# second: the program finishes (no deadlock), keeps its errno, and since it
# closes everything the report is clean and the trace adds up.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# Every socket one by one (no per-site counters after the first 10,000):
# this test counts open records against the end record's totals.
export CONNLEAK_DETAIL_SOCKETS=-1
run_json_traced -- "$SAMPLES/signal_storm" 1000
expect_rc 0
grep -q "signals handled, errno preserved" "$tmp/stdout" ||
    fail "signal_storm said: $(cat "$tmp/stdout")"
expect_json '.status' '"clean"'
expect_json '.processes[0].complete' true
end=$(jq -c 'select(.t == "end")' "$trace")
[[ -n "$end" ]] || fail "no end record"
opened=$(jq .opened <<< "$end")
closed=$(jq .closed <<< "$end")
[[ $opened -gt 1000 ]] || fail "only $opened sockets recorded: the storm did not run"
[[ $opened -eq $closed ]] || fail "opened $opened but closed $closed"
opens=$(jq -c 'select(.t == "open")' "$trace" | wc -l)
[[ $opens -eq $opened ]] || fail "$opens open records for $opened sockets"
pass
