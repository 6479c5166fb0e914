#!/usr/bin/env bash
# ci_suppress: suppressions as a CI job uses them (README, "connleak in CI").
# leaky_client fails --fail-on leak; the rule --gen-suppressions=FILE writes
# for it, applied with --suppressions (and with CONNLEAK_SUPPRESSIONS),
# makes the run pass, and the report counts what the rule took out; a rule
# that matched nothing is listed as stale; the clean twin has no finding and
# every rule stale; a bad suppression file is exit 125 naming file:line
# before the program runs; two call sites of one function (two_sites) get
# one generated rule, which takes both.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

gen="$tmp/gen.supp"
supp="$tmp/all.supp"

# 1. the leak fails the gate, and its rule is generated
run_json --fail-on leak --gen-suppressions="$gen" -- "$SAMPLES/leaky_client" 4
expect_rc 99
expect_json '.summary["orphaned-socket"]' 4
[[ -s $gen ]] || fail "--gen-suppressions=FILE wrote nothing"
grep -q '^kind orphaned-socket$' "$gen" || fail "the generated rule has no kind line: $(cat "$gen")"
grep -q '^frame open_connection file=leaky_client.c$' "$gen" ||
    fail "the generated rule does not name open_connection: $(cat "$gen")"
rule=$(sed -n 's/^rule //p' "$gen")
[[ $(wc -l <<< "$rule") -eq 1 ]] || fail "expected one generated rule, got: $rule"

# 2. the text report prints the same rule after the finding
run_connleak run --gen-suppressions -- "$SAMPLES/leaky_client" 2
expect_rc 0
grep -q "to suppress it, add to a --suppressions file:" "$tmp/stderr" ||
    fail "no rule after the finding in the text report"
grep -q "^    rule $rule\$" "$tmp/stderr" || fail "the text report's rule is not $rule"

# 3. applied, with a stale rule next to it: passes, counted, stale listed
{
    cat "$gen"
    printf '\nrule stale-one\ncomment nothing calls this\nkind leak\nframe no_such_function\n'
} > "$supp"
run_json --fail-on leak --suppressions "$supp" -- "$SAMPLES/leaky_client" 4
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.summary.findings' 0
expect_json '[.suppressed[] | {rule, findings, count}]' "[{\"rule\":\"$rule\",\"findings\":1,\"count\":4}]"
expect_json '[.stale_suppressions[].rule]' '["stale-one"]'
expect_json '.stale_suppressions[0].line' 9
expect_json '.stale_suppressions[0].file' "\"$supp\""

# the text report says the same in two lines
run_connleak run --fail-on leak --suppressions "$supp" -- "$SAMPLES/leaky_client" 4
expect_rc 0
grep -q "^connleak: suppressed 1 finding (count 4) by rule $rule ($supp:3)\$" "$tmp/stderr" ||
    fail "the text report does not count the suppressed finding"
grep -q "^connleak: 1 stale suppression (matched nothing): stale-one ($supp:9)\$" "$tmp/stderr" ||
    fail "the text report does not list the stale rule"

# 4. the same from CONNLEAK_SUPPRESSIONS (a colon list)
CONNLEAK_SUPPRESSIONS="$tmp/missing.supp::$supp" run_connleak run --fail-on leak -- \
    "$SAMPLES/leaky_client" 2
expect_rc 125
grep -q "^connleak: $tmp/missing.supp: cannot read the suppressions" "$tmp/stderr" ||
    fail "no error naming the missing file of CONNLEAK_SUPPRESSIONS"
CONNLEAK_SUPPRESSIONS="$supp:" run_json --fail-on leak -- "$SAMPLES/leaky_client" 2
expect_rc 0
expect_json '.suppressed[0].count' 2

# 5. the clean twin: no finding, so every rule is stale
run_json --fail-on leak --suppressions "$supp" -- "$SAMPLES/clean_client" 4
expect_rc 0
expect_json '.summary.findings' 0
expect_json '.suppressed' '[]'
expect_json '[.stale_suppressions[].rule]' "[\"$rule\",\"stale-one\"]"

# 6. a bad file: one line naming file:line, exit 125, the program not run
printf 'rule ok\nkind leak\n\nrule bad\nkind orphaned-sockets\n' > "$tmp/bad.supp"
run_connleak run --suppressions "$tmp/bad.supp" -- "$SAMPLES/leaky_client" 2
expect_rc 125
[[ $(wc -l < "$tmp/stderr") -eq 1 ]] || fail "expected one line on stderr: $(cat "$tmp/stderr")"
grep -q "^connleak: $tmp/bad.supp:5: bad kind 'orphaned-sockets'" "$tmp/stderr" ||
    fail "the error does not name $tmp/bad.supp:5: $(cat "$tmp/stderr")"
run_connleak report --suppressions "$tmp/missing.supp" "$SRC/tests/data/complete.jsonl"
expect_rc 125
grep -q "missing.supp: cannot read the suppressions" "$tmp/stderr" || fail "no error for a missing file"
# 7. two call sites in one function (two_sites): one generated rule covers
# both, so applying the file leaves no stale rule
run_json --gen-suppressions="$tmp/two.supp" -- "$SAMPLES/two_sites"
expect_json '.summary.findings' 2
[[ $(grep -c '^rule ' "$tmp/two.supp") -eq 1 ]] || fail "two_sites: not one rule: $(cat "$tmp/two.supp")"
run_json --fail-on leak --suppressions "$tmp/two.supp" -- "$SAMPLES/two_sites"
expect_rc 0
expect_json '[.suppressed[] | {findings, count}]' '[{"findings":2,"count":5}]'
expect_json '.stale_suppressions' '[]'
pass
