#!/usr/bin/env bash
# run-sample.sh - what one sample of connleak's sampler costs, and how fast
# the trace of a long-running service grows.
#
#   bench/run-sample.sh [--build DIR] [--pairs N] [--seconds S]
#
# Runs bench/many_sockets with N loopback connections (2N tracked sockets,
# default N = 5000) under libconnleak.so with CONNLEAK_SAMPLE_MS=100 for S
# seconds (default 5), and prints the mean, median and maximum "us" (cost of
# one sample, measured by the sampler itself) of its sample records once all
# sockets are open, how many of them read the kernel's sockets ("walks"),
# the cost of the very first sample (which counts the fds whole) and the
# bytes of trace written per sample. Loopback only; bounded by timeout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/../build"
pairs=5000
secs=5
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    *) sed -n '5p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2 ;;
    esac
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ulimit -n $((2 * pairs + 100))
LD_PRELOAD="$build/libconnleak.so" CONNLEAK_DIR="$dir" CONNLEAK_SAMPLE_MS=100 \
    timeout $((secs + 60)) "$build/bench/many_sockets" "$pairs" "$secs"
trace=$(ls "$dir"/connleak-*.jsonl)
jq -s --argjson pairs "$pairs" '
  [.[] | select(.t == "sample" and .socks >= 2 * $pairs)] as $s
  | ($s | map(.us) | sort) as $us
  | {sockets: (2 * $pairs), samples: ($s | length),
     mean_cpu_us: (($us | add) / ($us | length) | floor),
     median_cpu_us: $us[(($us | length) / 2 | floor)], max_cpu_us: $us[-1],
     median_wall_us: ($s | map(.wall_us) | sort | .[(length / 2 | floor)]),
     walks: ($s | map(select(.tcp)) | length),
     first_cpu_us: ([.[] | select(.t == "sample")][0].us),
     bytes_per_sample: ([.[] | select(.t == "sample")][0] | tojson | length + 1)}' "$trace"
