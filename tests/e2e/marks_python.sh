#!/usr/bin/env bash
# marks_python: per-test attribution from Python through ctypes
# (ctypes.CDLL(None).connleak_mark, as the README's pytest fixture does): the
# one orphaned-socket names the test that kept its connection, JUnit fails
# that test only; the clean twin is clean; without connleak the script runs
# the same (the lookup fails and marks nothing).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/marks_lib.sh
source "$(dirname "$0")/marks_lib.sh"

script=$SRC/samples/py/marks_unittest.py
env -u LD_PRELOAD timeout 30 "$PYTHON" "$script" > /dev/null 2> "$tmp/bare.err" ||
    fail "without connleak the script failed: $(tail -c 300 "$tmp/bare.err")"
grep -q "^OK$" "$tmp/bare.err" || fail "without connleak: $(tail -c 300 "$tmp/bare.err")"

run_json --junit "$tmp/j.xml" -- "$PYTHON" "$script"
expect_rc 0
grep -q "^Ran 3 tests" "$tmp/stderr" || fail "unittest output: $(tail -c 300 "$tmp/stderr")"
expect_json '.status' '"leaks"'
expect_json '[.findings[] | .kind]' '["orphaned-socket"]'
expect_json '.findings[0].tests' '["marks_unittest/test_leaks"]'
expect_json '.findings[0].count' 1
expect_json '.tests' '["marks_unittest/test_closes","marks_unittest/test_leaks","marks_unittest/test_no_socket"]'
expect_junit "$tmp/j.xml" "4 1 0
observed PASS
marks_unittest/test_closes PASS
marks_unittest/test_leaks FAIL
marks_unittest/test_no_socket PASS"

run_json --fail-on leak -- "$PYTHON" "$script" --clean
expect_rc 0
expect_json '.status' '"clean"'
pass
