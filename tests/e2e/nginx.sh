#!/usr/bin/env bash
# nginx: Debian's nginx under connleak, master and two workers that switch to
# the user nobody (issue 13, point 1). Each worker opens its trace before it
# drops its privileges (preload/hooks_creds.c): all three processes are in
# the report, nothing of connleak's lands in nginx's error log, and a clean
# `nginx -s quit` gives no finding (the master/worker channels passed over
# SCM_RIGHTS are IPC, not leaks: point 5) and passes --fail-on leak.
# Needs root (nginx switches users only as root): skipped otherwise.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP [$TEST_NAME]: nginx drops its workers' privileges only when started as root"
    exit 77
fi
command -v nginx > /dev/null || fail "nginx not installed: run scripts/install-deps.sh"
port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ngx="$tmp/nginx"
mkdir -p "$ngx"
chmod 755 "$tmp" "$ngx" # the workers (nobody) read nothing here, but may stat it
cat > "$ngx/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
user nobody nogroup;
pid $ngx/nginx.pid;
error_log $ngx/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $ngx/body;
  proxy_temp_path $ngx/proxy;
  fastcgi_temp_path $ngx/fcgi;
  uwsgi_temp_path $ngx/uwsgi;
  scgi_temp_path $ngx/scgi;
  server { listen 127.0.0.1:$port; location / { return 200 "hello\n"; } }
}
CONF
rm -f "$REPORT"
timeout -k 5 40 "$CONNLEAK" run --backend preload --fail-on leak --format json -o "$REPORT" \
    --keep-traces --trace-dir "$tmp/traces" -- nginx -c "$ngx/nginx.conf" -p "$ngx" \
    > "$tmp/stdout" 2> "$tmp/stderr" &
cl=$!
on_exit "nginx -c '$ngx/nginx.conf' -p '$ngx' -s stop 2> /dev/null"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" > /dev/null 2>&1 && break; sleep 0.1; done
for _ in 1 2 3 4 5 6; do
    [[ $(curl -sf "http://127.0.0.1:$port/") == hello ]] || fail "nginx did not answer under connleak"
done
nginx -c "$ngx/nginx.conf" -p "$ngx" -s quit
RC=0
wait "$cl" || RC=$?
expect_rc 0
expect_json '[.processes[] | select(.exe == "/usr/sbin/nginx")] | length >= 3' true
expect_json '[.processes[] | select(.forked)] | length >= 2' true
! grep -qi connleak "$ngx/error.log" || fail "connleak wrote into nginx's error log: $(grep -i connleak "$ngx/error.log" | head -2)"
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
pass
