#!/usr/bin/env bash
# watch_errors: every way `connleak watch` can be misused gives one line on
# stderr and a documented exit code: 125 for connleak's own errors (bad
# flag or value, no such PID, a zombie, a PID it may not inspect, an
# unwritable output), 127 / 126 for a PROG that cannot be found / executed.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

expect_one_line() {
    [[ $(wc -l < "$tmp/stderr") -eq 1 ]] ||
        fail "$1: expected exactly one line on stderr, got: $(head -c 500 "$tmp/stderr")"
    [[ -z "${2:-}" ]] || grep -q -- "$2" "$tmp/stderr" ||
        fail "$1: stderr does not say '$2': $(cat "$tmp/stderr")"
}

# A pid that is no process: past the largest pid Linux can hand out.
nopid=$(($(cat /proc/sys/kernel/pid_max) + 1))
run_connleak watch --once "$nopid"
expect_rc 125
expect_one_line "no such pid" "no process with pid $nopid"

sleep 30 &
idle=$!
on_exit "kill $idle 2> /dev/null"
while IFS='|' read -r args message; do
    # shellcheck disable=SC2086
    run_connleak watch $args < /dev/null
    expect_rc 125
    expect_one_line "watch $args" "$message"
    [[ ! -s "$tmp/stdout" ]] || fail "watch $args: stdout is not empty"
done << EOF_CASES
--no-such-flag $idle|unknown option '--no-such-flag'
--interval 5 $idle|bad value '5' for --interval
--interval|option '--interval' needs a value
--duration -1 $idle|bad value '-1' for --duration
--format yaml $idle|bad value 'yaml' for --format
--fail-on orphaned-socket $idle|bad value 'orphaned-socket' for --fail-on
--once --duration 2 $idle|exclude each other
|needs a PID
sleep|'sleep' is not a PID; to start a program, put it after --
$idle $idle|unexpected argument
--|needs a program after --
-x $idle|unknown option '-x'
EOF_CASES

# A zombie: a child of a shell that does not reap it while it sleeps.
sh -c 'sleep 0.1 & exec sleep 30' &
parent=$!
on_exit "kill $parent 2> /dev/null"
zombie=""
for ((i = 0; i < 100; i++)); do
    for c in $(children_of $parent); do
        [[ $(cut -d' ' -f3 "/proc/$c/stat" 2> /dev/null) == Z ]] && zombie=$c
    done
    [[ -n "$zombie" ]] && break
    sleep 0.1
done
[[ -n "$zombie" ]] || fail "no zombie child of $parent appeared"
run_connleak watch --once "$zombie"
expect_rc 125
expect_one_line "zombie" "has already exited"

run_connleak watch --once -o "$tmp/no-such-dir/out.json" "$idle"
expect_rc 125
expect_one_line "unwritable output" "cannot write"

# A process connleak may not inspect: as root, watch our own shell as
# nobody; otherwise pid 1 (root's) as ourselves.
RC=0
if [[ $EUID -eq 0 ]]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$CONNLEAK" watch --once $$ \
        > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
else
    "$CONNLEAK" watch --once 1 > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
fi
expect_rc 125
expect_one_line "not permitted" "not permitted to read the fds of pid"

run_connleak watch --once -- "$tmp/no-such-program"
expect_rc 127
expect_one_line "no such program" "cannot run"
printf '#!/bin/sh\necho never\n' > "$tmp/not-executable"
chmod 0644 "$tmp/not-executable"
run_connleak watch --once -- "$tmp/not-executable"
expect_rc 126
expect_one_line "not executable" "cannot run"
pass
