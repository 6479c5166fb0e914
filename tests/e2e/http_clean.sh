#!/usr/bin/env bash
# http_clean: clients that do HTTP right produce no finding: http_clean (one
# keep-alive connection, twelve requests with Content-Length and chunked
# bodies, every body read, closed), and a plain curl against
# `python3 -m http.server` (HTTP/1.0 server, body ends at close).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server

run_json -- "$SAMPLES/http_clean" "$port" 12
expect_rc 0
# 4 x 64 + 8 x 1 MiB: every body was read to its end.
expect_stdout "http_clean: 12 requests on 1 connection, 8388864 body bytes read, closed"
expect_clean
expect_json '[.processes[0] | .opened, .closed, .live]' '[1,1,0]'

# curl against python3 -m http.server, on a file and on a directory listing.
mkdir "$tmp/www"
head -c 300000 /dev/zero > "$tmp/www/file.bin"
"$PYTHON" -u -m http.server --bind 127.0.0.1 --directory "$tmp/www" 0 > "$tmp/pyserver.out" 2>&1 &
pysrv=$!
on_exit "kill -TERM $pysrv 2> /dev/null; wait $pysrv 2> /dev/null"
wait_for_file "$tmp/pyserver.out"
pyport=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\) .*/\1/p' "$tmp/pyserver.out")
[[ "$pyport" =~ ^[0-9]+$ ]] || fail "python3 -m http.server said '$(head -n1 "$tmp/pyserver.out")'"

run_json -- curl -s --max-time 10 -o "$tmp/listing.html" "http://127.0.0.1:$pyport/"
expect_rc 0
grep -q "file.bin" "$tmp/listing.html" || fail "curl did not get the directory listing"
expect_clean

run_json -- curl -s --max-time 10 -o "$tmp/got.bin" "http://127.0.0.1:$pyport/file.bin"
expect_rc 0
cmp -s "$tmp/got.bin" "$tmp/www/file.bin" || fail "curl did not get file.bin"
expect_clean
pass
