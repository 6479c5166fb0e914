#!/usr/bin/env bash
# exit_threads: the program exits while 8 threads open and close sockets
# flat out. Their records go into rings of their own (preload/tring.c): no
# drain may write any of them after the end record (the analyzer would
# ignore them with a note), so the trace's last record is `end` and the
# report has no "records after the end record" note. Three runs: the race
# is at the exit.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

export CONNLEAK_SAMPLE_MS=0
export CONNLEAK_DETAIL_SOCKETS=-1 # every socket written: the threads make records flat out
for i in 1 2 3; do
    rm -rf "$tmp/traces"
    mkdir "$tmp/traces"
    run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/exit_threads" 300
    expect_rc 0
    traces=("$tmp"/traces/connleak-*.jsonl)
    [[ ${#traces[@]} -eq 1 && -f "${traces[0]}" ]] || fail "expected one kept trace, found: $(ls "$tmp/traces")"
    trace_dump "${traces[0]}" "$tmp/trace.json"
    after=$(awk '/"t":"end"/ { e = 1; next } e { n++ } END { print n + 0 }' "$tmp/trace.json")
    echo "run $i: $after records after the end record"
    [[ $after -eq 0 ]] || fail "run $i: $after records after the end record"
    [[ $(tail -n1 "$tmp/trace.json" | jq -r .t) == end ]] || fail "run $i: the last record is not end"
    expect_json '[.notes[] | select(test("after the end record"))]' '[]'
done
pass
