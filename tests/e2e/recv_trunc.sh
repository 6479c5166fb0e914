#!/usr/bin/env bash
# recv_trunc: recv(fd, NULL, n, MSG_TRUNC) discards a response without
# copying it (the buffer is NULL). Under connleak the program behaves as
# without (it once crashed: the bytes were fed to the HTTP tracker), the
# bytes are counted, and the report is clean.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

"$SAMPLES/http_server" --body 5000 > "$tmp/port" &
server=$!
on_exit "kill $server 2> /dev/null"
wait_for_file "$tmp/port"
port=$(head -n1 "$tmp/port")

bare=$("$SAMPLES/recv_trunc" "$port") || fail "recv_trunc failed without connleak"
run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/recv_trunc" "$port"
expect_rc 0
[[ $(cat "$tmp/stdout") == "$bare" ]] || fail "output differs: '$(cat "$tmp/stdout")' vs '$bare'"
expect_json '.status' '"clean"'
trace_dump "$(ls "$tmp"/traces/connleak-*.jsonl)" "$tmp/trace.json"
in=$(jq -s '[.[] | select(.t == "close" and .last == true and .http != null)][0].in' \
    "$tmp/trace.json")
[[ $in -gt 5000 ]] || fail "bytes read not counted: in=$in"
pass
