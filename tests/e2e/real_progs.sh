#!/usr/bin/env bash
# real_progs: the real programs of issue 13 not covered elsewhere, each
# under `connleak run --fail-on leak`, each correct run with no finding:
#  - Perl LWP (keep-alive and not) and ab (-k and not) as clients of
#    samples/http_server;
#  - lighttpd (-D, a config in $tmp) traced while ab loads it, a keep-alive
#    client left connected when it gets SIGTERM: that client is an accepted
#    connection open at exit, counted in the headline, no leak;
#  - redis-benchmark and redis-cli against a redis-server run bare: redis-cli
#    exits holding its one RESP connection, answered last, which is no leak
#    (analyzer/rules/rules_exit.c, "lone exchange"). Its leaky twins, the
#    same exchange by a python client: three connections from one site in a
#    loop stay three orphans, a command whose answer was never read stays one.
# Skipped (77) only when one of these programs is not installed.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

require_programs lighttpd perl ab redis-server redis-cli redis-benchmark curl
require_lwp

# expect_clean_run NAME: the last run exited as the program did (0 here) and
# its report has no finding.
expect_clean_run() {
    [[ $RC -eq 0 ]] || fail "$1: connleak exited $RC, expected 0"
    expect_json '.status' '"clean"'
    expect_json '.findings' '[]'
}

start_http_server
url="http://127.0.0.1:$port/"

# ---- Perl LWP ----------------------------------------------------------
# shellcheck disable=SC2016 # Perl code, not expanded by the shell
lwp='my $u = LWP::UserAgent->new(keep_alive => $ARGV[1]);
for (1 .. 3) { my $r = $u->get($ARGV[0]); print $r->code, " ", length($r->content), "\n" }'
for ka in 1 0; do
    run_json --backend preload --fail-on leak -- perl -MLWP::UserAgent -e "$lwp" "$url" "$ka"
    expect_clean_run "perl LWP keep_alive=$ka"
    [[ $(grep -c '^200 ' "$tmp/stdout") -eq 3 ]] || fail "perl LWP printed $(head -c 200 "$tmp/stdout")"
done

# ---- ab as a client ----------------------------------------------------
for k in "" -k; do
    # shellcheck disable=SC2086 # $k: no option or one
    run_json --backend preload --fail-on leak -- ab -q $k -n 200 -c 4 "$url"
    expect_clean_run "ab $k"
    grep -q '^Complete requests: *200$' "$tmp/stdout" || fail "ab $k: $(grep -i requests "$tmp/stdout")"
    grep -q '^Failed requests: *0$' "$tmp/stdout" || fail "ab $k: some requests failed"
done

# ---- lighttpd, traced, loaded by ab ------------------------------------
lport=$(free_port)
mkdir -p "$tmp/www"
echo hello > "$tmp/www/index.html"
cat > "$tmp/lighttpd.conf" << CONF
server.document-root = "$tmp/www"
server.port = $lport
server.bind = "127.0.0.1"
server.errorlog = "$tmp/lighttpd.err"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
CONF
rm -f "$REPORT"
timeout -k 5 40 "$CONNLEAK" run --backend preload --fail-on leak --format json -o "$REPORT" \
    --keep-traces --trace-dir "$tmp/lt" -- lighttpd -D -f "$tmp/lighttpd.conf" \
    > "$tmp/stdout" 2> "$tmp/stderr" &
cl=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$lport/" > /dev/null 2>&1 && break; sleep 0.1; done
[[ $(curl -sf "http://127.0.0.1:$lport/" "http://127.0.0.1:$lport/index.html") == $'hello\nhello' ]] ||
    fail "lighttpd did not answer under connleak"
ab -q -k -n 500 -c 4 "http://127.0.0.1:$lport/" > "$tmp/ab.out" || fail "ab failed against lighttpd"
grep -q '^Failed requests: *0$' "$tmp/ab.out" || fail "ab against lighttpd: some requests failed"
# a keep-alive client that got its answer and stays connected
"$PYTHON" -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode(), flush=True)
time.sleep(20)' "$lport" > "$tmp/ka.out" &
on_exit "kill $! 2> /dev/null"
wait_for_file "$tmp/ka.out"
grep -q "200 OK" "$tmp/ka.out" || fail "the keep-alive client got $(cat "$tmp/ka.out")"
lpid=$(named_desc "$cl" lighttpd)
[[ -n "$lpid" ]] || fail "no lighttpd process under connleak"
kill -TERM "$lpid"
RC=0
wait "$cl" || RC=$?
[[ $RC -ne 99 ]] || fail "lighttpd stopped with a client connected fails --fail-on leak"
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_json '.processes[0].opened >= 7' true # listener, curl, 4 from ab, the client
run_connleak report "$tmp/lt"
grep -q "1 accepted connection still open at exit (not counted as leaks)" "$tmp/stdout" ||
    fail "the headline does not count lighttpd's keep-alive client: $(head -1 "$tmp/stdout")"

# ---- redis-benchmark and redis-cli -------------------------------------
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
    > "$tmp/redis.out" 2>&1 &
on_exit "kill $! 2> /dev/null"
for _ in $(seq 100); do redis-cli -p "$rport" PING > /dev/null 2>&1 && break; sleep 0.1; done
run_json --backend preload --fail-on leak -- redis-benchmark -p "$rport" -q -n 1000 -c 4 -t ping,set,get
expect_clean_run redis-benchmark
grep -q "GET: .* requests per second" "$tmp/stdout" || fail "redis-benchmark printed no GET result"

run_json --backend preload --fail-on leak -- redis-cli -p "$rport" PING
expect_clean_run "redis-cli PING"
expect_stdout PONG
run_connleak run --backend preload -- redis-cli -p "$rport" SET k v
grep -q "kept 1 answered connection idle at exit (not counted as leaks)" "$tmp/stderr" ||
    fail "the headline does not count redis-cli's connection: $(head -3 "$tmp/stderr")"

# resp N READ: N connections opened at one line, PING on each, the answer
# read when READ is 1; none closed (os._exit: no finalizer closes them).
resp='import os, socket, sys
for _ in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"PING\r\n")
    if sys.argv[3] == "1": print(s.recv(100).decode().strip(), flush=True)
    globals().setdefault("held", []).append(s)
os._exit(0)'
run_json --backend preload --fail-on leak -- "$PYTHON" -c "$resp" "$rport" 1 1
expect_clean_run "one PING read, kept"
run_json --backend preload --fail-on leak -- "$PYTHON" -c "$resp" "$rport" 3 1
expect_rc 99
expect_json '.summary["orphaned-socket"]' 3
run_json --backend preload --fail-on leak -- "$PYTHON" -c "$resp" "$rport" 1 0
expect_rc 99
expect_json '.summary["orphaned-socket"]' 1
pass
