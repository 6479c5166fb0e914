#!/usr/bin/env bash
# watch_same: one finding model (issue 10). The same CLOSE_WAIT pile - the C
# sample closewait_client leaving 5 connections that a python3 server hung
# up - seen from inside by `connleak run` (preload) and from outside by
# `connleak watch` is the same finding: the same kind, severity, count,
# peers and role in the JSON reports, the same --fail-on name, and the same
# text block (title, advice, peer line) from the same renderer; only the
# place differs (run: the call site; watch: the peer, at the last sample).
# The clean twin (--close: each socket closed at the peer's EOF) gives no
# finding to either.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=200 # run: the sampler sees the kernel's CLOSE_WAIT

cat > "$tmp/server.py" << 'EOF_PY'
import os, socket, sys
s = socket.create_server(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:  # hangs up every connection at once
    c, _ = s.accept()
    c.close()
EOF_PY
python3 "$tmp/server.py" "$tmp/port" &
server=$!
on_exit "kill $server 2> /dev/null"
wait_for_file "$tmp/port"
port=$(cat "$tmp/port")
[[ "$port" =~ ^[0-9]+$ ]] || fail "the python server wrote '$port', not a port"
prog=("$SAMPLES/closewait_client" --port "$port" --conns 5 --seconds 2)

# The fields both reports must agree on, of the one close-wait-pile.
same='[.findings[] | select(.kind == "close-wait-pile")
       | {kind, severity, count, role, peers, pids: (.pids | length)}]'
expected='[{"kind":"close-wait-pile","severity":"error","count":5,"role":"client",'
expected+='"peers":[{"peer":"127.0.0.1:'"$port"'","count":5}],"pids":1}]'

run_json --fail-on close-wait-pile -- "${prog[@]}"
expect_rc 99
expect_json "$same" "$expected"
expect_json '.findings | length' 1
jq -e '.findings[0].waited_ms.max >= 1000' "$REPORT" > /dev/null ||
    fail "run: the pile waited less than 1 s: $(jqr '.findings[0]')"

rm -f "$REPORT"
run_connleak watch --interval 100 --format json -o "$REPORT" --fail-on close-wait-pile \
    -- "${prog[@]}"
expect_rc 99
expect_json '.watch_version' 2
expect_json "$same" "$expected"
expect_json '.findings | length' 1
# what watch writes besides, and its lower bound of the wait
expect_json '.findings[0] | [.peer, .direction, .peak]' "[\"127.0.0.1:$port\",\"out\",5]"
jq -e '.findings[0] | .waited_ms.max >= 1000 and .oldest_s >= 1 and .stack == []' \
    "$REPORT" > /dev/null || fail "watch: the pile waited less than 1 s: $(jqr '.findings[0]')"

# The text: the same block from the same renderer.
run_connleak run -- "${prog[@]}"
expect_rc 0
grep -A2 "^CLOSE_WAIT PILE" "$tmp/stderr" > "$tmp/run.txt" || fail "run: no CLOSE_WAIT PILE block"
run_connleak watch --interval 100 -- "${prog[@]}"
expect_rc 0
grep -A2 "^CLOSE_WAIT PILE" "$tmp/stdout" > "$tmp/watch.txt" || fail "watch: no CLOSE_WAIT PILE block"
head -n1 "$tmp/run.txt" | grep -q "^CLOSE_WAIT PILE  5 sockets the peer closed, still open at exit, opened in client_connect" ||
    fail "run: headline: $(cat "$tmp/run.txt")"
head -n1 "$tmp/watch.txt" | grep -qF "CLOSE_WAIT PILE  5 sockets the peer closed, still open at the last sample, to 127.0.0.1:$port (peak 5)" ||
    fail "watch: headline: $(cat "$tmp/watch.txt")"
[[ $(sed -n 2p "$tmp/run.txt") == "$(sed -n 2p "$tmp/watch.txt")" ]] ||
    fail "the advice differs: $(sed -n 2p "$tmp/run.txt") / $(sed -n 2p "$tmp/watch.txt")"
for f in run watch; do
    sed -n 3p "$tmp/$f.txt" | grep -q "^  client to 127.0.0.1:$port (5) · waited " ||
        fail "$f: no peer line: $(cat "$tmp/$f.txt")"
done

# The clean twin: nothing for either, and --fail-on passes.
run_json --fail-on close-wait-pile -- "${prog[@]}" --close
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
rm -f "$REPORT"
run_connleak watch --interval 100 --format json -o "$REPORT" --fail-on close-wait-pile \
    -- "${prog[@]}" --close
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_json '.program.exit_code' 0
pass
