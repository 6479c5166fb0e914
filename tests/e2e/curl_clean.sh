#!/usr/bin/env bash
# curl_clean: one libcurl easy handle reused for twelve requests (one
# connection, kept alive), then cleaned up: clean. The curl command line
# tool with several URLs on one connection is clean too.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server

run_json -- "$SAMPLES/curl_clean" "$port" 12
expect_rc 0
# 6 x 64 + 6 x 1 MiB
expect_stdout "curl_clean: 12 transfers on 1 connection(s), 6291840 body bytes, handle cleaned up"
expect_clean

run_json -- curl -s --max-time 10 -o /dev/null -o /dev/null -o /dev/null \
    "http://127.0.0.1:$port/a" "http://127.0.0.1:$port/big" "http://127.0.0.1:$port/chunked"
expect_rc 0
expect_clean
pass
