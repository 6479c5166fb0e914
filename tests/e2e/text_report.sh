#!/usr/bin/env bash
# text_report: the terminal report of leaky_client names the leak's call site
# as leaky_client.c:<line>, on stderr by default, in the file given with -o
# (then not on stderr), and on stdout for `connleak report`.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

line=$(marker_line "$SRC/samples/leaky_client.c" leak-site)
mkdir "$tmp/traces"
run_connleak run --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/leaky_client" 5
expect_rc 0
grep -q "leaky_client\.c:$line\b" "$tmp/stderr" ||
    fail "the text report does not mention leaky_client.c:$line"
grep -q "open_connection" "$tmp/stderr" || fail "the text report does not mention open_connection"

run_connleak run -o "$tmp/r.txt" -- "$SAMPLES/leaky_client" 5
expect_rc 0
grep -q "leaky_client\.c:$line\b" "$tmp/r.txt" || fail "-o r.txt does not mention leaky_client.c:$line"
if grep -q "leaky_client\.c:" "$tmp/stderr"; then fail "with -o the report still went to stderr"; fi

run_connleak report "$tmp/traces"
expect_rc 0
grep -q "leaky_client\.c:$line\b" "$tmp/stdout" ||
    fail "connleak report (text) does not mention leaky_client.c:$line on stdout"
pass
