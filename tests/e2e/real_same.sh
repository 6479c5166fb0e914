#!/usr/bin/env bash
# real_same: every real program of issue 13 behaves the same under connleak:
# run bare, then under `connleak run` (the report in a file), its exit code,
# stdout and stderr must be identical. Clients: curl, wget, python3 requests
# and urllib, git over HTTP (ls-remote: git-remote-http, exec'd), redis-cli,
# redis-benchmark, Perl LWP, node, ab (with and without -k). Servers, each
# started, asked one request and stopped as it is meant to be: redis-server
# (SHUTDOWN), nginx (-s quit), lighttpd (SIGTERM). Only what varies from run
# to run is masked: numbers in the output of the load tools and of the
# servers' logs (timings, pids, dates) and the ports of the servers.
# Bounded: every run under a timeout; about 30 s in all. bench/ has no
# longer variant: this is the whole list.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

require_programs curl wget git redis-server redis-cli redis-benchmark perl node ab nginx lighttpd
require_lwp

# masked MODE FILE: FILE as compared: "exact", or "numbers" (each run of
# digits -> N, of spaces -> one (columns), carriage returns as new lines, redis-benchmark's progress
# lines, blank lines and ab's warning about the spread of its own timings, which comes and goes
# with the machine's load, dropped). The ports in $ports are named PORT first.
masked() {
    local p
    local text
    text=$(cat "$2")
    for p in $ports; do text=${text//$p/PORT}; done
    if [[ $1 == numbers ]]; then
        tr '\r' '\n' <<< "$text" |
            grep -v -e 'rps=' -e '^ *$' -e '^WARNING: The median and mean for the' \
                -e '^ *These results are probably not that reliable' |
            sed -E 's/[0-9]+/N/g; s/ +/ /g'
    else
        printf '%s\n' "$text"
    fi
}

# same NAME RUN_A RUN_B MODE: the outputs of the two runs (files
# $tmp/NAME.RUN.{out,err,rc}) are identical once masked.
same() {
    local name=$1 a=$2 b=$3 mode=$4 s
    [[ $(cat "$tmp/$name.$a.rc") == $(cat "$tmp/$name.$b.rc") ]] ||
        fail "$name: exit code $(cat "$tmp/$name.$b.rc") under connleak, $(cat "$tmp/$name.$a.rc") without"
    for s in out err; do
        diff -u <(masked "$mode" "$tmp/$name.$a.$s") <(masked "$mode" "$tmp/$name.$b.$s") > "$tmp/diff" ||
            fail "$name: std$s differs under connleak:$(echo; head -n 30 "$tmp/diff")"
    done
    [[ -s "$tmp/$name.rep" ]] || fail "$name: connleak wrote no report"
    grep -q '^connleak: no leaks: ' "$tmp/$name.rep" || fail "$name: $(head -n 3 "$tmp/$name.rep")"
}

# client NAME MODE CMD...: CMD bare, then under connleak; compared.
client() {
    local name=$1 mode=$2 rc
    shift 2
    rc=0
    timeout -k 5 30 "$@" > "$tmp/$name.bare.out" 2> "$tmp/$name.bare.err" || rc=$?
    echo "$rc" > "$tmp/$name.bare.rc"
    rc=0
    timeout -k 5 30 "$CONNLEAK" run --backend preload -o "$tmp/$name.rep" -- "$@" \
        > "$tmp/$name.cl.out" 2> "$tmp/$name.cl.err" || rc=$?
    echo "$rc" > "$tmp/$name.cl.rc"
    same "$name" bare cl "$mode"
}

start_http_server
url="http://127.0.0.1:$port/"
ports=$port

client curl exact curl -s "$url" "$url"
client wget exact wget -q -O - "$url" "$url"
client py_requests exact "$PYTHON" "$PY_SAMPLES/requests_stream_clean.py" "$port" 2
client py_urllib exact "$PYTHON" -c 'import sys, urllib.request
for _ in range(2):
    with urllib.request.urlopen(sys.argv[1]) as r: print(r.status, len(r.read()))' "$url"
# shellcheck disable=SC2016 # Perl code, not expanded by the shell
client perl_lwp exact perl -MLWP::UserAgent -e 'my $u = LWP::UserAgent->new(keep_alive => 1);
for (1 .. 3) { my $r = $u->get($ARGV[0]); print $r->code, " ", length($r->content), "\n" }' "$url"
client node exact node -e 'const http = require("http");
let left = 3;
const get = () => http.get(process.argv[1], (r) => {
  let n = 0;
  r.on("data", (d) => { n += d.length; });
  r.on("end", () => { console.log(r.statusCode, n); if (--left) get(); });
});
get();' "$url"
client ab numbers ab -n 100 -c 2 "$url"
client ab_k numbers ab -k -n 100 -c 2 "$url"

# git over HTTP ("dumb" protocol: a bare repository served as files)
start_git_server
client git exact git ls-remote "$git_url"

# redis: a bare server for the clients, then the server itself
rport=$(free_port)
ports="$ports $rport"
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
    > "$tmp/redis.bare.log" 2>&1 &
on_exit "kill $! 2> /dev/null"
for _ in $(seq 100); do redis-cli -p "$rport" PING > /dev/null 2>&1 && break; sleep 0.1; done
client redis_cli exact redis-cli -p "$rport" SET k v # its lone connection: no leak
client redis_benchmark numbers redis-benchmark -p "$rport" -q -n 500 -c 2 -t ping,set,get
redis-cli -p "$rport" SHUTDOWN NOSAVE > /dev/null 2>&1 || true

# server NAME RUN PORT STOP CMD...: CMD (a server on PORT), bare (RUN bare)
# or under connleak (RUN cl); asked one page or PING, then stopped by the
# function STOP PID (PID: the server's, not connleak's). Its outputs go to
# $tmp/NAME.RUN.*.
server() {
    local name=$1 run=$2 sport=$3 stop=$4 pid cl rc=0 i
    shift 4
    local pre=()
    [[ $run == cl ]] && pre=("$CONNLEAK" run --backend preload -o "$tmp/$name.rep" --)
    timeout -k 5 30 "${pre[@]}" "$@" > "$tmp/$name.$run.out" 2> "$tmp/$name.$run.err" &
    cl=$!
    on_exit "kill $cl 2> /dev/null"
    for ((i = 0; i < 100; i++)); do
        if [[ $name == redis ]]; then
            redis-cli -p "$sport" PING > /dev/null 2>&1 && break
        else
            curl -sf "http://127.0.0.1:$sport/" > /dev/null 2>&1 && break
        fi
        sleep 0.1
    done
    pid=$(named_desc "$cl" "$1") # under timeout, and connleak
    [[ -n "$pid" ]] || fail "$name ($run) did not start: $(tail -3 "$tmp/$name.$run.err")"
    "$stop" "$pid" "$sport"
    wait "$cl" || rc=$?
    echo "$rc" > "$tmp/$name.$run.rc"
}
stop_redis() { redis-cli -p "$2" SHUTDOWN NOSAVE > /dev/null 2>&1 || true; }
stop_term() { kill -TERM "$1"; }
stop_nginx() { nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" -s quit 2> /dev/null; }

for run in bare cl; do
    rport=$(free_port)
    ports="$ports $rport"
    server redis "$run" "$rport" stop_redis redis-server --port "$rport" --bind 127.0.0.1 \
        --save "" --appendonly no --dir "$tmp"
done
same redis bare cl numbers

mkdir -p "$tmp/nginx" "$tmp/www2"
echo hello > "$tmp/www2/index.html"
chmod 755 "$tmp" "$tmp/nginx" "$tmp/www2"
for run in bare cl; do
    nport=$(free_port)
    ports="$ports $nport"
    cat > "$tmp/nginx/nginx.conf" << CONF
daemon off;
master_process on;
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server { listen 127.0.0.1:$nport; location / { return 200 "hello\n"; } }
}
CONF
    server nginx "$run" "$nport" stop_nginx nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx"
    lport=$(free_port)
    ports="$ports $lport"
    cat > "$tmp/lighttpd.conf" << CONF
server.document-root = "$tmp/www2"
server.port = $lport
server.bind = "127.0.0.1"
server.errorlog = "$tmp/lighttpd.$run.log"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
CONF
    server lighttpd "$run" "$lport" stop_term lighttpd -D -f "$tmp/lighttpd.conf"
done
same nginx bare cl exact
same lighttpd bare cl exact
diff <(masked numbers "$tmp/lighttpd.bare.log") <(masked numbers "$tmp/lighttpd.cl.log") > "$tmp/diff" ||
    fail "lighttpd's error log differs under connleak:$(echo; head -n 20 "$tmp/diff")"
pass
