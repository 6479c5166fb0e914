#!/usr/bin/env bash
# http_server_curl: a real server under connleak, hit by curl (one request,
# two requests on one keep-alive connection, 20 more connections), stopped
# with SIGTERM: it closed everything, so the report is clean and complete.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

"$CONNLEAK" run --format json -o "$REPORT" -- "$SAMPLES/http_server" --body 100 \
    > "$tmp/port" 2> "$tmp/stderr" &
cl=$!
# However the test ends: stop the server (a child of connleak), then connleak.
cl_done=""
on_exit "[[ -n \$cl_done ]] || { for p in \$(children_of $cl); do kill -TERM \$p; done; sleep 0.2; kill -KILL $cl; } 2> /dev/null"
wait_for_file "$tmp/port"
port=$(head -n1 "$tmp/port")
[[ "$port" =~ ^[0-9]+$ ]] || fail "http_server printed '$port', not a port"

body=$(curl -s --max-time 5 "http://127.0.0.1:$port/") || fail "curl failed"
[[ ${#body} -eq 99 ]] || fail "body of ${#body} bytes (without its final newline), expected 99"
connects=$(curl -s --max-time 5 -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "http://127.0.0.1:$port/a" "http://127.0.0.1:$port/b") || fail "keep-alive curl failed"
[[ "$connects" == "1 0 " ]] || fail "keep-alive: num_connects '$connects', expected '1 0 '"
for i in $(seq 20); do
    curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$port/$i" || fail "curl $i failed"
done

server=$(children_of $cl)
[[ -n "$server" ]] || fail "no http_server child of connleak"
[[ $(wc -w <<< "$server") -eq 1 ]] || fail "connleak has more than one child: $server"
[[ $(cat "/proc/$server/comm") == http_server ]] || fail "connleak's child $server is not http_server"
kill -TERM "$server"
for ((i = 0; i < 200; i++)); do
    kill -0 $cl 2> /dev/null || break
    sleep 0.1
done
kill -0 $cl 2> /dev/null && fail "connleak did not exit within 20 s of the server's SIGTERM"
RC=0
wait $cl || RC=$?
# shellcheck disable=SC2034 # read by the on_exit hook
cl_done=1
expect_rc 0
[[ -s "$REPORT" ]] || fail "no report"
expect_json '.program.exit_code' 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_json '.processes | length' 1
expect_json '.processes[0].complete' true
# The listener and 22 accepted connections, all closed.
expect_json '[.processes[0] | .opened, .closed, .live]' '[23,23,0]'
pass
