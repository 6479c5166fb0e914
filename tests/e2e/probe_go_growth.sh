#!/usr/bin/env bash
# probe_go_growth: a Go service that strands one connection every 100 ms (a
# new http.Transport per request, 40 requests), sampled by the probe every
# 100 ms (CONNLEAK_SAMPLE_MS): fd-growth at about 600 a minute naming
# main.newTransport as the growing site, and unbounded-pool towards the
# server; the clean twin at the same pace (one client, bodies closed) gives
# no finding at all and passes --fail-on any.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required
export CONNLEAK_SAMPLE_MS=100

start_http_server
url="http://127.0.0.1:$port/"
run_json --fail-on fd-growth -- "$SAMPLES/go_client" -url "$url" -mode new-transport -n 40 \
    -interval 100ms
expect_rc 99
expect_json '.backend' '"probe"'
g=$(jqr '.findings[] | select(.kind == "fd-growth")')
[[ -n "$g" ]] || fail "no fd-growth finding: $(jq -c '[.findings[].kind]' "$REPORT")"
# 10 a second, give or take the pace of a loaded machine
jq -e '.slope_per_min >= 300 and .slope_per_min <= 720 and .fit.n >= 20' <<< "$g" > /dev/null ||
    fail "fd-growth: slope or fit wrong: $(jq -c '{slope_per_min, fit}' <<< "$g")"
line=$(marker_line "$SRC/samples/go/client.go" new-transport-site)
jq -e --argjson l "$line" '.sites[0].top_frame.function == "main.newTransport"
        and .sites[0].top_frame.line == $l' <<< "$g" > /dev/null ||
    fail "fd-growth: the growing site is not main.newTransport: $(jq -c .sites <<< "$g")"
p=$(jqr '.findings[] | select(.kind == "unbounded-pool")')
[[ -n "$p" ]] || fail "no unbounded-pool finding: $(jq -c '[.findings[].kind]' "$REPORT")"
jq -e --arg peer "127.0.0.1:$port" '.peer == $peer' <<< "$p" > /dev/null ||
    fail "unbounded-pool: wrong peer: $(jq -c .peer <<< "$p")"

run_json --fail-on any -- "$SAMPLES/go_client" -url "$url" -mode clean -n 40 -interval 100ms
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings | length' 0
pass
