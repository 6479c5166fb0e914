#!/usr/bin/env bash
# ci_sarif: `--format sarif` of real runs validates against the official
# SARIF 2.1.0 schema (tests/data/schemas, checked with Debian's
# python3-jsonschema); one result per finding, its rule id the kind, located
# at the top frame relative to --source-root, the opening stack as `stacks`,
# the baseline key (kind/fingerprint of the JSON report written in the same
# run with --json) as partialFingerprints. The clean twin: no result, valid.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
SCHEMA="$SRC/tests/data/schemas/sarif-schema-2.1.0.json"
"$PY" -c 'import jsonschema' 2> /dev/null || fail "python3-jsonschema is missing: run scripts/install-deps.sh"

# validate FILE: FILE against the SARIF schema. The copy of the schema we
# were given keeps the log file's schema under definitions/Root with nothing
# at its top level (the published one has it at the top level): as is, it
# would accept any document, so the root is pointed there. The check must
# refuse a document with a wrong version (below), so it cannot pass vacuously.
validate() {
    "$PY" - "$1" "$SCHEMA" << 'PY'
import json, sys
import jsonschema
doc, schema = (json.load(open(p)) for p in sys.argv[1:3])
if "properties" not in schema and "Root" in schema.get("definitions", {}):
    schema = dict(schema, **{"$ref": "#/definitions/Root"})
cls = jsonschema.validators.validator_for(schema)
errors = list(cls(schema).iter_errors(doc))
for e in errors[:5]:
    print("schema:", "/".join(map(str, e.absolute_path)), e.message[:300], file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# the check refuses a SARIF 2.0.0 document and one without runs
echo '{"version":"2.0.0","runs":[]}' > "$tmp/broken.sarif"
validate "$tmp/broken.sarif" 2> /dev/null && fail "the schema check accepts a SARIF 2.0.0 document"
echo '{"version":"2.1.0"}' > "$tmp/broken.sarif"
validate "$tmp/broken.sarif" 2> /dev/null && fail "the schema check accepts a document without runs"
echo '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"x"}]}]}' \
    > "$tmp/broken.sarif"
validate "$tmp/broken.sarif" 2> /dev/null && fail "the schema check accepts a result without message"

sarif="$tmp/out.sarif"
run_connleak run --format sarif -o "$sarif" --json "$tmp/r.json" --source-root "$SRC" \
    --fail-on leak -- "$SAMPLES/two_sites"
expect_rc 99
validate "$sarif" || fail "$sarif does not validate against the SARIF 2.1.0 schema"
line=$(marker_line "$SRC/samples/two_sites.c" stream-site)
jq -e '.version == "2.1.0" and (.runs | length) == 1' "$sarif" > /dev/null || fail "not one SARIF 2.1.0 run"
jq -e '[.runs[0].tool.driver.rules[].id] | index("orphaned-socket") != null and length == 13' \
    "$sarif" > /dev/null || fail "the rules are not the 13 kinds"
jq -e '.runs[0].tool.driver.rules[] | select(.id == "orphaned-socket") | .help.text | length > 10' \
    "$sarif" > /dev/null || fail "orphaned-socket has no help text"
[[ $(jq '.runs[0].results | length' "$sarif") -eq 2 ]] || fail "expected 2 results (two sites)"
res=$(jq -c --argjson l "$line" '.runs[0].results[]
    | select(.locations[0].physicalLocation.region.startLine == $l)' "$sarif")
[[ -n $res ]] || fail "no result at two_sites.c:$line"
jq -e '.ruleId == "orphaned-socket" and .level == "error" and .properties.count == 3
       and .locations[0].physicalLocation.artifactLocation == {"uri": "samples/two_sites.c", "uriBaseId": "SRCROOT"}
       and .locations[0].logicalLocations[0].fullyQualifiedName == "open_socket"
       and (.stacks[0].frames | length) >= 2
       and .stacks[0].frames[1].location.logicalLocations[0].fullyQualifiedName == "main"' \
    <<< "$res" > /dev/null || fail "the result at two_sites.c:$line is not as expected: $res"
root=$(jq -r '.runs[0].originalUriBaseIds.SRCROOT.uri' "$sarif")
[[ $root == "file://$(cd "$SRC" && pwd -P)/" ]] || fail "SRCROOT is $root"
# partialFingerprints: the JSON report's kind/fingerprint, the same run
want=$(jq -c '[.findings[] | "\(.kind)/\(.fingerprint)"] | sort' "$tmp/r.json")
got=$(jq -c '[.runs[0].results[].partialFingerprints["connleakFingerprint/v1"]] | sort' "$sarif")
[[ $want == "$got" ]] || fail "partialFingerprints $got, JSON report $want"

# default source root: the current directory
(cd "$SRC/samples" && "$CONNLEAK" run --format sarif -o "$tmp/cwd.sarif" -- "$SAMPLES/two_sites") 2> /dev/null
jq -e '.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri == "two_sites.c"' \
    "$tmp/cwd.sarif" > /dev/null || fail "paths are not relative to the current directory"

# the clean twin: valid, no result
run_connleak run --format sarif -o "$sarif" --fail-on leak -- "$SAMPLES/clean_client" 3
expect_rc 0
validate "$sarif" || fail "$sarif does not validate against the SARIF 2.1.0 schema"
jq -e '.runs[0].results == [] and .runs[0].properties.status == "clean"' "$sarif" > /dev/null ||
    fail "the clean twin has results"
pass
