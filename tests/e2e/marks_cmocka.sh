#!/usr/bin/env bash
# marks_cmocka: per-test attribution in one process (include/connleak.h). A
# cmocka runner whose three tests each call connleak_mark: the one
# orphaned-socket names exactly test_forgets_close (text, JSON, SARIF), not
# the test that opened and closed a connection at the same line; JUnit has a
# testcase per marked test, failing only for that one. The clean twin gives
# no finding and passes --fail-on leak. Without the preload the program
# (built with the header: a weak reference) runs unchanged. CONNLEAK_TEST
# names the test of a program that does not call connleak_mark.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/marks_lib.sh
source "$(dirname "$0")/marks_lib.sh"

prog=$SAMPLES/cmocka_tests
nm -D "$prog" | grep -qE '^ +w connleak_mark$' || fail "connleak_mark is not a weak reference in $prog"

# Not preloaded: the weak reference is NULL, the calls do nothing.
bare_rc=0
env -u LD_PRELOAD timeout 20 "$prog" > "$tmp/bare.out" 2> "$tmp/bare.err" || bare_rc=$?
[[ $bare_rc -eq 0 ]] || fail "without the preload $prog exited $bare_rc: $(head -c 300 "$tmp/bare.err")"
grep -q "3 test(s) run" "$tmp/bare.out" || fail "without the preload: $(head -c 300 "$tmp/bare.out")"
grep -q "PASSED.*3 test(s)" "$tmp/bare.err" || fail "without the preload: $(head -c 300 "$tmp/bare.err")"

run_json --junit "$tmp/j.xml" --sarif "$tmp/s.sarif" -- "$prog"
expect_rc 0
cmp -s "$tmp/bare.out" "$tmp/stdout" || fail "the program's stdout differs under connleak"
expect_json '.status' '"leaks"'
expect_json '.findings | length' 1
f=$(expect_site orphaned-socket cmocka_tests.c leak-site open_connection 1)
[[ $(jq -c .tests <<< "$f") == '["cmocka_tests/test_forgets_close"]' ]] ||
    fail "the finding names the tests $(jq -c .tests <<< "$f")"
expect_json '.tests' \
    '["cmocka_tests/test_connect_and_close","cmocka_tests/test_parse_port","cmocka_tests/test_forgets_close"]'
jq -e '.runs[0].results[0].properties.tests == ["cmocka_tests/test_forgets_close"]' "$tmp/s.sarif" \
    > /dev/null || fail "SARIF: $(jq -c '.runs[0].results[0].properties' "$tmp/s.sarif")"
expect_junit "$tmp/j.xml" "4 1 0
observed PASS
cmocka_tests/test_connect_and_close PASS
cmocka_tests/test_parse_port PASS
cmocka_tests/test_forgets_close FAIL"

# The text report says it on the finding's line.
run_connleak run -o "$tmp/r.txt" -- "$prog"
grep -q "· in test cmocka_tests/test_forgets_close$" "$tmp/r.txt" ||
    fail "the text report does not name the test: $(head -c 600 "$tmp/r.txt")"

# The clean twin: no finding, --fail-on leak passes, every test passes.
run_json --fail-on leak --junit "$tmp/c.xml" -- "$SAMPLES/cmocka_tests_clean"
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_json '.tests | length' 3
expect_junit "$tmp/c.xml" "4 0 0
observed PASS
cmocka_tests/test_connect_and_close PASS
cmocka_tests/test_parse_port PASS
cmocka_tests/test_forgets_close PASS"

# CONNLEAK_TEST: the initial mark of a process that never calls connleak_mark.
CONNLEAK_TEST=env/leaky_client run_json -- "$SAMPLES/leaky_client" 2
expect_rc 0
f=$(expect_site orphaned-socket leaky_client.c leak-site open_connection 2)
[[ $(jq -c .tests <<< "$f") == '["env/leaky_client"]' ]] || fail "CONNLEAK_TEST: $(jq -c .tests <<< "$f")"

# No mark at all: no "tests" anywhere, JUnit a testcase per kind as before.
run_json --junit "$tmp/k.xml" -- "$SAMPLES/leaky_client" 2
expect_json '[.tests, .findings[0].tests]' '[null,null]'
[[ $(junit_cases "$tmp/k.xml" | head -n1) == "14 1 0" ]] || fail "JUnit without marks: $(head -n1 "$tmp/k.xml")"
pass
