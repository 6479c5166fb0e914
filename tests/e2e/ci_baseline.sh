#!/usr/bin/env bash
# ci_baseline: --baseline and `report --diff` as a CI job uses them. A small
# program leaking one socket is built, run, and its JSON report kept as the
# baseline; the program rebuilt with its lines shifted still passes
# --fail-on with --baseline (the fingerprint has no lines, no addresses);
# rebuilt with a second leak in a new function, it fails, and only the new
# finding is reported; `report --diff` says new / fixed / still present and
# fails only on new findings. Then the samples: leaky_client's baseline
# against a trace directory holding leaky_client and two_sites.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

CC=${CC:-cc}
command -v "$CC" > /dev/null || fail "no C compiler ($CC) to build the test program"

# build VERSION: $tmp/prog from the source below; SHIFT blank lines at the
# top move every line; NEW=1 adds a second leaking function.
build() {
    local shift=$1 new=$2
    {
        for ((i = 0; i < shift; i++)); do echo; done
        cat << 'C'
#include <sys/socket.h>
#include <unistd.h>
__attribute__((noinline)) static int keep_socket(void) { return socket(AF_INET, SOCK_STREAM, 0); }
C
        if [[ $new == 1 ]]; then
            echo '__attribute__((noinline)) static int new_leak(void) { return socket(AF_INET, SOCK_DGRAM, 0); }'
        else
            echo '__attribute__((noinline)) static int new_leak(void) { return -1; }'
        fi
        cat << 'C'
int main(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0) close(fd);
    return keep_socket() < 0 || new_leak() == -2;
}
C
    } > "$tmp/prog.c"
    "$CC" -g -O0 -o "$tmp/prog" "$tmp/prog.c" || fail "cannot build the test program"
}

base="$tmp/base.json"
build 0 0
run_json --fail-on leak -- "$tmp/prog"
expect_rc 99
cp "$REPORT" "$base"
fp=$(jq -r '.findings[0].fingerprint' "$base")
line0=$(jq -r '.findings[0].top_frame.line' "$base")

# the same leak, rebuilt 7 lines down: known, passes, counted as known
build 7 0
run_json --fail-on leak --baseline "$base" -- "$tmp/prog"
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.baseline | {known_findings, known_count}' '{"known_findings":1,"known_count":1}'
run_json -- "$tmp/prog"
cp "$REPORT" "$tmp/same.json"
expect_json '.findings[0].fingerprint' "\"$fp\""
expect_json '.findings[0].top_frame.line' "$((line0 + 7))"

# a new leak: fails, and only it is reported
build 7 1
run_json --fail-on leak --baseline "$base" -- "$tmp/prog"
expect_rc 99
expect_json '[.findings[] | .top_frame.function]' '["new_leak"]'
expect_json '.baseline.known_findings' 1
run_json -- "$tmp/prog"
cp "$REPORT" "$tmp/new.json"

# report --diff: text, JSON, exit codes
run_connleak report --diff --fail-on leak "$base" "$tmp/new.json"
expect_rc 99
grep -q ": 1 new, 0 fixed, 1 still present\$" "$tmp/stdout" || fail "diff headline: $(cat "$tmp/stdout")"
grep -Eq '^  new +orphaned-socket \(count 1\) at new_leak \(prog.c:[0-9]+\)' "$tmp/stdout" ||
    fail "diff does not show new_leak as new: $(cat "$tmp/stdout")"
grep -Eq "^  still present +orphaned-socket \\(count 1\\) at keep_socket .*\\[$fp\\]\$" "$tmp/stdout" ||
    fail "diff does not show keep_socket as still present: $(cat "$tmp/stdout")"
run_connleak report --diff --fail-on double-close "$base" "$tmp/new.json"
expect_rc 0 # new, but not of a --fail-on kind
run_connleak report --diff --fail-on leak "$base" "$tmp/same.json"
expect_rc 0
grep -q ": 0 new, 0 fixed, 1 still present\$" "$tmp/stdout" || fail "same: $(cat "$tmp/stdout")"
run_connleak report --diff --fail-on leak --format json "$tmp/new.json" "$base"
expect_rc 0
cp "$tmp/stdout" "$REPORT"
expect_json '[.new, .fixed, .still_present] | map(length)' '[0,1,1]'
expect_json '.fixed[0].top_frame.function' '"new_leak"'
expect_json '[.old_report, .new_report]' "[\"$tmp/new.json\",\"$base\"]"
run_connleak report --diff "$base"
expect_rc 125
run_connleak report --diff "$base" "$SRC/README.md"
expect_rc 125

# the samples: leaky_client's baseline against leaky_client + two_sites
dir="$tmp/traces"
run_json --fail-on leak -- "$SAMPLES/leaky_client" 3
cp "$REPORT" "$tmp/lc.json"
run_connleak run --trace-dir "$dir" -- "$SAMPLES/leaky_client" 3
run_connleak run --trace-dir "$dir" -- "$SAMPLES/two_sites"
run_connleak report --format json --fail-on leak --baseline "$tmp/lc.json" "$dir"
expect_rc 99
cp "$tmp/stdout" "$REPORT"
expect_json '[.findings[] | .top_frame.function] | unique' '["open_socket"]'
expect_json '.summary.findings' 2
expect_json '.baseline.known_findings' 1
run_connleak report --baseline "$tmp/missing.json" "$dir"
expect_rc 125
grep -q "missing.json: cannot read the baseline" "$tmp/stderr" || fail "no error for a missing baseline"
pass
