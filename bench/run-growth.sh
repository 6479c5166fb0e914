#!/usr/bin/env bash
# run-growth.sh - how fast the trace of a busy long-running client grows.
#
#   bench/run-growth.sh [--build DIR] [-n CONNECTIONS] [--detail N]
#
# Starts samples/http_server, runs bench/churn_client for N connections
# (default 20000, one request each) under libconnleak.so with
# CONNLEAK_DETAIL_SOCKETS=N (default 0: counters from the first socket, as a
# service is after its first 10,000) and CONNLEAK_SAMPLE_MS=1000, and prints
# the trace size, the connections per second, and the trace growth per hour
# at that rate, from the bytes written after the fixed start (header,
# module map). Loopback only; bounded by timeout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/../build"
n=20000
detail=0
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    --detail) detail=$2; shift 2 ;;
    *) sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2 ;;
    esac
done
dir=$(mktemp -d)
server=
cleanup() { [[ -n $server ]] && kill "$server" 2> /dev/null; rm -rf "$dir"; }
trap cleanup EXIT
"$build/samples/http_server" > "$dir/port" &
server=$!
for _ in $(seq 50); do [[ -s $dir/port ]] && break; sleep 0.1; done
port=$(cat "$dir/port")
mkdir "$dir/t"
ms=$(LD_PRELOAD="$build/libconnleak.so" CONNLEAK_DIR="$dir/t" CONNLEAK_DETAIL_SOCKETS=$detail \
    CONNLEAK_SAMPLE_MS=1000 timeout 600 "$build/bench/churn_client" "$port" "$n" 1 | cut -d' ' -f1)
trace=$(ls "$dir"/t/connleak-*.jsonl)
total=$(stat -c %s "$trace")
fixed=$(grep -E '"t":"(hdr|mod|stk)"' "$trace" | wc -c)
jq -n --argjson n "$n" --argjson ms "$ms" --argjson total "$total" --argjson fixed "$fixed" '
  {connections: $n, seconds: ($ms / 1000), conn_per_s: ($n / ($ms / 1000) | floor),
   trace_bytes: $total, fixed_bytes: $fixed,
   bytes_per_hour: (($total - $fixed) / ($ms / 1000) * 3600 | floor),
   mib_per_hour: (($total - $fixed) / ($ms / 1000) * 3600 / 1048576 * 100 | floor / 100)}'
