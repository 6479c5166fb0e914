#!/usr/bin/env bash
# probe_attach: `connleak attach PID` on processes already running. A Go
# client attached before its requests: the unclosed bodies at its line, as
# with run. A C program that opened sockets before the attach: they are
# reported as open before attach (with no stack), and the ones it opens
# after, with their stack. A Go server's CLOSE_WAIT pile that was there
# before the attach. The program's output is unchanged and it keeps
# running after connleak detaches.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required

start_http_server
"$SAMPLES/go_client" -url "http://127.0.0.1:$port/" -mode leak-body -n 5 -delay 1500ms -hold 10s \
    > "$tmp/go.out" 2>&1 &
gopid=$!
on_exit "kill $gopid 2> /dev/null"
rm -f "$REPORT"
run_connleak attach --format json -o "$REPORT" --duration 4 "$gopid"
expect_rc 0
kill -0 "$gopid" 2> /dev/null || fail "the Go program did not survive the attach"
grep -q "go_client: leak-body: 5 requests, 5 with status 200" "$tmp/go.out" ||
    fail "the Go program's output changed: $(head -c 300 "$tmp/go.out")"
expect_json '.backend' '"probe"'
expect_site unclosed-body go/client.go leak-body-site main.leakBody 5 > /dev/null
kill "$gopid"

# A C program (no preload) with 3 sockets before the attach and 2 after,
# opened at the marked line.
"$SAMPLES/attach_target" "$port" 3 2 1500 10000 > "$tmp/c.out" 2>&1 &
cpid=$!
on_exit "kill $cpid 2> /dev/null"
wait_for_file "$tmp/c.out"
run_connleak attach --format json -o "$REPORT" --duration 3 "$cpid"
expect_rc 0
kill -0 "$cpid" 2> /dev/null || fail "the C program did not survive the attach"
expect_json '.backend' '"probe"'
before=$(jqr '[.findings[] | select(.kind == "orphaned-socket" and .before_attach) | .count] | add // 0')
[[ $before -eq 3 ]] || fail "expected 3 sockets open before the attach, got $before"
expect_site orphaned-socket attach_target.c after-site connect_one 2 > /dev/null

# The text report says so in words.
run_connleak attach --color never --duration 1 "$cpid"
expect_rc 0
grep -q "opened before connleak attached" "$tmp/stdout" || fail "the text report does not say what was open before the attach"
grep -q "when connleak detached" "$tmp/stdout" || fail "the text report does not say connleak detached"

# A master with 2 workers it forked before the attach (nginx, gunicorn):
# the workers are followed too, and their sockets opened after the attach
# are found at their line, in each worker.
"$SAMPLES/attach_target" "$port" 0 2 1500 3000 2 > "$tmp/m.out" 2>&1 &
mpid=$!
on_exit "kill $mpid 2> /dev/null"
wait_for_file "$tmp/m.out"
run_connleak attach --format json -o "$REPORT" --duration 3 "$mpid"
expect_rc 0
f=$(expect_site orphaned-socket attach_target.c after-site connect_one 6)
[[ $(jq '.pids | length' <<< "$f") -eq 3 ]] || fail "the workers' sockets are not theirs: $(jq -c .pids <<< "$f")"
wait "$mpid" || fail "the master did not end well"

# A CLOSE_WAIT pile that is there before the attach (what an attach is
# often for): 4 clients of a Go server that never closes hung up first.
"$SAMPLES/go_cw_server" -duration 20s > "$tmp/cw.out" 2>&1 &
cwpid=$!
on_exit "kill $cwpid 2> /dev/null"
wait_for_file "$tmp/cw.out"
cwport=$(head -n1 "$tmp/cw.out")
"$PYTHON" -c "
import socket
for _ in range(4):
    s = socket.create_connection(('127.0.0.1', $cwport)); s.sendall(b'hi\\n'); s.close()" ||
    fail "the clients could not connect to go_cw_server"
sleep 0.5
run_connleak attach --format json -o "$REPORT" --duration 1 "$cwpid"
expect_rc 0
cw=$(jqr '[.findings[] | select(.kind == "close-wait-pile") | .count] | add // 0')
[[ $cw -eq 4 ]] || fail "expected a close-wait-pile of 4 from before the attach, got $cw: $(jq -c '[.findings[] | {kind, count}]' "$REPORT")"
kill "$cwpid"

# A process that does not exist: one line, exit 125.
run_connleak attach --duration 1 4194303
expect_rc 125
grep -q "no process" "$tmp/stderr" || fail "no clear error for a missing process: $(cat "$tmp/stderr")"
pass
