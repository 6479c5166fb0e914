#!/usr/bin/env bash
# watch_tcp: the two findings that need many connections, from real python3
# clients watched from outside: a client that keeps opening connections to
# one server and never lets any go (unbounded-pool, fd-growth), and one that
# opens 60 connections, uses them for a while and closes them all itself,
# so that they sit in TIME_WAIT (time-wait-storm: they are matched to the
# process by the 4-tuples its earlier samples saw).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

cat > "$tmp/tcp.py" << 'EOF_PY'
import selectors, socket, sys, time

def serve(port_file):
    """Accepts any number of connections; closes each when its client does."""
    sel = selectors.DefaultSelector()
    ls = socket.create_server(("127.0.0.1", 0), backlog=128)
    sel.register(ls, selectors.EVENT_READ)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    import os
    os.rename(port_file + ".tmp", port_file)
    while True:
        for key, _ in sel.select():
            if key.fileobj is ls:
                c, _ = ls.accept()
                sel.register(c, selectors.EVENT_READ)
            elif not key.fileobj.recv(4096):
                sel.unregister(key.fileobj)
                key.fileobj.close()

def client(port, n, gap, hold, linger, ready=None):
    """n connections, one every gap s, held hold s, closed by us, then linger s.
    Once all are open, creates the file ready (if given)."""
    conns = []
    for _ in range(n):
        conns.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(gap)
    if ready:
        open(ready, "w").write("ready\n")
    time.sleep(hold)
    for c in conns:
        c.close()
    time.sleep(linger)

if sys.argv[1] == "serve":
    serve(sys.argv[2])
else:
    client(int(sys.argv[2]), int(sys.argv[3]), *map(float, sys.argv[4:7]), *sys.argv[7:8])
EOF_PY

python3 "$tmp/tcp.py" serve "$tmp/port" &
server=$!
on_exit "kill $server 2> /dev/null"
wait_for_file "$tmp/port"
port=$(cat "$tmp/port")
[[ "$port" =~ ^[0-9]+$ ]] || fail "the python server wrote '$port', not a port"

watch_json() {
    rm -f "$REPORT"
    run_connleak watch --format json -o "$REPORT" "$@"
    [[ -s "$REPORT" ]] || fail "connleak watch $* wrote no report (exit $RC)"
    jq -e 'type == "object"' "$REPORT" > /dev/null || fail "the watch report is not a JSON object"
}

# A pool without a bound: 30 connections, one every 100 ms, all kept. Once
# they are all open (and sampled a few times), SIGTERM ends the watch: the
# report is written and the client is stopped.
rm -f "$REPORT"
"$CONNLEAK" watch --interval 100 --format json -o "$REPORT" --fail-on unbounded-pool \
    -- python3 "$tmp/tcp.py" client "$port" 30 0.1 30 0 "$tmp/ready" > "$tmp/stdout" 2> "$tmp/stderr" &
cl=$!
on_exit "kill -TERM $cl 2> /dev/null"
wait_for_file "$tmp/ready" 150
sleep 0.5
kill -TERM $cl
RC=0
wait $cl || RC=$?
expect_rc 99
jq -e 'type == "object"' "$REPORT" > /dev/null || fail "the watch report is not a JSON object"
expect_json '.ended' '"interrupted"'
pool=$(jqr '[.findings[] | select(.kind == "unbounded-pool")]')
[[ $(jq length <<< "$pool") -eq 1 ]] || fail "expected one unbounded-pool finding: $pool"
jq -e ".[0] | .peer == \"127.0.0.1:$port\" and .direction == \"out\" and .count == 30
       and .peak == 30 and .slope_per_min > 0 and .fit.p < 0.01" <<< "$pool" > /dev/null ||
    fail "unbounded-pool is not 30 rising connections to 127.0.0.1:$port: $pool"
expect_json '[.findings[] | select(.kind == "fd-growth")] | length' '1'
expect_json '[.findings[] | select(.kind == "time-wait-storm" or .kind == "close-wait-pile")]' '[]'

# A TIME_WAIT storm: 60 connections opened at once, held 1 s, closed by us.
watch_json --interval 100 -- python3 "$tmp/tcp.py" client "$port" 60 0 1 1.5
expect_rc 0
tw=$(jqr '[.findings[] | select(.kind == "time-wait-storm")]')
[[ $(jq length <<< "$tw") -eq 1 ]] || fail "expected one time-wait-storm finding: $tw"
# Most, not all: a connection whose peer has not answered its FIN yet is
# in FIN_WAIT2 at the last sample, and loopback may recycle a TIME_WAIT
# port (tcp_tw_reuse) before it is seen.
jq -e ".[0] | .peer == \"127.0.0.1:$port\" and .count >= 45 and .count <= 60
          and .seen >= .count and .seen <= 60 and .rate_per_s > 0" <<< "$tw" > /dev/null ||
    fail "time-wait-storm is not 45..60 of the 60 connections to 127.0.0.1:$port: $tw"
expect_json "[.peers[] | select(.peer == \"127.0.0.1:$port\") | .peak.ESTABLISHED]" '[60]'
pass
