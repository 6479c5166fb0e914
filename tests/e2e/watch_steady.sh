#!/usr/bin/env bash
# watch_steady: programs that do not leak give no finding under `connleak
# watch`: an idle process (one sample, --once), a process that exits while
# watched (the watch ends with it), and the C http_server closing every
# connection after its response while curl makes 20 requests (churn, but a
# steady fd count; its TIME_WAIT sockets are matched through its listening
# port and counted, and 20 is no storm).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

watch_json() {
    rm -f "$REPORT"
    run_connleak watch --format json -o "$REPORT" "$@"
    [[ -s "$REPORT" ]] || fail "connleak watch $* wrote no report (exit $RC)"
    jq -e 'type == "object"' "$REPORT" > /dev/null || fail "the watch report is not a JSON object"
}

# An idle process, one sample.
sleep 30 &
idle=$!
on_exit "kill $idle 2> /dev/null"
watch_json --once "$idle"
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_json '.ended' '"once"'
expect_json '.samples' '1'
expect_json '.pid' "$idle"
expect_json '.comm' '"sleep"'
expect_json '.program' 'null'
expect_json '.last.fds' "$(find "/proc/$idle/fd" -mindepth 1 | wc -l)"
run_connleak watch --once "$idle"
expect_rc 0
grep -q "^connleak watch: no findings" "$tmp/stdout" || fail "text: no 'no findings' line"

# A process that exits while watched: the watch ends with it, and reports.
sleep 1 &
short=$!
watch_json --interval 100 --fail-on any "$short"
expect_rc 0
expect_json '.ended' '"exited"'
expect_json '.findings' '[]'
samples=$(jqr '.samples')
((samples >= 3)) || fail "only $samples samples of a process that lived 1 s"

# A server with churn: steady, and its TIME_WAIT sockets are its own.
# (10 s: twenty requests with their forks must fit, on a loaded machine too)
"$CONNLEAK" watch --interval 100 --duration 10 --format json -o "$REPORT" \
    -- "$SAMPLES/http_server" > "$tmp/port" 2> "$tmp/stderr" &
cl=$!
on_exit "kill -TERM $cl 2> /dev/null"
wait_for_file "$tmp/port"
port=$(head -n1 "$tmp/port")
[[ "$port" =~ ^[0-9]+$ ]] || fail "http_server printed '$port', not a port"
for i in $(seq 20); do
    exec 3<> "/dev/tcp/127.0.0.1/$port"
    printf 'GET /%d HTTP/1.0\r\n\r\n' "$i" >&3
    timeout 5 cat <&3 > "$tmp/response" || fail "request $i: no end of response"
    exec 3<&-
    head -n1 "$tmp/response" | grep -q "^HTTP/1.[01] 200" || fail "request $i: no 200"
done
RC=0
wait $cl || RC=$?
expect_rc 0
jq -e 'type == "object"' "$REPORT" > /dev/null || fail "the watch report is not a JSON object"
expect_json '.ended' '"duration"'
expect_json '.findings' '[]'
expect_json '.last.listening' "[\"127.0.0.1:$port\"]"
expect_json "[.peers[] | select(.direction == \"in\") | {peer, time_wait_seen}]" \
    "[{\"peer\":\"127.0.0.1 -> :$port\",\"time_wait_seen\":20}]"
pass
