#!/usr/bin/env bash
# agg_noreuse: with CONNLEAK_DETAIL_SOCKETS=0 every socket is quiet and the
# twelve one-request keep-alive connections of http_leaky noreuse are only
# counted in agg records; the report is the one of the detailed trace
# (tests/e2e/http_noreuse.sh): one no-connection-reuse finding of 12
# connections, 12 requests, at the same site, and the process totals; fewer
# connections, counted the same way, give no finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
host="127.0.0.1:$port"

# Every socket written one by one: the reference.
run_json -- "$SAMPLES/http_leaky" noreuse "$port" 12
expect_rc 0
detailed=$(expect_site no-connection-reuse http_leaky.c noreuse-site leak_noreuse 12)

CONNLEAK_DETAIL_SOCKETS=0 run_json_traced -- \
    "$SAMPLES/http_leaky" noreuse "$port" 12
expect_rc 0
expect_stdout "http_leaky noreuse: 12 keep-alive connections, 1 request each, 768 body bytes read, 12 closed"
[[ $(jq -c 'select(.t == "close" or .t == "open")' "$trace" | wc -l) -eq 0 ]] ||
    fail "CONNLEAK_DETAIL_SOCKETS=0 still wrote open or close records"
[[ $(jq -s '[.[] | select(.t == "agg") | .one_req_ka] | add' "$trace") -eq 12 ]] ||
    fail "the agg records do not count 12 one-request connections"

expect_json '.status' '"leaks"'
expect_json '.summary.findings' 1
expect_json '.notes' '[]'
expect_kinds no-connection-reuse=12
f=$(expect_site no-connection-reuse http_leaky.c noreuse-site leak_noreuse 12)
expect_field "$f" '[.peer, .host]' "[\"$host\",\"$host\"]"
expect_field "$f" '[.connections, .requests, .saved, .max_concurrent]' '[12,12,11,1]'
expect_field "$f" '.sites' 1
expect_field "$f" '[.site, .fingerprint]' "$(jq -c '[.site, .fingerprint]' <<< "$detailed")"
expect_json '[.processes[0] | .opened, .closed, .live]' '[12,12,0]'

# The clean twin, counted only: 9 connections (below the threshold) and 2
# whole bodies read give no finding from agg records either.
CONNLEAK_DETAIL_SOCKETS=0 run_json -- "$SAMPLES/http_leaky" noreuse "$port" 9
expect_rc 0
expect_clean
CONNLEAK_DETAIL_SOCKETS=0 run_json -- "$SAMPLES/http_leaky" noreuse "$port" 2
expect_rc 0
expect_clean
pass
