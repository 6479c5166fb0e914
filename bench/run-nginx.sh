#!/usr/bin/env bash
# run-nginx.sh - Debian's nginx under wrk, bare and with connleak preloaded
# (issue 13, "Scale and load"): requests per second and nginx's CPU, as
# ratios preloaded / bare, then a clean `nginx -s quit` and connleak's report.
#
#   bench/run-nginx.sh [--build DIR] [-r ROUNDS] [-d SECONDS] [-t THREADS]
#                      [-c CONNECTIONS] [--close] [--perf] [--keep DIR]
#
# Two nginx instances run side by side in one temporary directory, each on
# its own free 127.0.0.1 port, both with `master_process on`, 2 workers,
# `daemon off` and (when root) `user nobody nogroup`: one bare, one under
# `connleak run --backend preload --keep-traces --trace-dir`. wrk
# (-t THREADS -c CONNECTIONS -d SECONDS; defaults 2, 50, 10) loads them in
# turn, bare then preloaded, for ROUNDS rounds (default 5) after a 3 s
# warm-up of each. Per round: wrk's requests/s, and the CPU time (user +
# system, /proc/PID/stat) nginx's master and workers used during it. Prints
# the medians, the ratios preloaded / bare of requests/s, of CPU per round
# and of CPU per request, and the load average (wrk and nginx share this
# machine's cores: keep -t at 1-2). Then `nginx -s quit` for both, and the
# preloaded one's report: status, processes, findings by kind and where
# (the JSON report and the traces are kept in --keep DIR if given).
# --close sends "Connection: close" (a new connection per request: churn).
# --perf adds one preloaded wrk run under `perf record` of nginx's master and
# workers and prints the share of their CPU samples in each library
# (libconnleak.so's is what connleak costs them) and connleak's top symbols.
# Loopback only; every step is bounded by timeout. Needs nginx (nginx-light)
# and wrk: scripts/install-deps.sh --bench.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build="$here/../build"
rounds=5
secs=10
threads=2
conns=50
close=0
perf=0
keep=""
usage() {
    sed -n '6,7p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    -d) secs=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    -c) conns=$2; shift 2 ;;
    --close) close=1; shift ;;
    --perf) perf=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "run-nginx: unknown option $1" >&2; usage ;;
    esac
done
build=$(cd "$build" && pwd)
connleak="$build/connleak"
[[ -x "$connleak" && -f "$build/libconnleak.so" ]] || { echo "run-nginx: $connleak not found: build first" >&2; exit 1; }
for tool in nginx wrk jq python3; do
    command -v "$tool" > /dev/null || { echo "run-nginx: needs $tool (scripts/install-deps.sh --bench)" >&2; exit 1; }
done

tmp=$(mktemp -d -t connleak-nginx.XXXXXX)
chmod 755 "$tmp" # the workers (nobody) read the document root
cl_pid=""
bare_pid=""
cleanup() {
    for side in bare pre; do
        [[ -f "$tmp/$side/nginx.pid" ]] && nginx -c "$tmp/$side/nginx.conf" -p "$tmp/$side" -s stop 2> /dev/null
    done
    [[ -n "$cl_pid" ]] && wait "$cl_pid" 2> /dev/null
    [[ -n "$bare_pid" ]] && wait "$bare_pid" 2> /dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# write_conf SIDE PORT: nginx.conf and a 612-byte index.html under $tmp/SIDE
write_conf() {
    local d="$tmp/$1" user=""
    mkdir -p "$d/html"
    head -c 612 /dev/zero | tr '\0' 'x' > "$d/html/index.html"
    chmod -R a+rX "$d"
    [[ $(id -u) -eq 0 ]] && user="user nobody nogroup;"
    cat > "$d/nginx.conf" << CONF
daemon off;
master_process on;
worker_processes 2;
$user
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server { listen 127.0.0.1:$2; root $d/html; }
}
CONF
}

# wait_up PORT: until nginx answers on PORT (10 s at most)
wait_up() {
    for _ in $(seq 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1).close()" 2> /dev/null && return 0
        sleep 0.1
    done
    echo "run-nginx: nginx on port $1 did not start" >&2
    exit 1
}

# nginx_cpu SIDE: clock ticks of user + system time of the master and its workers
nginx_cpu() {
    local master pid t=0
    master=$(cat "$tmp/$1/nginx.pid")
    for pid in "$master" $(pgrep -P "$master"); do
        t=$((t + $(sed 's/^.*) //' "/proc/$pid/stat" 2> /dev/null | awk '{ print $12 + $13 }' || echo 0)))
    done
    echo "$t"
}

bare_port=$(free_port)
pre_port=$(free_port)
write_conf bare "$bare_port"
write_conf pre "$pre_port"
timeout -k 5 3600 nginx -c "$tmp/bare/nginx.conf" -p "$tmp/bare" 2> "$tmp/bare.stderr" &
bare_pid=$!
timeout -k 5 3600 "$connleak" run --backend preload --format json -o "$tmp/report.json" \
    --keep-traces --trace-dir "$tmp/traces" -- nginx -c "$tmp/pre/nginx.conf" -p "$tmp/pre" \
    > "$tmp/pre.stdout" 2> "$tmp/pre.stderr" &
cl_pid=$!
wait_up "$bare_port"
wait_up "$pre_port"

hdr=()
[[ $close -eq 1 ]] && hdr=(-H "Connection: close")
# load SIDE PORT SECONDS: one wrk run; appends "REQ/S CPU_MS REQUESTS" to $tmp/SIDE.runs
load() {
    local c0 c1 out
    c0=$(nginx_cpu "$1")
    out=$(timeout -k 5 $(($3 + 30)) wrk -t"$threads" -c"$conns" -d"$3"s "${hdr[@]}" "http://127.0.0.1:$2/")
    c1=$(nginx_cpu "$1")
    awk -v c="$(((c1 - c0) * 1000 / $(getconf CLK_TCK)))" '
        /requests in/ { n = $1 } /^Requests\/sec:/ { r = $2 }
        /Non-2xx|Socket errors/ { print "run-nginx: wrk: " $0 > "/dev/stderr" }
        END { print r, c, n }' <<< "$out"
}

echo "nginx under wrk -t$threads -c$conns -d${secs}s$([[ $close -eq 1 ]] && echo ' (Connection: close)'), $rounds rounds; ports bare $bare_port, preloaded $pre_port"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
load bare "$bare_port" 3 > /dev/null # warm-up
load pre "$pre_port" 3 > /dev/null
: > "$tmp/bare.runs"
: > "$tmp/pre.runs"
for ((i = 1; i <= rounds; i++)); do
    load bare "$bare_port" "$secs" >> "$tmp/bare.runs"
    load pre "$pre_port" "$secs" >> "$tmp/pre.runs"
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

per_req() { awk '{ printf "%.3f\n", $2 * 1000 / $3 }' "$1" | median; } # CPU µs per request
for side in bare pre; do
    printf '%-10s req/s: %s\n' "$side" "$(cut -d' ' -f1 "$tmp/$side.runs" | tr '\n' ' ')"
    printf '%-10s cpu ms: %s\n' "" "$(cut -d' ' -f2 "$tmp/$side.runs" | tr '\n' ' ')"
done
b_rps=$(col 1 "$tmp/bare.runs") p_rps=$(col 1 "$tmp/pre.runs")
b_cpu=$(col 2 "$tmp/bare.runs") p_cpu=$(col 2 "$tmp/pre.runs")
b_us=$(per_req "$tmp/bare.runs") p_us=$(per_req "$tmp/pre.runs")
printf '%-20s %10s req/s %8s ms cpu %8s us cpu/request\n' "bare (median)" "$b_rps" "$b_cpu" "$b_us"
printf '%-20s %10s req/s %8s ms cpu %8s us cpu/request\n' "connleak (median)" "$p_rps" "$p_cpu" "$p_us"
printf 'ratio req/s %s (budget >= 0.97)   cpu per round %s   cpu per request %s\n' \
    "$(ratio "$p_rps" "$b_rps")" "$(ratio "$p_cpu" "$b_cpu")" "$(ratio "$p_us" "$b_us")"
# each preloaded round over the bare round just before it: load that drifts
# between rounds cancels out more than in the ratio of the medians
pairs=$(paste -d' ' "$tmp/bare.runs" "$tmp/pre.runs" |
    awk '{ printf "%.3f %.3f\n", $4 / $1, ($5 / $6) / ($2 / $3) }')
printf 'paired rounds: req/s %s (median %s)   cpu per request %s (median %s)\n' \
    "$(cut -d' ' -f1 <<< "$pairs" | tr '\n' ' ')" "$(cut -d' ' -f1 <<< "$pairs" | median)" \
    "$(cut -d' ' -f2 <<< "$pairs" | tr '\n' ' ')" "$(cut -d' ' -f2 <<< "$pairs" | median)"

# perf_share: one preloaded wrk run under perf record; the share of each DSO
perf_share() {
    local master pids
    command -v perf > /dev/null || { echo "run-nginx: --perf needs perf (linux-perf)" >&2; return; }
    master=$(cat "$tmp/pre/nginx.pid")
    pids=$(pgrep -P "$master" | tr '\n' ',')$master
    timeout -k 5 $((secs + 30)) perf record -q -F 999 -p "$pids" -o "$tmp/perf.data" \
        -- sleep "$secs" 2> /dev/null &
    local pp=$!
    sleep 0.5
    load pre "$pre_port" "$((secs - 1))" > /dev/null
    wait "$pp" || true
    echo "perf: share of nginx's samples (master and workers) per library, under wrk:"
    perf report -i "$tmp/perf.data" --sort dso --stdio 2> /dev/null | grep -v '^#' | grep -v '^$' | head -8
    echo "perf: connleak's top symbols (share of all samples):"
    perf report -i "$tmp/perf.data" --dsos libconnleak.so --sort sym --stdio 2> /dev/null |
        grep -v '^#' | grep -v '^$' | head -8
}
[[ $perf -eq 1 ]] && perf_share

# a clean stop of both; connleak reports when the preloaded master has exited
nginx -c "$tmp/bare/nginx.conf" -p "$tmp/bare" -s quit 2> /dev/null
nginx -c "$tmp/pre/nginx.conf" -p "$tmp/pre" -s quit 2> /dev/null
rc=0
wait "$cl_pid" || rc=$?
cl_pid=""
wait "$bare_pid" || true
bare_pid=""
echo "connleak run exit code: $rc; trace: $(du -sk "$tmp/traces" | cut -f1) KiB"
if grep -qi connleak "$tmp/pre/error.log" "$tmp/pre.stderr" 2> /dev/null; then
    echo "run-nginx: connleak wrote into nginx's error log or stderr:" >&2
    grep -i connleak "$tmp/pre/error.log" "$tmp/pre.stderr" | head -3 >&2
fi
jq -r '"report: status \(.status), \([.processes[] | select(.exe == "/usr/sbin/nginx")] | length) nginx processes, \(.findings | length) finding(s)",
    (.findings[] | "  \(.kind) x\(.count) pids \(.pids) role \(.role) at \(.top_frame.function // "?") (\(.top_frame.file // .top_frame.module // "?"))"),
    (.notes[]? | "  note: \(.[0:200])")' "$tmp/report.json"
if [[ -n "$keep" ]]; then
    mkdir -p "$keep"
    cp -r "$tmp/report.json" "$tmp/traces" "$tmp/pre/error.log" "$keep"/
    echo "report and traces kept in $keep"
fi
