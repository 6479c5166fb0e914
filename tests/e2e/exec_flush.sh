#!/usr/bin/env bash
# exec_flush: what a program did in its last milliseconds before an exec or
# an abort() is in its trace, and a quick_exit() ends it (issue 11, point 2). exec_tail opens two
# sockets and execs at once, well inside one flush period: without the
# flush before exec the report said it opened no sockets, and a 4-step
# chain under --follow-exec showed one step of four. Clean twins close the
# sockets first and get no finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# A long flush period: only the flush before exec/abort can save the lines.
export CONNLEAK_FLUSH_MS=60000

run_json --no-follow-exec -- "$SAMPLES/exec_tail" leak 1
expect_rc 0
grep -q "^exec_tail: leak, step 1, fds" "$tmp/stdout" || fail "the program's stdout did not come through"
expect_json '.status' '"leaks"'
expect_json '.processes | length' 1
expect_json '.processes[0].opened' 2
expect_site orphaned-socket exec_tail.c leak-site leak 2 > /dev/null

run_json --no-follow-exec -- "$SAMPLES/exec_tail" clean 1
expect_rc 0
expect_json '.status' '"clean"'
expect_json '[.processes[0] | .opened, .closed]' '[2,2]'
expect_json '.findings | length' 0

# A Python script that execs right after opening its sockets (it reported
# "opened no sockets"): Python's os.execv goes through libc's execv.
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x "$PYTHON" ]] || fail "$PYTHON not found: run scripts/install-deps.sh"
run_json --backend preload -- "$PYTHON" -c '
import os, socket
s = [socket.socket() for _ in range(3)]
os.execv("/bin/true", ["true"])'
expect_rc 0
expect_json '.status' '"leaks"'
expect_json '.summary["orphaned-socket"]' 3

# The chain: four images of exec_tail (then /bin/true), each leaking two.
run_json --follow-exec -- "$SAMPLES/exec_tail" leak 4
expect_rc 0
[[ $(grep -c "^exec_tail: leak, step" "$tmp/stdout") -eq 4 ]] || fail "the chain did not run 4 steps"
expect_json '[.processes[] | select(.exe | endswith("/exec_tail"))] | length' 4
expect_json '[.processes[] | select(.exe | endswith("/exec_tail")) | .opened] | add' 8
expect_site orphaned-socket exec_tail.c leak-site leak 8 > /dev/null

run_json --follow-exec -- "$SAMPLES/exec_tail" clean 4
expect_rc 0
expect_json '.status' '"clean"'
expect_json '[.processes[] | select(.exe | endswith("/exec_tail")) | .opened] | add' 8
expect_json '[.processes[] | .closed] | add' 8

# abort(): killed by SIGABRT, the two sockets it opened just before are seen.
run_json -- "$SAMPLES/exec_tail" abort 1
expect_rc 134
expect_json '.program.signal' 6
expect_site orphaned-socket exec_tail.c leak-site leak 2 > /dev/null

# quick_exit() skips destructors: the trace still gets its end record.
run_json -- "$SAMPLES/exec_tail" quick 1
expect_rc 4
expect_json '.processes[0].complete' true
expect_site orphaned-socket exec_tail.c leak-site leak 2 > /dev/null
pass
