#!/usr/bin/env bash
# check.sh CONNLEAK: runs a connleak built with ASan and UBSan
# (-fno-sanitize-recover=undefined) as `connleak report`, text and JSON, over
# every checked-in trace: the golden cases (with their options from
# tests/golden/cases.txt), tests/data/*.jsonl and tests/data/fork, and the
# hostile traces of tests/sanitize/traces/. Fails, naming the input and
# the sanitizer's first lines, on any report of either sanitizer; the
# report's own exit code (0, or 125 for a file that is not a trace) is not
# judged here: the golden test does that.
set -uo pipefail
connleak=${1:?usage: check.sh CONNLEAK}
cd "$(dirname "$0")/../.." || exit 2
for v in $(env | sed -n 's/^\(CONNLEAK_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export LC_ALL=C NO_COLOR=1 DEBUGINFOD_URLS=
export ASAN_OPTIONS=exitcode=86:abort_on_error=0:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:exitcode=86:print_stacktrace=1
err=$(mktemp)
trap 'rm -f "$err"' EXIT

inputs=()
for d in tests/golden/traces/*/; do inputs+=("${d%/}"); done
for f in tests/data/*.jsonl tests/sanitize/traces/*.jsonl; do inputs+=("$f"); done
inputs+=(tests/data/fork)

fails=0 n=0
for in in "${inputs[@]}"; do
    name=$(basename "$in" .jsonl)
    [[ $in == tests/data/* ]] && name=data_$name
    opts=$(awk -v n="$name" '$1 == n { $1 = ""; print; exit }' tests/golden/cases.txt)
    for fmt in text json; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        timeout -k 5 60 "$connleak" report --format "$fmt" $opts "$in" > /dev/null 2> "$err"
        rc=$?
        if [[ $rc == 86 || $rc -ge 124 && $rc != 125 ]] ||
            grep -q 'runtime error\|Sanitizer' "$err"; then
            echo "sanitize: $in ($fmt): exit $rc" >&2
            grep -m 8 'runtime error\|ERROR\|SUMMARY\|    #[0-9]' "$err" >&2
            fails=$((fails + 1))
        fi
    done
done
if [[ $fails -gt 0 ]]; then
    echo "sanitize: $fails of $n runs reported by ASan/UBSan" >&2
    exit 1
fi
echo "sanitize: $n runs clean under ASan and UBSan"
