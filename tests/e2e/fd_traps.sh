#!/usr/bin/env bash
# fd_traps: SCM_RIGHTS, a close connleak cannot see, a vfork child closing a
# socket, connleak's helper threads and signals; and _exit skipping
# destructors (quick_exit).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/fd_traps"
expect_rc 0
grep -q "fd_traps: all steps done" "$tmp/stdout" || fail "fd_traps: $(cat "$tmp/stdout")"
grep -Eq "fd_traps: [1-9][0-9]* helper thread\(s\), ([1-9][0-9]*) blocking" "$tmp/stdout" ||
    fail "no helper thread seen: $(cat "$tmp/stdout")"
helpers=$(sed -nE 's/fd_traps: ([0-9]+) helper.*/\1/p' "$tmp/stdout")
blocking=$(sed -nE 's/.*, ([0-9]+) blocking.*/\1/p' "$tmp/stdout")
[[ $helpers -eq $blocking ]] || fail "$helpers helper threads but only $blocking block all signals"
expect_json '.findings | length' 1
f=$(expect_site orphaned-socket fd_traps.c received-site recv_fd 1)
[[ $(jq -r .role <<< "$f") == received ]] || fail "role $(jq -r .role <<< "$f"), expected received"
expect_json '.summary["double-close"]' 0
expect_json '.summary["foreign-close"]' 0
# only the parent wrote a trace: the vfork child never touched connleak's tables
[[ $(find "$tmp/traces" -name 'connleak-*.jsonl' | wc -l) -eq 1 ]] || fail "more than one trace"

run_json -- "$SAMPLES/quick_exit"
expect_rc 3
expect_json '.processes[0].complete' true
expect_site orphaned-socket quick_exit.c leak-site leak 2 > /dev/null
pass
