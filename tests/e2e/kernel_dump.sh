#!/usr/bin/env bash
# kernel_dump: a service that is still running. leak_growth (preloaded, no
# `connleak run`) leaks one connection a second; `kill -USR2` makes it dump
# its live set, and `connleak report` on its trace directory reports the
# orphaned sockets as of that dump. The service is stopped (SIGSTOP) once
# the dump is in the trace so that nothing follows it; should a socket
# event slip in between (the report is then "as now", rebuilt), the dump
# is asked again, at most three times. --leak-after-ms spares sockets
# younger than the threshold.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

lib="$(dirname "$CONNLEAK")/libconnleak.so"
[[ -f "$lib" ]] || fail "no $lib"
mkdir "$tmp/tr"
CONNLEAK_DIR="$tmp/tr" CONNLEAK_SAMPLE_MS=200 LD_PRELOAD="$lib" \
    "$SAMPLES/leak_growth" --seconds 15 --churn 0 > "$tmp/out" &
pid=$!
on_exit "kill -CONT $pid 2> /dev/null; kill $pid 2> /dev/null; wait $pid 2> /dev/null"
trace="$tmp/tr/connleak-$pid.jsonl"
wait_for_file "$trace"
sleep 2.5

# Socket events after the last dump record of the trace.
events_after_dump() {
    awk '/"t":"dump"/ { n = 0; next } /"t":"(open|close|conn|dup|shut|listen|badclose)"/ { n++ }
         END { print n + 0 }' "$trace"
}

dump=0
for attempt in 1 2 3; do
    kill -CONT "$pid"
    sleep 0.4 # half-way between two leaks (one a second)
    kill -USR2 "$pid"
    for ((i = 0; i < 50; i++)); do
        grep -q "\"t\":\"dump\",\"ts\":[0-9]*,\"dump\":$attempt," "$trace" && break
        sleep 0.1
    done
    kill -STOP "$pid"
    grep -q "\"dump\":$attempt," "$trace" || fail "no dump $attempt in the trace after SIGUSR2"
    if [[ $(events_after_dump) -eq 0 ]]; then
        dump=$attempt
        break
    fi
done
[[ $dump -gt 0 ]] || fail "a socket event followed each of 3 dumps"
live=$(grep -c "\"t\":\"live\".*\"dump\":$dump" "$trace" || true)
[[ $live -ge 2 ]] || fail "dump $dump lists $live live sockets, expected at least 2"

report_json "$tmp/tr"
expect_rc 0
expect_json '.processes[0].complete' false
f=$(expect_site orphaned-socket leak_growth.c leak-site leak_one "$live")
jq -e --argjson d "$dump" '.dump == $d' <<< "$f" > /dev/null || fail "orphaned-socket: not as of dump $dump: $f"
jqr '.notes[]' | grep -q "report is as of its dump $dump" || fail "no note: as of dump $dump"

# Younger than a minute: maybe still in use, not reported.
report_json --leak-after-ms 60000 "$tmp/tr"
expect_json '.summary["orphaned-socket"]' 0
CONNLEAK_LEAK_AFTER_MS=60000 run_connleak report "$tmp/tr"
grep -q "ORPHANED SOCKETS" "$tmp/stdout" && fail "text: orphaned sockets despite CONNLEAK_LEAK_AFTER_MS"
run_connleak report "$tmp/tr"
grep -q "^ORPHANED SOCKETS  $live still open at dump $dump, opened in leak_one" "$tmp/stdout" ||
    fail "text: no 'still open at dump $dump' block"
pass
