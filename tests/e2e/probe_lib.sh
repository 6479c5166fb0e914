# shellcheck shell=bash
# probe_lib.sh - helpers of the probe backend's end-to-end tests (sourced
# after lib.sh). The probe needs root (CAP_BPF, CAP_PERFMON) and a kernel
# with BTF, tracepoints and uprobes: a test that cannot have them exits 77,
# which ctest reports as skipped with the reason printed here, never passed.

# probe_required: skips the test (exit 77) unless `connleak run --backend
# probe` can load its programs here.
probe_required() {
    local out rc=0
    out=$(timeout -k 5 30 "$CONNLEAK" run --backend probe --format json -o /dev/null -- true 2>&1) || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "SKIP [$TEST_NAME]: the probe backend cannot run here: $(head -n 3 <<< "$out")"
        exit 77
    fi
}

# go_marker_line FILE NAME: the line of the one "// connleak-test: NAME"
# marker in the Go source samples/go/FILE.
go_marker_line() {
    local lines
    lines=$(grep -nE "// connleak-test: $2\$" "$SRC/samples/go/$1" | cut -d: -f1)
    [[ -n "$lines" && $(wc -l <<< "$lines") -eq 1 ]] || fail "no single '$2' marker in samples/go/$1"
    echo "$lines"
}

# expect_go_site KIND FILE MARKER FUNCTION COUNT: exactly one finding of
# KIND whose top frame is FUNCTION at samples/go/FILE:line-of-MARKER, with
# COUNT. Prints that finding (compact JSON).
expect_go_site() {
    local kind=$1 file=$2 marker=$3 func=$4 count=$5 line matches
    line=$(go_marker_line "$file" "$marker")
    matches=$(jq -c --arg k "$kind" --arg f "$file" --argjson l "$line" \
        '[.findings[] | select(.kind == $k and .top_frame != null and .top_frame.line == $l
                             and ((.top_frame.file // "") | split("/") | last) == $f)]' "$REPORT")
    [[ $(jq length <<< "$matches") -eq 1 ]] ||
        fail "expected one $kind finding at $file:$line ($marker), found $(jq length <<< "$matches"): $(jq -c '[.findings[] | {kind, count, top_frame}]' "$REPORT")"
    [[ $(jq -r '.[0].top_frame.function' <<< "$matches") == "$func" ]] ||
        fail "$kind at $file:$line: top frame is $(jq -c '.[0].top_frame' <<< "$matches"), expected $func"
    [[ $(jq '.[0].count' <<< "$matches") -eq $count ]] ||
        fail "$kind at $file:$line: count $(jq '.[0].count' <<< "$matches"), expected $count"
    jq -c '.[0]' <<< "$matches"
}
