#!/usr/bin/env bash
# run-python.sh - what connleak (with its Python frame capture) costs a
# Python `requests` loop, side by side.
#
# Starts samples/http_server on loopback, then runs bench/py_requests_loop.py
# (N requests.get, a new connection each) bare and with libconnleak.so
# preloaded, alternating, for R rounds after one warm-up of each, and prints
# the medians of the loop's wall time and CPU time (user + system, all
# threads) and the ratios preloaded / bare. With
# --base LIB, a third side preloads LIB (e.g. a build without Python frame
# capture), to isolate what the capture itself adds.
#
#   bench/run-python.sh [--build DIR] [--python PY] [-n N] [-r ROUNDS] [--base LIB]
#
# Defaults: --build <repo>/build, --python /usr/bin/python3, -n 2000, -r 7.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build="$here/../build"
python=/usr/bin/python3
n=2000
rounds=7
base=
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    *) sed -n '12p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2 ;;
    esac
done
build=$(cd "$build" && pwd)
tmp=$(mktemp -d)
"$build/samples/http_server" > "$tmp/port" 2> /dev/null &
server=$!
trap 'kill $server 2> /dev/null; wait $server 2> /dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
port=$(head -n1 "$tmp/port")

# one_run LIB: the loop's ms, with LIB preloaded ("" = bare)
one_run() {
    local lib=$1 dir
    if [[ -z "$lib" ]]; then
        timeout 300 "$python" "$here/py_requests_loop.py" "$port" "$n"
        return
    fi
    dir=$(mktemp -d "$tmp/trace.XXXXXX")
    LD_PRELOAD="$lib" CONNLEAK_DIR="$dir" timeout 300 "$python" "$here/py_requests_loop.py" "$port" "$n"
    rm -rf "$dir"
}

sides=(bare "$build/libconnleak.so")
[[ -n "$base" ]] && sides+=("$base")
for s in "${sides[@]}"; do one_run "${s#bare}" > /dev/null; done # warm-up
for r in $(seq "$rounds"); do
    for i in "${!sides[@]}"; do one_run "${sides[$i]#bare}" >> "$tmp/side$i"; done
done
echo "python: $("$python" -V 2>&1), $n requests.get per run, $rounds rounds (median ms)"
names=(bare preloaded "base lib")
for i in "${!sides[@]}"; do
    w=$(col 1 "$tmp/side$i") c=$(col 2 "$tmp/side$i")
    [[ $i -eq 0 ]] && bw=$w bc=$c
    printf '%-10s wall %8s (%s)  cpu %8s (%s)%s\n' "${names[$i]}:" "$w" "$(ratio "$w" "$bw")" \
        "$c" "$(ratio "$c" "$bc")" "$([[ $i -eq 2 ]] && echo "  $base")"
done
