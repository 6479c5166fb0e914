#!/usr/bin/env bash
# prometheus: CONNLEAK_PROMETHEUS=FILE makes the preload, and
# `connleak watch --prometheus FILE` makes watch, rewrite FILE after every
# sample in Prometheus' text format (checked by Debian's promtool), with
# the values the program really has: its client sockets and the call site
# holding them (preload), a CLOSE_WAIT pile and its finding (watch). The
# preload's file goes when its process exits: a gauge of a process that is
# gone would read as current.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
command -v promtool > /dev/null || fail "promtool not installed: run scripts/install-deps.sh"

# value FILE SERIES-PREFIX: the sum of the samples whose line starts so.
value() { awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { print s + 0 }' "$1"; }
# wait_metrics FILE SERIES-PREFIX N: until the series sums to N (10 s).
wait_metrics() {
    for _ in $(seq 100); do
        [[ -s "$1" && $(value "$1" "$2") -eq $3 ]] && return 0
        sleep 0.1
    done
    fail "$2 never reached $3 in $1: $(cat "$1" 2> /dev/null | grep -v '^#')"
}

# 1. The preload: 5 client sockets held 4 s (3 at once, 2 after 200 ms).
start_http_server
prom="$tmp/app.prom"
CONNLEAK_SAMPLE_MS=100 CONNLEAK_PROMETHEUS="$prom" timeout 30 "$CONNLEAK" run --backend preload \
    -o "$tmp/r1.txt" -- "$SAMPLES/attach_target" "$port" 3 2 200 4000 > /dev/null 2>&1 &
cl=$!
wait_metrics "$prom" 'connleak_sockets{' 5
promtool check metrics < "$prom" > "$tmp/promtool.out" 2>&1 || fail "promtool: $(cat "$tmp/promtool.out")"
[[ $(value "$prom" 'connleak_sockets{pid="') -eq 5 ]] || fail "connleak_sockets does not sum to 5"
grep -q '^connleak_sockets{pid="[0-9]*",program="attach_target",role="client"} 5$' "$prom" ||
    fail "no 5 client sockets: $(grep connleak_sockets "$prom")"
[[ $(value "$prom" 'connleak_open_sockets_by_site{') -eq 5 ]] || fail "the sites do not hold the 5 sockets"
grep -q '^connleak_fd_limit{' "$prom" || fail "no fd limit"
[[ $(value "$prom" 'connleak_open_fds{') -ge 5 ]] || fail "fewer than 5 open fds"
wait "$cl" || true
[[ ! -e "$prom" ]] || fail "the metrics file outlived its process"
ls "$tmp"/app.prom.tmp.* > /dev/null 2>&1 && fail "a temporary metrics file was left behind"

# 2. watch: a CLOSE_WAIT pile of 5 (the server hangs up at once).
cat > "$tmp/server.py" << 'EOF_PY'
import os, socket, sys
s = socket.create_server(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    c.close()
EOF_PY
"$PYTHON" "$tmp/server.py" > "$tmp/cw.port" &
on_exit "kill $! 2> /dev/null"
wait_for_file "$tmp/cw.port"
wprom="$tmp/watch.prom"
timeout 30 "$CONNLEAK" watch --interval 200 --duration 6 --prometheus "$wprom" -o "$tmp/w.txt" -- \
    "$SAMPLES/closewait_client" --port "$(head -n1 "$tmp/cw.port")" --conns 5 --seconds 5 \
    > /dev/null 2>&1 &
on_exit "kill $! 2> /dev/null"
wait_metrics "$wprom" 'connleak_findings{pid="' 1
promtool check metrics < "$wprom" > "$tmp/promtool.out" 2>&1 || fail "promtool (watch): $(cat "$tmp/promtool.out")"
grep -q 'kind="close-wait-pile"} 1$' "$wprom" || fail "no close-wait-pile finding: $(grep findings "$wprom")"
grep -q 'state="CLOSE_WAIT"} 5$' "$wprom" || fail "no 5 CLOSE_WAIT sockets: $(grep CLOSE_WAIT "$wprom")"
pass
