#!/usr/bin/env bash
# run-scale.sh - connleak at scale (issue 13, "Scale and load"): memory per
# tracked socket with 50,000 sockets held, and trace size per connection and
# report time after 1,000,000 connections.
#
#   bench/run-scale.sh [--build DIR] [--pairs N] [--small N] [-r ROUNDS]
#                      [-n CONNECTIONS] [--detail D] [--report-rounds R]
#                      [--sockets-only | --connections-only] [--keep DIR] [--http]
#
# Sockets: bench/many_sockets holds N loopback connections (default 25,000:
# 2N = 50,000 tracked sockets, client and accepted ends), bare and with
# libconnleak.so preloaded, alternating, ROUNDS times (default 3); once all
# its fds are open, VmRSS (/proc/PID/status) is read 3 times 0.5 s apart
# and the largest kept. Prints the medians, connleak's RSS over bare, that
# divided by the sockets, and the marginal cost per socket: the same at
# --small N pairs (default 1,000) taken from it, so connleak's fixed cost
# (its code, trace buffer, thread) cancels out. With --http every
# connection carries one HTTP request (read by its accepted end), so that
# both ends hold HTTP state. RLIMIT_NOFILE is raised to
# 2N + 100 (as root the hard limit too); if the hard limit cannot be raised
# (a container without CAP_SYS_RESOURCE), the script says so and shares the
# N pairs among as many many_sockets processes as that limit needs, summing
# their RSS (the same split at --small, so the marginal cost stays per socket).
# Connections: samples/http_server (bare) and bench/churn_client PORT N
# (default 1,000,000 sequential connect / GET / close) under
# `connleak run --backend preload --keep-traces --trace-dir DIR`; prints the
# client's wall and CPU time, the trace directory's bytes per connection,
# and `connleak report DIR` (text) timed by /usr/bin/time: wall and max RSS,
# median of R runs (default 3). --detail D sets CONNLEAK_DETAIL_SOCKETS
# (default: connleak's, 10,000; -1 writes every socket one by one); --keep
# DIR moves the traces there (to profile the report, say). The
# client closes first, so each connection leaves a TIME_WAIT socket on the
# client side; Linux reuses them for loopback (net.ipv4.tcp_tw_reuse = 2,
# the default: checked), so 1,000,000 connections do not run out of ports.
# Loopback only; every run is bounded by timeout; temporary files removed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build="$here/../build"
pairs=25000
small=1000
rounds=3
conns=1000000
detail=""
report_rounds=3
do_sockets=1
do_conns=1
keep=""
http=""
usage() {
    sed -n '6,8p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --small) small=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    -n) conns=$2; shift 2 ;;
    --detail) detail=$2; shift 2 ;;
    --http) http=http; shift ;;
    --report-rounds) report_rounds=$2; shift 2 ;;
    --sockets-only) do_conns=0; shift ;;
    --connections-only) do_sockets=0; shift ;;
    --keep) keep=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "run-scale: unknown option $1" >&2; usage ;;
    esac
done
build=$(cd "$build" && pwd)
lib="$build/libconnleak.so"
connleak="$build/connleak"
for f in "$lib" "$connleak" "$build/bench/many_sockets" "$build/bench/churn_client" \
    "$build/samples/http_server"; do
    [[ -e "$f" ]] || { echo "run-scale: $f not found: build first" >&2; exit 1; }
done

tmp=$(mktemp -d -t connleak-scale.XXXXXX)
child="" # the pid(s) of what runs now, stopped on exit
procs=1
cleanup() {
    if [[ -n "$child" ]]; then
        # shellcheck disable=SC2086 # one pid or several
        kill -TERM $child 2> /dev/null || true
        # shellcheck disable=SC2086
        wait $child 2> /dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# held_rss PAIRS preload|bare: VmRSS in KiB of many_sockets holding PAIRS
# connections, summed over $procs processes that share them out
held_rss() {
    local env=() pids=() k each n rss max sum=0 pid
    [[ $2 == preload ]] && env=(LD_PRELOAD="$lib" CONNLEAK_DIR="$tmp/traces")
    rm -rf "$tmp/traces"
    mkdir "$tmp/traces"
    for ((k = 0; k < procs; k++)); do
        each=$(($1 / procs + (k < $1 % procs ? 1 : 0)))
        # no timeout(1) in between: the pid must be many_sockets itself (it exits after 600 s)
        env "${env[@]}" "$build/bench/many_sockets" "$each" 600 $http &
        pids+=($!)
        child="${pids[*]}"
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1200); do # 2 minutes at most to open them
            n=$(ls "/proc/$pid/fd" 2> /dev/null | wc -l)
            ((n >= 2 * ($1 / procs) + 1)) && break
            sleep 0.1
        done
        ((n >= 2 * ($1 / procs) + 1)) || { echo "run-scale: many_sockets opened only $n fds" >&2; exit 1; }
    done
    sleep 1 # a sample or two of connleak's sampler
    for pid in "${pids[@]}"; do
        max=0
        for _ in 1 2 3; do
            rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
            ((rss > max)) && max=$rss
            sleep 0.2
        done
        sum=$((sum + max))
    done
    kill -TERM "${pids[@]}"
    wait "${pids[@]}" 2> /dev/null || true
    child=""
    echo "$sum"
}

# set_nofile N: RLIMIT_NOFILE to N fds per process (as root the hard limit
# too), or else to the hard limit with the sockets shared among $procs
# processes (a container without CAP_SYS_RESOURCE cannot raise it)
set_nofile() {
    procs=1
    if (($(ulimit -Hn) < $1)) && ! ulimit -Hn "$1" 2> /dev/null; then
        procs=$((($1 + $(ulimit -Hn) - 201) / ($(ulimit -Hn) - 200)))
        echo "run-scale: the hard RLIMIT_NOFILE is $(ulimit -Hn) and cannot be raised" \
            "(not root, or no CAP_SYS_RESOURCE): the sockets are shared among $procs processes" >&2
        ulimit -Sn "$(ulimit -Hn)"
        return
    fi
    ulimit -Sn "$1"
}

measure_sockets() {
    local size side k b p
    set_nofile $((2 * pairs + 100))
    echo "sockets: many_sockets $pairs pairs ($((2 * pairs)) tracked sockets) and $small pairs," \
        "in $procs process(es), bare and preloaded, $rounds rounds;" \
        "RLIMIT_NOFILE $(ulimit -Sn)/$(ulimit -Hn)"
    for ((i = 1; i <= rounds; i++)); do
        for size in "$small" "$pairs"; do
            for side in bare preload; do
                held_rss "$size" "$side" >> "$tmp/rss.$size.$side"
            done
        done
    done
    for size in "$small" "$pairs"; do
        b=$(median < "$tmp/rss.$size.bare")
        p=$(median < "$tmp/rss.$size.preload")
        echo $((p - b)) > "$tmp/over.$size"
        printf '%6d pairs: VmRSS bare %s KiB (%s), preloaded %s KiB (%s): +%d KiB, %d B per tracked socket\n' \
            "$size" "$b" "$(tr '\n' ' ' < "$tmp/rss.$size.bare" | sed 's/ $//')" "$p" \
            "$(tr '\n' ' ' < "$tmp/rss.$size.preload" | sed 's/ $//')" $((p - b)) \
            $(((p - b) * 1024 / (2 * size)))
    done
    k=$(($(cat "$tmp/over.$pairs") - $(cat "$tmp/over.$small")))
    printf 'marginal: %d B per tracked socket (from %d to %d sockets; budget, issue 16: <= 256 B)\n' \
        $((k * 1024 / (2 * (pairs - small)))) $((2 * small)) $((2 * pairs))
}

measure_connections() {
    local port out bytes env=() tv
    [[ $(sysctl -n net.ipv4.tcp_tw_reuse 2> /dev/null || echo 0) != 0 ]] ||
        echo "run-scale: warning: net.ipv4.tcp_tw_reuse is 0: the client may run out of ports" >&2
    "$build/samples/http_server" > "$tmp/port" &
    child=$!
    for _ in $(seq 50); do
        [[ -s "$tmp/port" ]] && break
        sleep 0.1
    done
    port=$(head -n1 "$tmp/port")
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "run-scale: http_server did not start" >&2; exit 1; }
    [[ -n "$detail" ]] && env=(CONNLEAK_DETAIL_SOCKETS="$detail")
    echo "connections: churn_client $port $conns under connleak run" \
        "(CONNLEAK_DETAIL_SOCKETS=${detail:-default})"
    rm -rf "$tmp/traces"
    out=$(env "${env[@]}" timeout 3600 "$connleak" run --backend preload --keep-traces \
        --trace-dir "$tmp/traces" --format json -o "$tmp/run.json" -- \
        "$build/bench/churn_client" "$port" "$conns")
    kill -TERM "$child"
    wait "$child" 2> /dev/null || true
    child=""
    bytes=$(du -sb "$tmp/traces" | cut -f1)
    # shellcheck disable=SC2086 # $out is "WALL CPU": two arguments
    printf 'client: %s ms wall, %s ms cpu; run report: %s\n' $out \
        "$(jq -r '"\(.status), \(.findings | length) finding(s) \([.findings[].kind])"' "$tmp/run.json")"
    printf 'trace: %d bytes in %d file(s): %.1f bytes per connection\n' "$bytes" \
        "$(ls "$tmp/traces" | wc -l)" "$(awk -v b="$bytes" -v n="$conns" 'BEGIN { print b / n }')"
    tv=()
    [[ -x /usr/bin/time ]] && tv=(/usr/bin/time -f '%e %M' -o "$tmp/time.1")
    for ((i = 1; i <= report_rounds; i++)); do
        if [[ ${#tv[@]} -gt 0 ]]; then
            "${tv[@]}" "$connleak" report "$tmp/traces" > /dev/null
            cat "$tmp/time.1" >> "$tmp/time"
        else # no GNU time: wall from date, max RSS of children from bash (none)
            local t0 t1
            t0=$(date +%s.%N)
            "$connleak" report "$tmp/traces" > /dev/null
            t1=$(date +%s.%N)
            awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a, 0 }' >> "$tmp/time"
        fi
    done
    printf 'connleak report: median %s s wall, %s KiB max RSS (runs: %s)\n' \
        "$(cut -d' ' -f1 "$tmp/time" | median)" "$(cut -d' ' -f2 "$tmp/time" | median)" \
        "$(cut -d' ' -f1 "$tmp/time" | tr '\n' ' ' | sed 's/ $//')"
    if [[ -n "$keep" ]]; then
        mkdir -p "$keep"
        mv "$tmp/traces" "$keep/"
        echo "traces kept in $keep/traces"
    fi
}

[[ $do_sockets -eq 1 ]] && measure_sockets
[[ $do_conns -eq 1 ]] && measure_connections
exit 0
