#!/usr/bin/env bash
# check.sh CONNLEAK [--update]: renders every golden trace with the real
# `connleak report` (text and --format json) and compares the output
# byte for byte with the reports checked in under tests/golden/expected/.
# Inputs: each directory under tests/golden/traces/ (recorded by record.sh,
# sanitised) and each hand-written tests/data/*.jsonl (and tests/data/fork/).
# Report options for a case, if any, are in tests/golden/cases.txt.
# Nothing may depend on the machine: the traces' module paths do not exist
# (frames print unsymbolised), inputs are named relative to the checkout,
# colour is off, and no CONNLEAK_* variable reaches connleak.
# With --update the expected files are rewritten instead (review the diff).
set -uo pipefail
connleak=${1:?usage: check.sh CONNLEAK [--update]}
update=${2:-}
cd "$(dirname "$0")/../.." || exit 2
for v in $(env | sed -n 's/^\(CONNLEAK_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export LC_ALL=C TZ=UTC NO_COLOR=1
exp=tests/golden/expected
mkdir -p "$exp"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

inputs=()
for d in tests/golden/traces/*/; do inputs+=("${d%/}"); done
for f in tests/data/*.jsonl; do inputs+=("$f"); done
inputs+=(tests/data/fork)

fails=0 n=0
for in in "${inputs[@]}"; do
    name=$(basename "$in" .jsonl)
    [[ $in == tests/data/* ]] && name=data_$name
    opts=$(awk -v n="$name" '$1 == n { $1 = ""; print; exit }' tests/golden/cases.txt)
    for fmt in text json; do
        out=$tmp/$name.$fmt
        # shellcheck disable=SC2086
        timeout -k 5 30 "$connleak" report --color never --format "$fmt" $opts "$in" \
            > "$out" 2> "$tmp/err"
        rc=$?
        { echo "--- exit $rc"; echo "--- stderr"; cat "$tmp/err"; } >> "$out"
        n=$((n + 1))
        if [[ $update == --update ]]; then
            cp "$out" "$exp/$name.$fmt"
        elif ! cmp -s "$out" "$exp/$name.$fmt"; then
            echo "golden: $name ($fmt) differs from $exp/$name.$fmt:" >&2
            diff -u "$exp/$name.$fmt" "$out" | head -n 40 >&2
            fails=$((fails + 1))
        fi
    done
done
if [[ $update == --update ]]; then
    echo "golden: wrote $n reports to $exp"
    exit 0
fi
if [[ $fails -gt 0 ]]; then
    echo "golden: $fails of $n reports differ" >&2
    exit 1
fi
echo "golden: all $n reports identical"
