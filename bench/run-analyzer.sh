#!/usr/bin/env bash
# run-analyzer.sh - how long `connleak report` takes on a trace of N
# connections (default 1,000,000; one in ten leaked), median of R runs.
#
#   bench/run-analyzer.sh [--build DIR] [-n CONNECTIONS] [-r ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/../build"
n=1000000
rounds=3
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [-n CONNECTIONS] [-r ROUNDS]" >&2; exit 2 ;;
    esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/gen-trace.py" "$n" "$tmp/connleak-4242.jsonl"
size=$(du -m "$tmp/connleak-4242.jsonl" | cut -f1)
times=()
for ((i = 0; i < rounds; i++)); do
    t0=$(date +%s.%N)
    "$build/connleak" report --format json -o "$tmp/r.json" "$tmp/connleak-4242.jsonl"
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
leaked=$(jq '.summary["orphaned-socket"]' "$tmp/r.json")
printf 'analyzer: %d connections (%d MB trace, %d leaked): median %.2f s over %d runs\n' \
    "$n" "$size" "$leaked" "$median" "$rounds"
