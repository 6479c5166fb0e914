#!/usr/bin/env bash
# real_exit: what correct real programs hold when they exit is no leak
# (issue 13, points 3, 4 and 7; analyzer/rules/rules_exit.c).
#  - wget fetching two URLs keeps its one keep-alive connection open to the
#    end: an idle keep-alive connection, counted in the headline, no finding;
#    two idle connections to one peer (http_leaky orphan 2) stay a leak.
#  - redis-server told to SHUTDOWN while clients are connected (the client
#    that sent it, an idle subscriber) exits holding their connections: no
#    finding; a pile of them (EXIT_ACCEPTED_PILE = 10 or more) is one.
#  - redis-server is a symlink to redis-check-rdb: named by what was run.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

for prog in wget redis-server redis-cli; do
    command -v "$prog" > /dev/null || fail "$prog not installed: run scripts/install-deps.sh"
done

start_http_server
url="http://127.0.0.1:$port/"
run_json --backend preload --fail-on leak -- wget -q -O /dev/null "$url" "$url"
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
run_connleak run --backend preload -- wget -q -O /dev/null "$url" "$url"
grep -q "kept 1 idle keep-alive connection (not counted as leaks)" "$tmp/stderr" ||
    fail "the headline does not count wget's idle connection: $(head -3 "$tmp/stderr")"

run_json --backend preload --fail-on leak -- "$SAMPLES/http_leaky" orphan "$port" 2
expect_rc 99
expect_json '.summary["orphaned-socket"]' 2

# redis_run NCLIENTS: redis-server under connleak (its traces kept in
# $tmp/redis), NCLIENTS idle connections and an idle subscriber, then
# SHUTDOWN NOSAVE from redis-cli. Sets RC.
redis_run() {
    local n=$1 rport cl i
    rport=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    rm -rf "$tmp/redis" "$REPORT" "$tmp/idle.out"
    timeout -k 5 40 "$CONNLEAK" run --backend preload --fail-on leak --format json -o "$REPORT" \
        --trace-dir "$tmp/redis" -- redis-server --port "$rport" --bind 127.0.0.1 --save "" \
        --appendonly no --dir "$tmp" > "$tmp/redis.out" 2>&1 &
    cl=$!
    for i in $(seq 100); do redis-cli -p "$rport" PING > /dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$rport" PING > /dev/null 2>&1 || fail "redis-server did not start: $(tail -3 "$tmp/redis.out")"
    timeout 20 redis-cli -p "$rport" SUBSCRIBE news > /dev/null 2>&1 &
    on_exit "kill $! 2> /dev/null"
    if [[ $n -gt 0 ]]; then
        "$PYTHON" -c 'import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
print("connected", flush=True)
time.sleep(20)' "$rport" "$n" > "$tmp/idle.out" &
        on_exit "kill $! 2> /dev/null"
        wait_for_file "$tmp/idle.out" 200 # a loaded machine: connected before SHUTDOWN
    fi
    redis-cli -p "$rport" SET k v > /dev/null
    sleep 0.3 # the subscriber and the idle clients are accepted
    redis-cli -p "$rport" SHUTDOWN NOSAVE > /dev/null 2>&1 || true
    RC=0
    wait "$cl" || RC=$?
}

redis_run 0
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
run_connleak report "$tmp/redis"
grep -q "^connleak: no leaks: redis-server (pid" "$tmp/stdout" ||
    fail "redis-server is not named so: $(head -1 "$tmp/stdout")"
grep -q "accepted connections still open at exit (not counted as leaks)" "$tmp/stdout" ||
    fail "the headline does not count the clients redis held: $(head -1 "$tmp/stdout")"

redis_run 12
expect_rc 99
jq -e '.summary["orphaned-socket"] >= 12' "$REPORT" > /dev/null ||
    fail "a pile of accepted connections at exit is not reported: $(jqr '.summary')"
pass
