#!/usr/bin/env bash
# own_fds: connleak's own fds (its trace, libunwind's pipe) are numbers the
# program never opened (issue 11 items 7 and 8). A close(3..65535) sweep, the
# same with syscall(SYS_close) (as libuv closes, issue 13 point 2),
# close_range, closefrom, fcntl and dup over every number give the program
# the same answers with and without connleak (before, each close of the
# trace fd "succeeded" and moved it to fd+1: 19,006 such closes in a sweep);
# the trace is never lost nor reopened and still ends with the one leak. A
# dup2 onto every number (connleak's among them) succeeds as without it.
# Opening sockets until EMFILE gives the same count: connleak's fds sit
# above the soft RLIMIT_NOFILE, where they cost the program nothing; where
# the limit cannot be raised at all (soft == hard, no CAP_SYS_RESOURCE) they
# take the top 3 numbers and the soft limit is lowered under them, so that
# the program gets all its limit says (README, Limits). After a close of them by a system
# call instruction (which no interposer sees), the
# numbers the program takes back are its own.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
PYTHON=${PYTHON:-/usr/bin/python3}

# limited ULIMIT_ARGS CMD...: CMD run under `ulimit ULIMIT_ARGS`, in a subshell.
limited() {
    local spec=$1
    shift
    (
        # shellcheck disable=SC2086
        ulimit $spec || exit 99
        exec "$@"
    )
}

# compare NAME ULIMIT_ARGS ARGS...: own_fds ARGS bare, then under `connleak
# run --backend preload` (trace kept in $trace), both under that limit;
# $tmp/bare.out is the bare output.
compare() {
    local name=$1 spec=$2 dir bare_rc=0
    shift 2
    limited "$spec" timeout -k 5 40 "$SAMPLES/own_fds" "$@" > "$tmp/bare.out" 2> "$tmp/bare.err" ||
        bare_rc=$?
    [[ $bare_rc -eq 0 ]] || fail "$name: own_fds $* failed without connleak ($bare_rc): $(cat "$tmp/bare.err")"
    dir=$(mktemp -d "$tmp/traces.XXXXXX")
    rm -f "$REPORT"
    RC=0
    limited "$spec" timeout -k 5 45 "$CONNLEAK" run --backend preload --format json -o "$REPORT" \
        --keep-traces --trace-dir "$dir" -- "$SAMPLES/own_fds" "$@" > "$tmp/stdout" 2> "$tmp/stderr" ||
        RC=$?
    [[ -s "$REPORT" ]] || fail "$name: no report (exit $RC)"
    trace=$(ls "$dir"/connleak-*.jsonl)
    grep -q '"t":"end"' "$trace" || fail "$name: the trace has no end record"
    if [[ $name != rawclose ]] && grep -q '"what":"trace-reopened"' "$trace"; then
        fail "$name: the trace fd was lost and reopened"
    fi
}

same_output() {
    diff -u "$tmp/bare.out" "$tmp/stdout" > "$tmp/diff" ||
        fail "$1: the program's output differs under connleak:$(echo; head -n 20 "$tmp/diff")"
}

compare sweep "-Sn $(ulimit -Sn)" sweep
same_output sweep
grep -q "close sweep closed [0-9]*, 0 errors" "$tmp/stdout" || fail "sweep: $(head -3 "$tmp/stdout")"
grep -q "syscall(SYS_close) sweep closed 2, 0 errors" "$tmp/stdout" || fail "sweep: $(head -3 "$tmp/stdout")"
expect_json '.findings | length' 1
expect_site orphaned-socket own_fds.c leak-site leak_socket 1 > /dev/null
expect_json '.summary["foreign-close"]' 0
expect_json '.processes[0].complete' true

# Started with a soft limit of 64, connleak's fds sit just above it; the
# program then raises its limit and dup2()s onto every number up to 299.
compare dup2 "-Sn 64" dup2
same_output dup2
grep -qx "own_fds: dup2 onto 3..299: 297 succeeded" "$tmp/stdout" || fail "dup2: $(cat "$tmp/stdout")"
expect_json '.status' '"clean"'
expect_json '.processes[0].complete' true

# A program that fills its limit to the last fd.
compare emfile-started-low "-Sn 64" emfile
same_output emfile-started-low
compare emfile-lowered "-Sn $(ulimit -Sn)" emfile 64
same_output emfile-lowered
bare=$(sed -nE 's/^own_fds: ([0-9]+) sockets.*/\1/p' "$tmp/bare.out")
[[ $bare -gt 50 ]] || fail "emfile: only $bare sockets without connleak"
expect_json '.summary["orphaned-socket"]' "$bare"
compare emfile-hard "-n 64" emfile
if (ulimit -n 64 && ulimit -Hn 72) 2> /dev/null; then # the hard limit can be raised: root
    same_output emfile-hard
fi

# Where the limit cannot be raised at all (soft == hard, no
# CAP_SYS_RESOURCE), connleak reserves the top of the range: its fds take
# the numbers just under the limit and the soft limit is lowered under
# them, so a program that sizes itself by getrlimit gets every fd its limit
# promises (before: limit 64, 57 sockets). Its exec'd, untraced children get
# the whole limit back.
if command -v setpriv > /dev/null; then
    noraise=(setpriv --bounding-set=-sys_resource --inh-caps=-sys_resource)
    limited "-n 64" "${noraise[@]}" "$SAMPLES/own_fds" budget > "$tmp/bare.out" 2>&1 || fail "budget: failed bare"
    grep -qx "own_fds: limit 64, [0-9]* in use, [0-9]* sockets: all of it" "$tmp/bare.out" ||
        fail "budget bare: $(cat "$tmp/bare.out")"
    limited "-n 64" "${noraise[@]}" "$CONNLEAK" run --backend preload --format json -o "$REPORT" -- \
        "$SAMPLES/own_fds" budget > "$tmp/stdout" 2> "$tmp/stderr" || true
    grep -qx "own_fds: limit 61, [0-9]* in use, [0-9]* sockets: all of it" "$tmp/stdout" ||
        fail "budget under connleak, limit not raisable: $(cat "$tmp/stdout" "$tmp/stderr")"
    expect_json '.processes[0].complete' true
    limited "-n 64" "${noraise[@]}" "$CONNLEAK" run --backend preload --no-follow-exec -- "$PYTHON" -c \
        "import os, resource
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], flush=True)
os.execv('/bin/sh', ['sh', '-c', 'ulimit -Sn'])" > "$tmp/stdout" 2> "$tmp/stderr" || true
    [[ "$(tr '\n' ' ' < "$tmp/stdout")" == "61 64 " ]] ||
        fail "exec: the limit was not given back to an untraced image: $(cat "$tmp/stdout" "$tmp/stderr")"
else
    echo "note: setpriv not found: the no-CAP_SYS_RESOURCE case was not run"
fi
# A close connleak cannot see (raw syscall) frees its numbers: once the
# program has them back they are the program's, and its close() of them
# must work (the trace is reopened elsewhere by path, with a note).
compare rawclose "-Sn $(ulimit -Sn)" rawclose
same_output rawclose
grep -qx "own_fds: numbers taken back and closed, 0 failures" "$tmp/stdout" || fail "rawclose: $(cat "$tmp/stdout")"
grep -q '"what":"trace-reopened"' "$trace" || fail "rawclose: the trace was not reopened"
pass
