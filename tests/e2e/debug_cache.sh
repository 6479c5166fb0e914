#!/usr/bin/env bash
# debug_cache: a report that needs a frame of a library whose debug file is
# compressed (Debian's libc6-dbg) writes a decompressed copy under
# $CONNLEAK_CACHE_DIR/debug/<build-id>.debug, and the reports made with the
# copy, without it (CONNLEAK_CACHE_DIR=""), and over a damaged copy are the
# same: libc's frames keep their file:line. A clean run writes no copy.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

libc=$(ldd "$SAMPLES/leaky_client" | awk '/libc\.so/ { print $3 }')
bid=$(readelf -n "$libc" 2> /dev/null | awk '/Build ID/ { print $3 }')
dbg=/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug
if [[ -z $bid || ! -f $dbg ]] || ! readelf -SW "$dbg" 2> /dev/null | grep -E '\.debug_info .* C ' > /dev/null; then
    echo "SKIP [$TEST_NAME]: no compressed debug file for $libc (install libc6-dbg)"
    exit 77
fi
export CONNLEAK_CACHE_DIR="$tmp/cache"
copy="$CONNLEAK_CACHE_DIR/debug/$bid.debug"

# the clean twin: nothing to show, nothing symbolised, no copy
run_json -- "$SAMPLES/clean_client" 3
expect_rc 0
expect_json '.summary.findings' 0
[[ ! -e $copy ]] || fail "a clean report wrote $copy"

run_json_traced -- "$SAMPLES/leaky_client" 3
expect_rc 0
expect_json '.summary["orphaned-socket"]' 3
[[ -f $copy ]] || fail "no decompressed copy of libc's debug file at $copy"
[[ $(stat -c %a "$copy") == 600 ]] || fail "the copy is not private: $(stat -c %a "$copy")"
readelf -SW "$copy" 2> /dev/null | grep -E '\.debug_info ' | grep -vE ' C ' > /dev/null ||
    fail "the copy's .debug_info is still compressed"
[[ $(readelf -n "$copy" 2> /dev/null | awk '/Build ID/ { print $3 }') == "$bid" ]] ||
    fail "the copy does not carry libc's build-id"
# libc's frames below main, from its DWARF: a function and a file:line
jq -e '[.findings[0].stack[] | select(.module | test("libc\\.so")) | select(.file and .line > 0)]
       | length > 0' "$REPORT" > /dev/null ||
    fail "no libc frame with file:line: $(jq -c '[.findings[0].stack[] | [.function, .file]]' "$REPORT")"
jq -c .findings "$REPORT" > "$tmp/run.findings"

# the reference: the report of the trace made from the original debug file
CONNLEAK_CACHE_DIR="" report_json "$trace"
cp "$REPORT" "$tmp/first.json"
cmp -s "$tmp/run.findings" <(jq -c .findings "$REPORT") ||
    fail "the findings of the run (which wrote the copy) differ from those without the cache"

same_report() { # same_report WHAT: the report of $trace now is the reference
    report_json "$trace"
    expect_rc 0
    cmp -s "$tmp/first.json" "$REPORT" ||
        fail "$1: the report differs: $(diff "$tmp/first.json" "$REPORT" | head -n 20)"
}
same_report "with the copy"
# a damaged copy is not used (no build-id): the original is read instead
echo garbage > "$copy"
same_report "over a damaged copy"
n=$(find "$CONNLEAK_CACHE_DIR" -type f | wc -l)
[[ $n -eq 1 ]] || fail "the cache holds $n files, expected the one copy: $(find "$CONNLEAK_CACHE_DIR" -type f)"
pass
