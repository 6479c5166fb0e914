#!/usr/bin/env bash
# marks_pertest: per-test attribution with one process per test. A runner
# forks and execs a child per test, each naming its test with connleak_mark,
# all under one `connleak run`: the two tests that leak at the same line are
# one finding listing both (and not the two that pass); JUnit has a
# testcase per test, failing for those two only, passing for the test that
# never opened a socket. The clean twin passes --fail-on leak.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/marks_lib.sh
source "$(dirname "$0")/marks_lib.sh"

prog=$SAMPLES/pertest_runner
expected_out="test pertest/closes: ok
test pertest/leaks_a: ok
test pertest/no_socket: ok
test pertest/leaks_b: ok"

bare=$(env -u LD_PRELOAD timeout 20 "$prog") || fail "without the preload $prog failed"
[[ "$bare" == "$expected_out" ]] || fail "without the preload: $bare"

run_json --junit "$tmp/j.xml" -- "$prog"
expect_rc 0
[[ "$(cat "$tmp/stdout")" == "$expected_out" ]] || fail "stdout under connleak: $(cat "$tmp/stdout")"
expect_json '.status' '"leaks"'
expect_json '.findings | length' 1
f=$(expect_site orphaned-socket pertest_runner.c leak-site open_connection 2)
[[ $(jq -c .tests <<< "$f") == '["pertest/leaks_a","pertest/leaks_b"]' ]] ||
    fail "the finding names the tests $(jq -c .tests <<< "$f")"
[[ $(jq '.pids | length' <<< "$f") -eq 2 ]] || fail "the finding is not in two processes"
expect_json '.tests' '["pertest/closes","pertest/leaks_a","pertest/no_socket","pertest/leaks_b"]'
expect_junit "$tmp/j.xml" "5 2 0
observed PASS
pertest/closes PASS
pertest/leaks_a FAIL
pertest/no_socket PASS
pertest/leaks_b FAIL"

run_connleak run -o "$tmp/r.txt" -- "$prog"
grep -q "· in 2 tests: pertest/leaks_a, pertest/leaks_b$" "$tmp/r.txt" ||
    fail "the text report does not name the tests: $(head -c 600 "$tmp/r.txt")"

run_json --fail-on leak --junit "$tmp/c.xml" -- "$prog" --clean
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_junit "$tmp/c.xml" "5 0 0
observed PASS
pertest/closes PASS
pertest/leaks_a PASS
pertest/no_socket PASS
pertest/leaks_b PASS"
pass
