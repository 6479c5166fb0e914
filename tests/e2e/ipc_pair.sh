#!/usr/bin/env bash
# ipc_pair: IPC sockets are not leaks by default (issue 13 point 5). A
# master and two forked workers (nginx's pattern): the master keeps the
# socketpair channels it shares with its workers and the socketpair ends it
# passed over SCM_RIGHTS, the workers keep what they received, and all exit:
# no finding, and the headline counts them. --include-ipc reports all 8 as
# orphaned. The leaky twin's socketpair, used by the master alone and never
# closed, is still an orphaned-socket.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json_traced --backend preload --fail-on leak -- "$SAMPLES/ipc_pair"
expect_rc 0
grep -qx "ipc_pair: 2 workers answered, 0 failures" "$tmp/stdout" || fail "ipc_pair: $(cat "$tmp/stdout")"
expect_json '.status' '"clean"'
expect_json '.processes | length' 3
expect_json '[.processes[] | .complete] | all' true
grep -q '"passed":true' "$trace" || fail "no trace marks a socket passed over SCM_RIGHTS"
dir=$(dirname "$trace_file")

run_connleak report "$dir"
grep -q "and 8 IPC sockets (not counted as leaks)" "$tmp/stdout" || fail "text: $(head -2 "$tmp/stdout")"

report_json --include-ipc "$dir"
expect_json '.summary["orphaned-socket"]' 8
expect_json '[.findings[] | select(.role == "received") | .count] | add' 2

run_json --backend preload --fail-on leak -- "$SAMPLES/ipc_pair" --leak
expect_rc 99
expect_json '.summary["orphaned-socket"]' 2
expect_site orphaned-socket ipc_pair.c leak-site leak_pair 2 > /dev/null
pass
