#!/usr/bin/env bash
# forker: a leak on each side of fork() is reported in the right process;
# the socket the child inherited is not the child's leak, unless
# --include-inherited (then it is reported at the parent's call site).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

mkdir "$tmp/traces"
run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/forker"
expect_rc 0
[[ $(find "$tmp/traces" -name 'connleak-*.jsonl' | wc -l) -eq 2 ]] || fail "expected 2 traces: $(ls "$tmp/traces")"
expect_json '.status' '"leaks"'
expect_json '.processes | length' 2
expect_json '[.processes[] | .complete]' '[true,true]'
parent=$(jqr '.processes[] | select(.forked == false) | .pid')
child=$(jqr '.processes[] | select(.forked == true) | .pid')
[[ "$parent" =~ ^[0-9]+$ && "$child" =~ ^[0-9]+$ ]] || fail "no parent/child process pair"
expect_json ".processes[] | select(.pid == $child) | .ppid" "$parent"
grep -qx "forker: parent $parent, child $child exited with 0" "$tmp/stdout" ||
    fail "pids in the report do not match the program's: $(cat "$tmp/stdout")"

expect_json '.summary.findings' 2
expect_json '.summary["orphaned-socket"]' 3
b=$(expect_site orphaned-socket forker.c child-site child_leak 2)
[[ $(jq -c .pids <<< "$b") == "[$child]" ]] || fail "child-site pids $(jq -c .pids <<< "$b"), expected [$child]"
a=$(expect_site orphaned-socket forker.c parent-site parent_leak 1)
[[ $(jq -c .pids <<< "$a") == "[$parent]" ]] || fail "parent-site pids $(jq -c .pids <<< "$a"), expected [$parent]"

# `connleak report` on the two kept traces finds the same two leaks.
report_json "$tmp/traces"
expect_rc 0
expect_json '[.findings[] | {count, pids, f: .top_frame.function}] | sort_by(.f)' \
    "[{\"count\":2,\"pids\":[$child],\"f\":\"child_leak\"},{\"count\":1,\"pids\":[$parent],\"f\":\"parent_leak\"}]"

# With --include-inherited the child's inherited copy counts too, as a leak
# of the stack that opened it in the parent: parent-site, in both pids.
run_json --include-inherited -- "$SAMPLES/forker"
expect_rc 0
expect_json '.summary["orphaned-socket"]' 4
expect_json '[.findings[] | .count] | add' 4
parent=$(jqr '.processes[] | select(.forked == false) | .pid')
child=$(jqr '.processes[] | select(.forked == true) | .pid')
expect_json '[.findings[] | select(.top_frame == null)] | length' 0
a=$(expect_site orphaned-socket forker.c parent-site parent_leak 2)
[[ $(jq -c '.pids | sort' <<< "$a") == "$(jq -c -n "[$parent, $child] | sort")" ]] ||
    fail "inherited parent-site pids $(jq -c .pids <<< "$a"), expected $parent and $child"
pass
