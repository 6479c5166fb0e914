#!/usr/bin/env bash
# run-report.sh - what connleak adds to a small program: the latency of
# `connleak report` on the kept trace of a small leaky and a clean sample,
# with the debug-file cache cold, warm and off, and the wall time of
# `connleak run -- PROG` against bare PROG (alternating, medians).
#
#   bench/run-report.sh [--build DIR] [-r ROUNDS]    (default 21 rounds)
#
# Prints medians of wall ms and of CPU ms (perf stat's task-clock, children
# included). The machine's load is printed first: on a shared box
# the wall times move with it, the CPU times much less.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/../build"
rounds=21
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    *) sed -n '6p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2 ;;
    esac
done
cl="$build/connleak"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset DEBUGINFOD_URLS

# one CMD...: "wall_ms cpu_ms" of one run of CMD (output thrown away)
one() {
    local t0 t1
    t0=$(date +%s%N)
    perf stat -x, -e task-clock -o "$tmp/t" "$@" > /dev/null 2>&1 || true
    t1=$(date +%s%N)
    awk -F, -v w=$(((t1 - t0) / 1000)) '/task-clock/ { printf "%.1f %.1f\n", w / 1000, $1 }' "$tmp/t"
}
# median FILE COLUMN
median() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# stat NAME FILE: prints the medians of FILE's wall and cpu columns
stat() { printf '%-34s wall %7.1f ms  cpu %7.1f ms  (%d runs)\n' "$1" "$(median "$2" 1)" "$(median "$2" 2)" "$(wc -l < "$2")"; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for prog in leaky_client clean_client; do
    mkdir -p "$tmp/$prog"
    "$cl" run --keep-traces --trace-dir "$tmp/$prog" -- "$build/samples/$prog" > /dev/null 2>&1 || true
    : > "$tmp/$prog.cold" && : > "$tmp/$prog.warm" && : > "$tmp/$prog.off"
    for ((i = 0; i < rounds; i++)); do
        rm -rf "$tmp/cache"
        CONNLEAK_CACHE_DIR="$tmp/cache" one "$cl" report "$tmp/$prog" >> "$tmp/$prog.cold"
        CONNLEAK_CACHE_DIR="$tmp/cache" one "$cl" report "$tmp/$prog" >> "$tmp/$prog.warm"
        CONNLEAK_CACHE_DIR="" one "$cl" report "$tmp/$prog" >> "$tmp/$prog.off"
    done
    stat "report $prog (cache cold)" "$tmp/$prog.cold"
    stat "report $prog (cache warm)" "$tmp/$prog.warm"
    stat "report $prog (cache off)" "$tmp/$prog.off"
done
export CONNLEAK_CACHE_DIR="$tmp/cache"
for prog in leaky_client clean_client; do
    : > "$tmp/$prog.bare" && : > "$tmp/$prog.run"
    for ((i = 0; i < rounds; i++)); do
        one "$build/samples/$prog" >> "$tmp/$prog.bare"
        one "$cl" run -- "$build/samples/$prog" >> "$tmp/$prog.run"
    done
    stat "bare $prog" "$tmp/$prog.bare"
    stat "connleak run -- $prog (cache warm)" "$tmp/$prog.run"
done
