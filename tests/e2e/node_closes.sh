#!/usr/bin/env bash
# node_closes: node (libuv) closes its sockets with syscall(SYS_close)
# (issue 13 point 2). Node opens N connections to its own server on
# 127.0.0.1, closes them all, then waits: a dump (SIGUSR2) taken while it
# waits lists none of them, every close is in the trace when it happened
# (how "syscall"), and the report at exit is clean and passes --fail-on
# leak. The leaky twin keeps the N connections open: the dump lists them,
# and the report at exit has N orphaned client sockets.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

command -v node > /dev/null || {
    echo "SKIP [$TEST_NAME]: node not installed (scripts/install-deps.sh installs nodejs)"
    exit 77
}
n=5
script="$SRC/tests/e2e/node/conns.js"

# run_node [leak]: the script under `connleak run` in the background, a dump
# asked while it waits; $trace is its trace, $dumped the trace cut after
# the dump's live batch (a running service's trace, as of the dump).
run_node() {
    local dir pid i
    dir=$(mktemp -d "$tmp/traces.XXXXXX")
    rm -f "$REPORT"
    RC=0
    timeout -k 5 45 "$CONNLEAK" run --backend preload --fail-on leak --format json -o "$REPORT" \
        --keep-traces --trace-dir "$dir" -- node "$script" $n 3000 "$@" > "$tmp/stdout" 2> "$tmp/stderr" &
    local run=$!
    for ((i = 0; i < 150; i++)); do
        grep -q '^ready ' "$tmp/stdout" && break
        sleep 0.1
    done
    pid=$(sed -n 's/^ready //p' "$tmp/stdout")
    [[ -n "$pid" ]] || fail "node never said ready: $(cat "$tmp/stdout" "$tmp/stderr")"
    trace="$dir/connleak-$pid.jsonl"
    kill -USR2 "$pid"
    for ((i = 0; i < 50; i++)); do
        grep -q '"t":"dump"' "$trace" && break
        sleep 0.1
    done
    wait "$run" || RC=$?
    [[ -s "$REPORT" ]] || fail "no report (exit $RC)"
    trace_dump "$trace" "$tmp/trace-$pid.json"
    trace=$tmp/trace-$pid.json
    grep -q '"t":"dump"' "$trace" || fail "no dump in the trace after SIGUSR2"
    dumped="$tmp/dump-$pid.jsonl"
    awk '/"t":"dump"/ { d = 1 } d && !/"t":"(dump|live)"/ { exit } { print }' "$trace" > "$dumped"
}

# inet sockets the dump listed
dump_inet() { grep '"t":"live"' "$dumped" | grep -c '"fam":"inet"' || true; }

run_node
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.processes | length' 1
syscall_closes=$(grep -c '"t":"close".*"how":"syscall"' "$trace" || true)
[[ $syscall_closes -ge $((2 * n)) ]] ||
    fail "$syscall_closes closes by syscall(SYS_close) in the trace, expected at least $((2 * n))"
grep -q '"t":"close".*"how":"\(unseen\|implicit\)"' "$trace" && fail "a close was not seen when it happened"
[[ $(dump_inet) -eq 0 ]] || fail "the dump lists $(dump_inet) inet sockets, all closed before"
report_json "$dumped"
expect_json '.summary["orphaned-socket"]' 0

run_node leak
expect_rc 99
expect_json '.summary["orphaned-socket"]' $n
[[ $(dump_inet) -ge $((2 * n)) ]] || fail "leaky: the dump lists $(dump_inet) inet sockets, expected $((2 * n)) and the listener"
report_json "$dumped"
[[ $(jqr '.summary["orphaned-socket"]') -ge $n ]] || fail "leaky: the dump's report has $(jqr '.summary["orphaned-socket"]') orphans"
pass
