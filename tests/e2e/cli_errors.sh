#!/usr/bin/env bash
# cli_errors: connleak's own errors exit 125 with one line on stderr; a
# program that cannot be found or run gives 127 / 126; an unusable trace
# directory and unreadable report inputs are errors too (125).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

expect_one_line() {
    [[ $(wc -l < "$tmp/stderr") -eq 1 && -n $(tr -d '[:space:]' < "$tmp/stderr") ]] ||
        fail "$1: expected exactly one line on stderr, got: $(head -c 500 "$tmp/stderr")"
}

for args in "run --no-such-flag" "run --format yaml" "run --fail-on=no-such-kind" \
    "run --depth not-a-number" "no-such-command"; do
    # shellcheck disable=SC2086
    run_connleak $args -- "$SAMPLES/clean_client" 1
    expect_rc 125
    expect_one_line "connleak $args"
    [[ ! -s "$tmp/stdout" ]] || fail "connleak $args: the program ran or stdout is not empty"
done

run_connleak run --format json -o "$REPORT" -- "$tmp/no-such-program"
expect_rc 127
if [[ -s "$REPORT" ]]; then expect_json '.status' '"no-trace"'; fi

printf '#!/bin/sh\necho never\n' > "$tmp/not-executable"
chmod 0644 "$tmp/not-executable"
run_connleak run -- "$tmp/not-executable"
expect_rc 126

: > "$tmp/a-file"
run_connleak run --trace-dir "$tmp/a-file" -- "$SAMPLES/clean_client" 1
expect_rc 125
expect_one_line "--trace-dir on a file"
run_connleak run --trace-dir /proc/forbidden -- "$SAMPLES/clean_client" 1
expect_rc 125
expect_one_line "--trace-dir /proc/forbidden"

head -c 4096 /dev/urandom > "$tmp/garbage.jsonl"
run_connleak report --format json "$tmp/garbage.jsonl"
expect_rc 125
printf 'this is not a trace\n{"t":"nope"}\n' > "$tmp/text.jsonl"
run_connleak report "$tmp/text.jsonl"
expect_rc 125
run_connleak report "$tmp/no-such-trace.jsonl"
expect_rc 125

# CONNLEAK_DUMP_SIGNAL may only name USR1, USR2 or RTMIN+n: SEGV would make
# a faulting program loop, ILL or INT would be masked. `run` refuses before
# the program starts; the library preloaded by hand installs nothing and
# says so in the trace.
for sig in 11 SEGV 4 SIGINT RTMIN+x; do
    CONNLEAK_DUMP_SIGNAL=$sig run_connleak run --backend preload -- "$SAMPLES/clean_client" 1
    expect_rc 125
    expect_one_line "CONNLEAK_DUMP_SIGNAL=$sig"
done
CONNLEAK_DUMP_SIGNAL=RTMIN+2 run_connleak run --backend preload -- true
expect_rc 0
lib="$(dirname "$CONNLEAK")/libconnleak.so"
mkdir "$tmp/ds"
CONNLEAK_DIR="$tmp/ds" CONNLEAK_DUMP_SIGNAL=SEGV LD_PRELOAD="$lib" "$SAMPLES/clean_client" 1 > /dev/null ||
    fail "clean_client failed with CONNLEAK_DUMP_SIGNAL=SEGV preloaded"
grep -qh '"what":"dump-signal-refused"' "$tmp"/ds/*.jsonl ||
    fail "no dump-signal-refused note in the trace"
pass
