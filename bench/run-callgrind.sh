#!/usr/bin/env bash
# run-callgrind.sh - where the preload's instructions go, per connection or
# per request, counted by callgrind (user space only; exact and unaffected
# by load, unlike the timings of run-churn.sh).
#
#   bench/run-callgrind.sh [--build DIR] [--reqs K]
#
# Runs bench/churn_client under `valgrind --tool=callgrind` against
# samples/http_server on loopback, bare and with libconnleak.so preloaded,
# at two sizes (500 and 1500 connections; with --reqs K, 5 and 15
# connections of K requests), and prints what each extra connection (or
# request) costs by component (bench/cg-group.py): start-up cancels out.
# The sampler runs once an hour here (CONNLEAK_SAMPLE_MS=3600000, so the
# close path still notes TIME_WAIT candidates), and not at exit
# (CONNLEAK_TW_MIN=1000000): its kernel walk costs per second and per
# TIME_WAIT socket on the host, not per connection, and under valgrind's
# slowdown it would swamp the figures.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/../build"
reqs=1
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --reqs) reqs=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--reqs K]" >&2; exit 2 ;;
    esac
done
build=$(cd "$build" && pwd)
command -v valgrind > /dev/null || { echo "run-callgrind: valgrind not found" >&2; exit 1; }
tmp=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2> /dev/null
    [[ -n ${KEEP:-} ]] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
"$build/samples/http_server" --body 64 > "$tmp/port" &
server_pid=$!
for _ in $(seq 50); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
port=$(head -n1 "$tmp/port")
if [[ $reqs -eq 1 ]]; then sizes=(500 1500) unit=connection; else sizes=(5 15) unit=request; fi
profile() { # NAME CONNECTIONS [preload]
    local out="$tmp/$1.out"
    mkdir -p "$tmp/traces"
    if [[ ${3:-} == preload ]]; then
        CONNLEAK_FOLLOW_EXEC=1 CONNLEAK_SAMPLE_MS=3600000 CONNLEAK_TW_MIN=1000000 \
            LD_PRELOAD="$build/libconnleak.so" CONNLEAK_DIR="$tmp/traces" \
            timeout 600 valgrind --tool=callgrind --callgrind-out-file="$out" \
            "$build/bench/churn_client" "$port" "$2" "$reqs" > /dev/null 2>&1
    else
        timeout 600 valgrind --tool=callgrind --callgrind-out-file="$out" \
            "$build/bench/churn_client" "$port" "$2" "$reqs" > /dev/null 2>&1
    fi
    callgrind_annotate --auto=no --inclusive=no --threshold=100 "$out" > "$tmp/$1.self"
}
units=$(((sizes[1] - sizes[0]) * reqs))
for side in bare preload; do
    profile "$side-small" "${sizes[0]}" "$side"
    profile "$side-large" "${sizes[1]}" "$side"
    echo "== $side: user-space instructions per $unit"
    python3 "$here/cg-group.py" "$tmp/$side-small.self" "$tmp/$side-large.self" "$units"
done
