#!/usr/bin/env bash
# run-selfloop.sh - what connleak adds to a keep-alive request, in ns.
#
#   bench/run-selfloop.sh [--build DIR] [-n REQUESTS] [-r ROUNDS] [--lib SO]...
#
# Runs bench/http_selfloop (one process exchanging HTTP requests with itself
# over one loopback connection) bare and with LD_PRELOAD of each library
# (default: <build>/libconnleak.so; --lib may be given more than once, to
# set builds side by side; 'SO|VAR=VALUE|...' adds environment variables,
# e.g. 'build/libconnleak.so|CONNLEAK_HTTP=0'), R rounds (default 15) in ABBA order, pinned to
# CPU 0 when taskset exists, -n exchanges a run (default 200,000). Prints
# each side's median CPU ns per exchange, and per round its difference to
# the bare run of the same round: median and quartiles, in ns and as a
# ratio. Each exchange is four hooked calls: a write and a read on the
# client socket (followed by the HTTP tracker) and on the accepted one
# (counted only).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build="$here/../build"
n=200000
rounds=15
libs=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    --lib) libs+=("$2"); shift 2 ;;
    *)
        echo "run-selfloop: unknown option $1" >&2
        sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
        exit 2
        ;;
    esac
done
build=$(cd "$build" && pwd)
[[ ${#libs[@]} -gt 0 ]] || libs=("$build/libconnleak.so")
loop="$build/bench/http_selfloop"
for f in "$loop" "${libs[@]%%|*}"; do
    [[ -f "$f" ]] || { echo "run-selfloop: $f not found: build first" >&2; exit 1; }
done
pin=()
command -v taskset > /dev/null && pin=(taskset -c 0)
tmp=$(mktemp -d -t connleak-selfloop.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/traces"

side() { # INDEX: 0 bare, k the k-th library
    if [[ $1 -eq 0 ]]; then
        "${pin[@]}" "$loop" "$n"
    else
        local lib=${libs[$1 - 1]} vars=()
        [[ $lib == *"|"* ]] && IFS='|' read -ra vars <<< "${lib#*|}"
        rm -f "$tmp"/traces/*
        env LD_PRELOAD="$(realpath "${lib%%|*}")" CONNLEAK_DIR="$tmp/traces" "${vars[@]}" \
            "${pin[@]}" "$loop" "$n"
    fi
}
sides=$((${#libs[@]} + 1))
echo "selfloop: $n exchanges a run, $rounds rounds, ${pin[*]:-unpinned}"
for ((i = 1; i <= rounds; i++)); do
    for ((k = 0; k < sides; k++)); do
        j=$k
        ((i % 2)) || j=$((sides - 1 - k)) # ABBA
        side "$j" >> "$tmp/side$j"
    done
done
printf '%-40s %9s ns\n' "bare (median)" "$(median < "$tmp/side0")"
for ((k = 1; k < sides; k++)); do
    diff=$(paste -d' ' "$tmp/side$k" "$tmp/side0" | awk '{ print $1 - $2 }' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.0f [%.0f..%.0f]", v[int((NR + 1) / 2)],
             v[int((NR - 1) / 4) + 1], v[NR - int((NR - 1) / 4)] }')
    label=${libs[$k - 1]}
    ((${#label} <= 40)) || label="...${label: -37}"
    printf '%-40s %9s ns   +%s ns   ratio %s\n' "$label" \
        "$(median < "$tmp/side$k")" "$diff" "$(paired 1 "$tmp/side$k" "$tmp/side0")"
done
