#!/usr/bin/env bash
# run-churn.sh - connleak's overhead on connection churn, side by side.
#
# Starts samples/http_server on loopback, then runs bench/churn_client bare
# and traced, alternating, for R rounds, and prints the medians of its wall
# time and of its CPU time (user + system: what a kernel-side probe adds to
# its system calls is system time) and the ratios traced / bare: the ratio
# of the medians, and the median (with quartiles) of each round's own ratio.
# The rounds go bare-traced, traced-bare, ... (ABBA), so that a machine
# slowing down or speeding up during the invocation favours neither side;
# the paired ratio is the figure to read when the machine drifts (the
# medians then mix fast and slow minutes). Traced is
# libconnleak.so preloaded, or with --backend probe the client run under
# `connleak run --backend probe` (eBPF; root), whose loader process's own
# CPU time is printed apart. With --bystander the traced side is the bare
# client again, run while the probe traces another process (a `sleep`,
# under `connleak attach`): what the probe costs the processes it does not
# trace. With --compare, also one run under `strace -f -o /dev/null` and
# one under `valgrind --track-fds=yes`. With --pin, the server runs on CPU 1
# and the client on CPU 0 (taskset): on loopback the kernel charges the
# receive work to whichever process is on the CPU when it runs, so where
# the scheduler puts the two moves the client's CPU time by more than
# connleak does. With --fresh-server, every run talks to a server started
# for it on a new port: a churn run leaves up to -n client sockets in
# TIME_WAIT for 60 s, and the next run's connect() calls, to the same
# port, search past them for a free local port (the more so the younger
# they are, so the second run of a pair pays more than the first); to a
# new port, every local port is free at once.
#
#   bench/run-churn.sh [--build DIR] [-n CYCLES] [-r ROUNDS] [--reqs K]
#                      [--body BYTES] [--backend preload|probe] [--bystander]
#                      [--compare] [--threads T] [--pin] [--fresh-server]
#
# Defaults: --build <repo>/build, -n 2000 cycles per run, -r 11 rounds,
# --reqs 1 request per connection (K > 1 measures keep-alive traffic),
# --threads 1 (T > 1: the cycles shared out among T client threads).
# Everything stays on 127.0.0.1; every run is bounded by `timeout`; the server
# and the temporary trace directory are removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build="$here/../build"
cycles=2000
rounds=11
reqs=1
threads=1
body=64
compare=0
backend=preload
bystander=0
pin=()
pin_server=()
run_timeout=300
fresh=0

usage() {
    sed -n '/^#   bench\/run-churn.sh/,/^#  *\[--compare/p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    -n) cycles=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    --reqs) reqs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --body) body=$2; shift 2 ;;
    --compare) compare=1; shift ;;
    --backend) backend=$2; shift 2 ;;
    --bystander) bystander=1; backend=probe; shift ;;
    --pin) pin=(taskset -c 0); pin_server=(taskset -c 1); shift ;;
    --fresh-server) fresh=1; shift ;;
    -h | --help) usage ;;
    *) echo "run-churn: unknown option $1" >&2; usage ;;
    esac
done
build=$(cd "$build" && pwd)
server="$build/samples/http_server"
client="$build/bench/churn_client"
lib="$build/libconnleak.so"
connleak="$build/connleak"
[[ $backend == preload || $backend == probe ]] || { echo "run-churn: --backend preload or probe" >&2; exit 2; }
for f in "$server" "$client" "$lib" "$connleak"; do
    [[ -x "$f" || -f "$f" ]] || { echo "run-churn: $f not found: build first" >&2; exit 1; }
done
if [[ ${#pin[@]} -gt 0 ]] && { ! command -v taskset > /dev/null || [[ $(nproc) -lt 2 ]]; }; then
    echo "run-churn: --pin needs taskset and 2 CPUs" >&2
    exit 1
fi
if [[ $compare -eq 1 ]]; then
    for tool in strace valgrind; do
        command -v "$tool" > /dev/null || {
            echo "run-churn: --compare needs $tool (scripts/install-deps.sh --bench)" >&2
            exit 1
        }
    done
fi

tmp=$(mktemp -d -t connleak-bench.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

server_start() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
    fi
    : > "$tmp/port"
    "${pin_server[@]}" "$server" --body "$body" > "$tmp/port" &
    server_pid=$!
    for _ in $(seq 50); do
        [[ -s "$tmp/port" ]] && break
        sleep 0.1
    done
    port=$(head -n1 "$tmp/port")
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "run-churn: http_server did not start" >&2; exit 1; }
}
server_start

mkdir "$tmp/traces"
bare() {
    [[ $fresh -eq 1 ]] && server_start
    timeout "$run_timeout" "${pin[@]}" "$client" "$port" "$cycles" "$reqs" "$threads"
}
traced() {
    [[ $fresh -eq 1 ]] && server_start
    rm -f "$tmp"/traces/*
    if [[ $bystander -eq 1 ]]; then
        # the probe loaded and tracing an idle process; the client untraced
        sleep 120 &
        local sp=$! ap
        "$connleak" attach --duration 120 --trace-dir "$tmp/traces" --format json -o /dev/null \
            "$sp" 2> /dev/null &
        ap=$!
        sleep 1.5 # the BPF programs loaded and attached
        timeout "$run_timeout" "${pin[@]}" "$client" "$port" "$cycles" "$reqs" "$threads"
        kill -INT "$ap" 2> /dev/null || true
        wait "$ap" 2> /dev/null || true
        kill "$sp" 2> /dev/null || true
        wait "$sp" 2> /dev/null || true
    elif [[ $backend == probe ]]; then
        # the loader's own CPU time goes to loader.cpu (bash's times, children)
        local t0 t1
        t0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
        timeout "$run_timeout" "$connleak" run --backend probe --trace-dir "$tmp/traces" \
            --format json -o /dev/null -- "${pin[@]}" "$client" "$port" "$cycles" "$reqs" "$threads"
        t1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
        echo "$(( (t1 - t0) * 1000 / $(getconf CLK_TCK) ))" >> "$tmp/loader.cpu"
    else
        timeout "$run_timeout" env LD_PRELOAD="$lib" CONNLEAK_DIR="$tmp/traces" \
            "${pin[@]}" "$client" "$port" "$cycles" "$reqs" "$threads"
    fi
}

echo "churn: $cycles connections x $reqs request(s), $threads thread(s), body $body bytes, $rounds rounds, port $port$([[ $fresh -eq 1 ]] && echo ' (a new one each run)'), $backend"
bare > /dev/null # warm-up: page cache, TIME_WAIT reuse, CPU frequency
traced > /dev/null
: > "$tmp/bare.ms"
: > "$tmp/pre.ms"
: > "$tmp/loader.cpu"
for ((i = 1; i <= rounds; i++)); do
    if ((i % 2)); then
        bare >> "$tmp/bare.ms"
        traced >> "$tmp/pre.ms"
    else # ABBA: the traced run first in every other round
        traced >> "$tmp/pre.ms"
        bare >> "$tmp/bare.ms"
    fi
done
[[ -n "$(ls -A "$tmp/traces")" ]] || echo "run-churn: warning: the traced run wrote no trace" >&2

bare_ms=$(col 1 "$tmp/bare.ms")
pre_ms=$(col 1 "$tmp/pre.ms")
bare_cpu=$(col 2 "$tmp/bare.ms")
pre_cpu=$(col 2 "$tmp/pre.ms")
printf '%-22s %10s ms wall %10s ms cpu\n' "bare (median)" "$bare_ms" "$bare_cpu"
printf '%-22s %10s ms wall %10s ms cpu   ratio wall %s cpu %s\n' "connleak (median)" "$pre_ms" \
    "$pre_cpu" "$(ratio "$pre_ms" "$bare_ms")" "$(ratio "$pre_cpu" "$bare_cpu")"
printf '%-22s ratio wall %s   cpu %s   (median [quartiles] of the %s rounds)\n' "paired" \
    "$(paired 1 "$tmp/pre.ms" "$tmp/bare.ms")" "$(paired 2 "$tmp/pre.ms" "$tmp/bare.ms")" "$rounds"
if [[ $backend == probe ]]; then
    printf '%-22s %10s ms cpu (median per run: BPF load, events, trace, report)\n' "probe loader" \
        "$(median < "$tmp/loader.cpu")"
fi

if [[ $compare -eq 1 ]]; then
    strace_ms=$(timeout "$run_timeout" strace -f -o /dev/null "${pin[@]}" "$client" "$port" "$cycles" "$reqs" "$threads" | cut -d' ' -f1)
    printf '%-22s %10s ms   ratio %s\n' "strace -f (1 run)" "$strace_ms" "$(ratio "$strace_ms" "$bare_ms")"
    valgrind_ms=$(timeout "$run_timeout" "${pin[@]}" valgrind -q --track-fds=yes --log-file=/dev/null \
        "$client" "$port" "$cycles" "$reqs" "$threads" | cut -d' ' -f1)
    printf '%-22s %10s ms   ratio %s\n' "valgrind --track-fds" "$valgrind_ms" \
        "$(ratio "$valgrind_ms" "$bare_ms")"
fi
