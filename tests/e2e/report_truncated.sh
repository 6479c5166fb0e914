#!/usr/bin/env bash
# report_truncated: `connleak report` reads a kept trace (file or directory);
# on a copy cut in the middle of a line it still reports the 10 leaks,
# rebuilt from the open/close records, marks the process incomplete and says
# so in a note.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

mkdir "$tmp/traces" "$tmp/cut"
run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/leaky_client" 10
expect_rc 0
traces=("$tmp"/traces/connleak-*.jsonl)
[[ ${#traces[@]} -eq 1 && -f "${traces[0]}" ]] || fail "expected one kept trace, found: $(ls "$tmp/traces")"
trace=${traces[0]}

report_json "$tmp/traces"
expect_rc 0
expect_json '.status' '"leaks"'
expect_json '.program' null
expect_json '.processes[0].complete' true
expect_site orphaned-socket leaky_client.c leak-site open_connection 10 > /dev/null

# Cut in the middle of the first "live" record: every open record survives,
# the live records and the end record do not.
# (live records are JSON lines; the binary records before them hold any
# byte, so the cut is found by byte offset, not by line number)
# (no `| head` after a writer: under pipefail its SIGPIPE would fail the test)
before=$(grep -a -b -o -m1 '{"t":"live"' "$trace" | cut -d: -f1)
[[ -n "$before" ]] || fail "the trace has no live record"
tail -c +$((before + 1)) "$trace" > "$tmp/from-live"
len=$(sed -n 1p "$tmp/from-live" | wc -c)
head -c $((before + len / 2)) "$trace" > "$tmp/cut/trace.jsonl"
[[ $(tail -c1 "$tmp/cut/trace.jsonl" | od -An -c | tr -d ' ') != '\n' ]] || fail "the cut copy ends with a newline"

report_json "$tmp/cut/trace.jsonl"
expect_rc 0
expect_json '.status' '"leaks"'
expect_json '.processes[0].complete' false
expect_json '.notes | length > 0' true
expect_json '.summary["orphaned-socket"]' 10
expect_site orphaned-socket leaky_client.c leak-site open_connection 10 > /dev/null
pass
