#!/usr/bin/env bash
# trace_dump: `connleak trace-dump` on the trace of a real program (format
# 3: binary records among JSON lines) prints one JSON object per record, as
# many opens and closes as the report counted; the dump, read back by
# `connleak report`, gives the same report as the trace itself; a version 1
# trace dumps as itself. Damage: a trace cut inside a binary record prints
# every record before it, names the cut one on stderr and exits 100; a byte
# of one overwritten, or a frame whose '\n' is gone, costs at most the rest
# of its segment (64 frames), each lost record named, and the report of such
# a trace is incomplete (--fail-on: 100); a damaged header line, or a JSON line with bytes after its
# object, is named and not printed, the rest is; a file that is no trace,
# no argument, an unknown option and an unwritable -o are one-line errors
# with exit 125.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
PYTHON=${PYTHON:-/usr/bin/python3}

run_json_traced -- "$SAMPLES/leaky_client" 5
expect_rc 0
raw=$trace_file
raw_dump=$trace

# one JSON object per record, and the records the report counted
jq -e -s 'all(type == "object")' "$trace" > /dev/null || fail "a dumped record is not an object"
[[ $(head -n1 "$trace" | jq -r '.t + " " + (.version | tostring)') == "hdr 3" ]] ||
    fail "the dump does not start with a version 3 header"
opened=$(jqr '.processes[0].opened')
[[ $(jq -s '[.[] | select(.t == "open")] | length' "$trace") -eq $opened ]] ||
    fail "the dump has $(jq -s '[.[] | select(.t == "open")] | length' "$trace") opens, the report $opened"
[[ $(jq -s '[.[] | select(.t == "close" and .last)] | length' "$trace") -eq $(jqr '.processes[0].closed') ]] ||
    fail "the dump's last closes differ from the report's count"
[[ $(head -c 64 "$raw" | tr -dc '\200-\377' | wc -c) -eq 0 ]] || fail "the header is not plain text"
[[ $(LC_ALL=C tr -dc '\200-\377' < "$raw" | wc -c) -gt 0 ]] || fail "the trace has no binary record"

# the dump reads back as the same report
cp "$REPORT" "$tmp/from-raw.json"
report_json "$raw"
jq -S 'del(.processes[].trace)' "$REPORT" > "$tmp/a.json"
report_json "$trace"
jq -S 'del(.processes[].trace)' "$REPORT" > "$tmp/b.json"
diff -u "$tmp/a.json" "$tmp/b.json" > "$tmp/diff" || fail "the dump reports differently: $(head -20 "$tmp/diff")"

# a version 1 trace dumps as itself
"$CONNLEAK" trace-dump "$SRC/tests/data/complete.jsonl" > "$tmp/v1.json" || fail "v1 dump failed"
grep -v '^[[:space:]]*$' "$SRC/tests/data/complete.jsonl" | cmp -s - "$tmp/v1.json" ||
    fail "a version 1 trace does not dump as itself"

# the offset and size of the first binary close record (tag 0x83)
frame_of() {
    "$PYTHON" - "$1" << 'EOF'
import sys
b = open(sys.argv[1], "rb").read()
at = b.index(b"\n") + 1
while at < len(b):
    if b[at] < 0x80:
        at = b.index(b"\n", at) + 1
        continue
    n, shift, i = 0, 0, at + 1
    while True:
        n |= (b[i] & 0x7F) << shift
        shift += 7
        i += 1
        if b[i - 1] < 0x80:
            break
    size = i - at + n + 1
    if b[at] & 0x1F == 3:  # a close (tag 0x80 | flags | 3)
        print(at, size)
        sys.exit(0)
    at += size
sys.exit(1)
EOF
}
read -r off size < <(frame_of "$raw") || fail "no binary close record in the trace"

# cut inside it: the records before it are printed, then one line on stderr
head -c $((off + size / 2)) "$raw" > "$tmp/cut.jsonl"
rc=0
"$CONNLEAK" trace-dump "$tmp/cut.jsonl" > "$tmp/cut.json" 2> "$tmp/cut.err" || rc=$?
[[ $rc -eq 100 ]] || fail "a cut trace: exit $rc, expected 100"
[[ $(wc -l < "$tmp/cut.err") -eq 1 ]] && grep -q 'cut short' "$tmp/cut.err" ||
    fail "a cut trace: stderr is: $(cat "$tmp/cut.err")"
before=$(head -c "$off" "$raw" > "$tmp/before.jsonl" && "$CONNLEAK" trace-dump "$tmp/before.jsonl" | wc -l)
[[ $(wc -l < "$tmp/cut.json") -eq $before ]] || fail "a cut trace lost records before the cut"

# one byte of it overwritten with its '\n' kept: it is lost, and the frames
# after it in its segment (written relative to it), each named on stderr
cp "$raw" "$tmp/bad.jsonl"
printf '\377' | dd of="$tmp/bad.jsonl" bs=1 seek=$((off + size - 2)) conv=notrunc status=none
rc=0
"$CONNLEAK" trace-dump "$tmp/bad.jsonl" > "$tmp/bad.json" 2> "$tmp/bad.err" || rc=$?
[[ $rc -eq 100 ]] || fail "a damaged record: exit $rc, expected 100"
lost=$(($(wc -l < "$trace") - $(wc -l < "$tmp/bad.json")))
[[ $lost -ge 1 && $lost -le 64 && $(wc -l < "$tmp/bad.err") -eq $lost ]] ||
    fail "a damaged record: $lost lost, stderr is: $(cat "$tmp/bad.err")"
grep -q 'not printed' "$tmp/bad.err" || fail "a damaged record: stderr is: $(cat "$tmp/bad.err")"
# and the report of that trace is incomplete: never clean, and --fail-on fails (100)
rc=0
"$CONNLEAK" report --fail-on any --format json -o "$tmp/bad.report" "$tmp/bad.jsonl" 2> /dev/null || rc=$?
[[ $rc -eq 100 && $(jq -r .status "$tmp/bad.report") == incomplete ]] ||
    fail "a damaged trace: report exit $rc, status $(jq -r .status "$tmp/bad.report"), want 100 incomplete"
"$CONNLEAK" report "$tmp/bad.jsonl" 2> /dev/null | grep -q "trace damaged: $lost records\? could not be read" ||
    fail "a damaged trace: the text report does not say so"

# a frame's '\n' overwritten: its length no longer lands on one, so it is
# lost, and so are the frames after it until the next anchor (one frame in
# 64 is one): at most 64 records lost of ~1,200
run_json_traced -- "$SAMPLES/timewait_churn" --count 400 --rate 0 --hold 0
big=$trace_file
total=$(wc -l < "$trace")
read -r off size < <(frame_of "$big") || fail "no binary close record in the churn trace"
cp "$big" "$tmp/nl.jsonl"
printf 'X' | dd of="$tmp/nl.jsonl" bs=1 seek=$((off + size - 1)) conv=notrunc status=none
rc=0
"$CONNLEAK" trace-dump "$tmp/nl.jsonl" > "$tmp/nl.json" 2> "$tmp/nl.err" || rc=$?
lost=$((total - $(wc -l < "$tmp/nl.json")))
[[ $rc -eq 100 && $lost -ge 1 && $lost -le 64 ]] ||
    fail "a frame without its newline: exit $rc, $lost of $total records lost (want 1..64)"

# a damaged header line: the records are still printed, the header named
{ printf '{"t":"hdr","format":"connleak-trace","vers\n'; tail -c +$(($(head -n1 "$raw" | wc -c) + 1)) "$raw"; } \
    > "$tmp/hdr.jsonl"
rc=0
"$CONNLEAK" trace-dump "$tmp/hdr.jsonl" > "$tmp/hdr.json" 2> "$tmp/hdr.err" || rc=$?
[[ $rc -eq 100 ]] && grep -q 'record 1: damaged header line' "$tmp/hdr.err" ||
    fail "a damaged header: exit $rc: $(cat "$tmp/hdr.err")"
[[ $(wc -l < "$tmp/hdr.json") -eq $(($(wc -l < "$raw_dump") - 1)) ]] ||
    fail "a damaged header: $(wc -l < "$tmp/hdr.json") records printed, want all but the header"

# a JSON line with bytes after its object: not printed as if it were one
{ head -n1 "$raw"; printf '{"t":"note","what":"x"} trailing {junk\n'; tail -c +$(($(head -n1 "$raw" | wc -c) + 1)) "$raw"; } \
    > "$tmp/trail.jsonl"
rc=0
"$CONNLEAK" trace-dump "$tmp/trail.jsonl" > "$tmp/trail.json" 2> "$tmp/trail.err" || rc=$?
[[ $rc -eq 100 ]] || fail "trailing bytes after a JSON record: exit $rc, expected 100"
jq -e -s 'length > 0' "$tmp/trail.json" > /dev/null || fail "the dump with a damaged line is not JSON"

# errors: one line, exit 125
for args in "/etc/passwd" "" "--bogus $raw" "-o /nonexistent/dir/x $raw" "$tmp/missing.jsonl"; do
    rc=0
    # shellcheck disable=SC2086
    "$CONNLEAK" trace-dump $args > /dev/null 2> "$tmp/err" || rc=$?
    [[ $rc -eq 125 ]] || fail "trace-dump $args: exit $rc, expected 125"
    grep -q '^connleak trace-dump: ' "$tmp/err" || fail "trace-dump $args: stderr: $(cat "$tmp/err")"
done
pass
