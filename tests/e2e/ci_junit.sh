#!/usr/bin/env bash
# ci_junit: `--format junit` and several outputs in one run (--format text
# --sarif FILE --junit FILE --json FILE). The XML is well-formed (python3
# xml.etree): one testsuite named after the program, a testcase per finding
# kind plus "observed", a failure per finding with its text; the clean twin
# has no failure. Suppressed findings are no failures.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# junit_check FILE: prints "SUITE TESTS FAILURES ERRORS N_FAILURE_ELEMENTS
# KINDS_FAILED" of a JUnit file, failing when it is not well-formed XML.
junit_check() {
    /usr/bin/python3 - "$1" << 'PY' || fail "$1 is not well-formed JUnit XML"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
(suite,) = root.findall("testsuite")
cases = suite.findall("testcase")
assert len(cases) == int(suite.get("tests")), "tests= is not the number of testcases"
failed = sorted({c.get("name") for c in cases if c.find("failure") is not None})
n = sum(len(c.findall("failure")) for c in cases)
for c in cases:
    for f in c.findall("failure"):
        assert f.text and c.get("name") in f.get("message"), "a failure without text"
print(suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors"), n,
      ",".join(failed))
PY
}

run_connleak run --format text --sarif "$tmp/o.sarif" --junit "$tmp/o.xml" --json "$tmp/o.json" \
    --fail-on leak -- "$SAMPLES/two_sites"
expect_rc 99
grep -q "^connleak: 5 sockets leaked by two_sites" "$tmp/stderr" || fail "no text report on stderr"
[[ -s $tmp/o.sarif && -s $tmp/o.json ]] || fail "--sarif or --json wrote nothing"
jq -e '.summary.findings == 2' "$tmp/o.json" > /dev/null || fail "--json report differs"
jq -e '.runs[0].results | length == 2' "$tmp/o.sarif" > /dev/null || fail "--sarif report differs"
got=$(junit_check "$tmp/o.xml")
[[ $got == "two_sites 14 1 0 2 orphaned-socket" ]] || fail "junit: $got"
grep -q "ORPHANED SOCKETS  3 still open at exit, opened in open_socket" "$tmp/o.xml" ||
    fail "the failure does not hold the finding's text"

# --format junit on stdout of report, with a suppression: no failure left
run_json --keep-traces --trace-dir "$tmp/tr" -- "$SAMPLES/two_sites"
printf 'rule two\nkind orphaned-socket\nframe open_socket file=two_sites.c\n' > "$tmp/s.supp"
run_connleak report --format junit --fail-on leak --suppressions "$tmp/s.supp" "$tmp/tr"
expect_rc 0
cp "$tmp/stdout" "$tmp/r.xml"
got=$(junit_check "$tmp/r.xml")
[[ $got == "two_sites 14 0 0 0 " ]] || fail "junit with suppression: $got"

# the clean twin
run_connleak run --format junit -o "$tmp/c.xml" -- "$SAMPLES/clean_client" 3
expect_rc 0
got=$(junit_check "$tmp/c.xml")
[[ $got == "clean_client 14 0 0 0 " ]] || fail "junit of the clean twin: $got"
pass
