#!/usr/bin/env bash
# samples_bare: the samples do what their comments say without connleak
# (so a failing connleak test is connleak's fault): outputs, exit codes,
# http_server's keep-alive, body size, 405, and clean exit on SIGTERM.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

expect_out() { # expect_out EXPECTED_RC EXPECTED_LINE PROG ARGS...
    local want_rc=$1 want=$2 rc=0
    shift 2
    timeout -k 5 30 "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?
    [[ $rc -eq $want_rc ]] || fail "$*: exit $rc, expected $want_rc: $(head -c 300 "$tmp/err")"
    [[ -z "$want" ]] || grep -qxF "$want" "$tmp/out" || fail "$*: no line '$want' in: $(head -c 300 "$tmp/out")"
}

expect_out 0 "leaky_client: 10 requests, 10 with status 200, 0 sockets closed" "$SAMPLES/leaky_client"
expect_out 0 "clean_client: 3 requests, 3 with status 200, 3 sockets closed" "$SAMPLES/clean_client" 3
expect_out 0 "mt_churn: 8 threads x 100 cycles, 0 failures, 8 sockets leaked" "$SAMPLES/mt_churn" 100
expect_out 0 "" "$SAMPLES/forker"
grep -qE '^forker: parent [0-9]+, child [0-9]+ exited with 0$' "$tmp/out" || fail "forker: $(cat "$tmp/out")"
expect_out 0 "fd_games: 6 steps, 0 failures" "$SAMPLES/fd_games"
expect_out 0 "daemon_closeall: swept fds 3..1023, 1 socket leaked" "$SAMPLES/daemon_closeall"
expect_out 137 "" "$SAMPLES/killed"
expect_out 0 "static_hello: hello" "$SAMPLES/static_hello"
expect_out 0 "go_hello: hello" "$SAMPLES/go_hello"
expect_out 0 "" "$SAMPLES/errno_probe"
if grep -q clobbered "$tmp/out"; then fail "errno_probe reports a clobbered errno"; fi
grep -q "^close(again) *-1 EBADF$" "$tmp/out" || fail "errno_probe: $(cat "$tmp/out")"

"$SAMPLES/http_server" --body 1000 > "$tmp/port" &
srv=$!
srv_done=""
on_exit "[[ -n \$srv_done ]] || kill -TERM $srv 2> /dev/null"
wait_for_file "$tmp/port"
port=$(head -n1 "$tmp/port")
[[ "$port" =~ ^[0-9]+$ ]] || fail "http_server printed '$port'"
[[ $(curl -s --max-time 5 "http://127.0.0.1:$port/" | wc -c) -eq 1000 ]] || fail "body is not 1000 bytes"
connects=$(curl -s --max-time 5 -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "http://127.0.0.1:$port/a" "http://127.0.0.1:$port/b" "http://127.0.0.1:$port/c")
[[ "$connects" == "1 0 0 " ]] || fail "keep-alive: num_connects '$connects'"
[[ $(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/") == 405 ]] ||
    fail "POST did not get 405"
expect_out 0 "leaky_client: 5 requests, 5 with status 200, 0 sockets closed" "$SAMPLES/leaky_client" 5 "$port"
expect_out 0 "clean_client: 5 requests, 5 with status 200, 5 sockets closed" "$SAMPLES/clean_client" 5 "$port"
expect_out 0 "mt_churn: 8 threads x 20 cycles, 0 failures, 8 sockets leaked" "$SAMPLES/mt_churn" 20 "$port"
# An idle keep-alive connection stays open until SIGTERM closes it.
exec 5<> "/dev/tcp/127.0.0.1/$port"
kill -TERM $srv
rc=0
wait $srv || rc=$?
# shellcheck disable=SC2034 # read by the on_exit hook
srv_done=1
exec 5<&-
[[ $rc -eq 0 ]] || fail "http_server exited $rc on SIGTERM"
pass
