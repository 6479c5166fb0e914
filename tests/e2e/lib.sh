# shellcheck shell=bash
# lib.sh - helpers shared by the end-to-end tests (sourced, not run).
#
# Each test runs real samples under the real `connleak run`, reads the JSON
# report (docs/report-json.md) with jq and fails with a message naming what
# differed. The environment comes from tests/e2e/e2e.cmake:
#   CONNLEAK  the connleak binary     SAMPLES  build/samples     SRC  the source tree
# A test gets a private $tmp, removed on exit together with anything it
# registered with on_exit (background servers).
set -euo pipefail

: "${CONNLEAK:?CONNLEAK must point to the connleak binary}"
: "${SAMPLES:?SAMPLES must point to build/samples}"
: "${SRC:?SRC must point to the source tree}"

TEST_NAME=$(basename "$0" .sh)
tmp=$(mktemp -d -t "connleak-e2e-$TEST_NAME.XXXXXX")
# connleak's own temporary trace directories (kept when a trace is partial)
# land in $tmp too, and go with it.
export TMPDIR="$tmp"
# Every test runs with the sampler on (as users do), but only the tests of
# the sampler's findings want a TIME_WAIT storm: a program slowed past its
# first sample on a loaded machine could otherwise show one next to what
# its test is about. Those tests set CONNLEAK_TW_MIN themselves.
export CONNLEAK_TW_MIN="${CONNLEAK_TW_MIN:-1000000}"
# The decompressed debug files connleak caches (README, CONNLEAK_CACHE_DIR)
# go to the build tree, shared by the tests, never to the tester's home.
export CONNLEAK_CACHE_DIR="${CONNLEAK_CACHE_DIR-$SAMPLES/../test-cache}"
REPORT="$tmp/r.json"
RC=0
_exit_hooks=()

_cleanup() {
    local h
    for h in "${_exit_hooks[@]+"${_exit_hooks[@]}"}"; do eval "$h" || true; done
    rm -rf "$tmp"
}
trap _cleanup EXIT

# on_exit CMD: runs CMD (a string) when the test ends, however it ends.
on_exit() { _exit_hooks+=("$1"); }

# fail MSG...: prints MSG, connleak's stderr and the report, and stops the test.
fail() {
    echo "FAIL [$TEST_NAME]: $*" >&2
    if [[ -s "$tmp/stderr" ]]; then
        echo "--- stderr of the last run (last 20 lines):" >&2
        tail -n 20 "$tmp/stderr" >&2
    fi
    if [[ -s "$REPORT" ]]; then
        echo "--- report (summary and findings):" >&2
        jq -c '{status, program, processes, summary, notes,
                findings: [.findings[]? | {kind, count, pids, top_frame}]}' "$REPORT" >&2 ||
            head -c 2000 "$REPORT" >&2
    fi
    exit 1
}

pass() { echo "PASS [$TEST_NAME]"; }

# marker_line FILE [NAME]: the line number of the one "connleak-test: NAME"
# marker in FILE, a C comment ("... NAME */") or a Go or Python one ("// ...
# NAME", "# ... NAME" at the end of the line) (NAME defaults to leak-site).
marker_line() {
    local file=$1 name=${2:-leak-site} lines
    lines=$(grep -nE "connleak-test: $name( \*/|\$)" "$file" | cut -d: -f1)
    [[ -n "$lines" ]] || fail "no 'connleak-test: $name' marker in $file"
    [[ $(wc -l <<< "$lines") -eq 1 ]] || fail "more than one '$name' marker in $file"
    echo "$lines"
}

# run_connleak ARGS...: runs "$CONNLEAK ARGS", bounded in time, with stdout and
# stderr in $tmp/stdout and $tmp/stderr; its exit code goes to $RC.
run_connleak() {
    RC=0
    timeout -k 5 45 "$CONNLEAK" "$@" > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
    [[ $RC -ne 124 ]] || fail "connleak $* timed out"
}

# run_json [RUN OPTIONS...] -- PROG ARGS: `connleak run --format json -o
# $REPORT ...`; checks that the report is one JSON document.
run_json() {
    rm -f "$REPORT"
    run_connleak run --format json -o "$REPORT" "$@"
    [[ -s "$REPORT" ]] || fail "connleak run $* wrote no report (exit $RC)"
    jq -e 'type == "object"' "$REPORT" > /dev/null || fail "the report is not a JSON object"
}

# trace_dump TRACE... OUT: OUT gets the traces as JSON Lines, their binary
# records (trace format 2) decoded by `connleak trace-dump`: what jq and
# grep read.
trace_dump() {
    local rc=0 out=${*: -1}
    "$CONNLEAK" trace-dump "${@:1:$#-1}" > "$out" 2> "$tmp/dump.err" || rc=$?
    [[ $rc -eq 0 ]] || fail "connleak trace-dump ${*:1:$#-1}: exit $rc: $(head -n 3 "$tmp/dump.err")"
}

# run_json_traced ARGS...: run_json, keeping the traces in a directory of
# their own; $trace_file is then the trace file (of the first process, when
# there are several) and $trace all of them as JSON Lines (trace_dump).
run_json_traced() {
    local dir
    dir=$(mktemp -d "$tmp/traces.XXXXXX")
    run_json --keep-traces --trace-dir "$dir" "$@"
    trace_file=$(ls "$dir"/connleak-*.jsonl | head -n 1)
    trace=$dir.json
    trace_dump "$dir"/connleak-*.jsonl "$trace"
}

# report_json TRACE|DIR...: `connleak report --format json` into $REPORT.
report_json() {
    rm -f "$REPORT"
    run_connleak report --format json "$@"
    cp "$tmp/stdout" "$REPORT"
}

# jqr FILTER [JQ ARGS...]: FILTER applied to the report, compact output.
jqr() {
    local filter=$1
    shift
    jq -c "$@" "$filter" "$REPORT" || fail "jq filter failed: $filter"
}

# expect_json FILTER EXPECTED [JQ ARGS...]: FILTER's compact output must be
# EXPECTED (JSON text, e.g. 10, true, "\"clean\"").
expect_json() {
    local filter=$1 expected=$2 actual
    shift 2
    actual=$(jqr "$filter" "$@")
    [[ "$actual" == "$expected" ]] || fail "$filter is $actual, expected $expected"
}

# expect_rc N: the last connleak exit code must be N.
expect_rc() {
    [[ $RC -eq $1 ]] || fail "connleak exited $RC, expected $1"
}

# expect_site KIND FILE MARKER FUNCTION COUNT: exactly one finding of KIND
# whose top frame is FUNCTION at FILE (a path under samples/, compared by
# basename):line-of-MARKER, with COUNT. Prints that finding (compact JSON)
# for further checks.
expect_site() {
    local kind=$1 file=$2 marker=$3 func=$4 count=$5 line matches
    line=$(marker_line "$SRC/samples/$file" "$marker")
    matches=$(jq -c --arg k "$kind" --arg f "${file##*/}" --argjson l "$line" \
        '[.findings[] | select(.kind == $k and .top_frame != null and .top_frame.line == $l
                             and ((.top_frame.file // "") | split("/") | last) == $f)]' "$REPORT")
    [[ $(jq length <<< "$matches") -eq 1 ]] ||
        fail "expected one $kind finding at $file:$line ($marker), found $(jq length <<< "$matches")"
    [[ $(jq -r '.[0].top_frame.function' <<< "$matches") == "$func" ]] ||
        fail "$kind at $file:$line: top frame is $(jq -c '.[0].top_frame' <<< "$matches"), expected $func"
    [[ $(jq '.[0].count' <<< "$matches") -eq $count ]] ||
        fail "$kind at $file:$line: count $(jq '.[0].count' <<< "$matches"), expected $count"
    jq -c '.[0]' <<< "$matches"
}

# expect_leaked_at FILE MARKER FUNC COUNT: COUNT sockets left open at the
# marked line, as orphaned-socket or close-wait-pile findings: a leaked
# socket whose peer closed (EOF read) more than a second before the exit
# counts as CLOSE_WAIT, which a slow (loaded) run can make happen for some.
expect_leaked_at() {
    local file=$1 marker=$2 func=$3 count=$4 line got
    line=$(marker_line "$SRC/samples/$file" "$marker")
    got=$(jq --arg f "$file" --arg fn "$func" --argjson l "$line" '
        [.findings[] | select((.kind == "orphaned-socket" or .kind == "close-wait-pile")
                              and .top_frame != null and .top_frame.line == $l
                              and .top_frame.function == $fn
                              and ((.top_frame.file // "") | split("/") | last) == $f)
         | .count] | add // 0' "$REPORT")
    [[ $got -eq $count ]] || fail "$got sockets left open at $file:$line ($func), expected $count"
}

# children_of PID: the pids of PID's children, one per line (from /proc,
# so that the tests need no procps).
children_of() {
    local stat rest ppid
    for stat in /proc/[0-9]*/stat; do
        rest=$(cat "$stat" 2> /dev/null) || continue
        rest=${rest##*) } # after the command name, which may hold spaces
        read -r _ ppid _ <<< "$rest"
        if [[ "$ppid" == "$1" ]]; then
            stat=${stat#/proc/}
            echo "${stat%/stat}"
        fi
    done
}

# wait_for_file FILE [TENTHS]: waits until FILE is non-empty (default 10 s).
wait_for_file() {
    local i
    for ((i = 0; i < ${2:-100}; i++)); do
        [[ -s "$1" ]] && return 0
        sleep 0.1
    done
    fail "$1 stayed empty"
}

# named_desc PID PROG: the highest descendant of PID running PROG (by its
# name: nginx's master, not a worker), or "". Reads /proc/PID/task/*/children:
# no subshell that could fail (a failing $(children_of) runs the EXIT trap).
named_desc() {
    local level=$1 next c
    while [[ -n $level ]]; do
        next=""
        for c in $level; do
            [[ $(cat "/proc/$c/comm" 2> /dev/null) == "${2##*/}" && $c != "$1" ]] && echo "$c" && return 0
            next="$next $(cat /proc/"$c"/task/*/children 2> /dev/null || true)"
        done
        level=${next// /}
        [[ -n $level ]] && level=$next
    done
    return 0
}
