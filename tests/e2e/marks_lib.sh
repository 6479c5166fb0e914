# marks_lib.sh - what the per-test attribution tests share (marks_*.sh).
# shellcheck shell=bash

# junit_cases FILE: prints "TESTS FAILURES ERRORS" then one line per
# testcase, "NAME PASS|FAIL", failing when FILE is not well-formed JUnit
# XML or tests= / failures= disagree with its testcases.
junit_cases() {
    /usr/bin/python3 - "$1" << 'PY' || fail "$1 is not well-formed JUnit XML"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
(suite,) = root.findall("testsuite")
cases = suite.findall("testcase")
assert len(cases) == int(suite.get("tests")), "tests= is not the number of testcases"
failed = [c for c in cases if c.find("failure") is not None]
assert len(failed) == int(suite.get("failures")), "failures= is not the failed testcases"
print(suite.get("tests"), suite.get("failures"), suite.get("errors"))
for c in cases:
    print(c.get("name"), "FAIL" if c.find("failure") is not None else "PASS")
PY
}

# expect_junit FILE EXPECTED: junit_cases FILE must print EXPECTED.
expect_junit() {
    local got
    got=$(junit_cases "$1")
    [[ "$got" == "$2" ]] || fail "JUnit $1:"$'\n'"$got"$'\n'"expected:"$'\n'"$2"
}
