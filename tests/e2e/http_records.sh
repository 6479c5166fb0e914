#!/usr/bin/env bash
# http_records: the HTTP/1.x records of the trace (docs/trace-format.md) for
# real clients: curl against http_server (query string redacted), the
# leaky_client sample (Connection: close, body read to EOF) and a keep-alive
# client (5 requests on one connection).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# HTTP tracking is opt-in while its findings are being built (issue 3).
export CONNLEAK_HTTP=2 # the per-exchange records this test reads

"$SAMPLES/http_server" --body 100 > "$tmp/port" 2> "$tmp/server.err" &
server=$!
on_exit "kill -TERM $server 2> /dev/null"
wait_for_file "$tmp/port"
port=$(head -n1 "$tmp/port")
[[ "$port" =~ ^[0-9]+$ ]] || fail "http_server printed '$port', not a port"

# trace_of NAME -- PROG ARGS: runs PROG under connleak, keeps its traces in
# $tmp/NAME; prints the path of the one trace file as JSON Lines (trace_dump).
trace_of() {
    local name=$1
    shift 2
    run_json --keep-traces --trace-dir "$tmp/$name" -- "$@"
    local files=("$tmp/$name"/*.jsonl)
    [[ ${#files[@]} -eq 1 && -s "${files[0]}" ]] || fail "$name: expected one trace file"
    trace_dump "${files[0]}" "$tmp/$name.json"
    echo "$tmp/$name.json"
}

# tq TRACE FILTER: FILTER over the trace's lines (slurped), compact output.
tq() { jq -sc "$2" "$1" || fail "jq filter failed on $1: $2"; }
expect_trace() {
    local actual
    actual=$(tq "$1" "$2")
    [[ "$actual" == "$3" ]] || fail "$(basename "$1"): $2 is $actual, expected $3"
}

# (a) curl: one exchange, the query string redacted.
t=$(trace_of curl -- curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$port/x?secret=1")
expect_trace "$t" '[.[] | select(.t == "http_req") | .target]' '["/x"]'
expect_trace "$t" '[.[] | select(.t == "http_req") | .method]' '["GET"]'
expect_trace "$t" '[.[] | select(.t == "http_resp") | .status]' '[200]'
expect_trace "$t" '[.[] | select(.t == "http_done") | .end]' '["length"]'
expect_trace "$t" '([.[] | select(.t == "http_done")][0].body) ==
                   ([.[] | select(.t == "http_resp")][0].expect)' 'true'
expect_trace "$t" '[.[] | select(.t == "close" and .last and .http) | .http.reqs]' '[1]'
expect_trace "$t" '[.[] | select(.t | startswith("http")) | tostring | contains("secret")] | any' false
expect_trace "$t" '[.[] | select(.http) | .http | tostring | contains("secret")] | any' false

# (b) leaky_client: 3 connections, one request each.
t=$(trace_of leaky -- "$SAMPLES/leaky_client" 3)
expect_trace "$t" '[.[] | select(.t == "http_req")] | length' 3
expect_trace "$t" '[.[] | select(.t == "http_done")] | length' 3
expect_trace "$t" '[.[] | select(.t == "http_done") | .status] | unique' '[200]'
expect_trace "$t" '[.[] | select(.t == "live" and .http) | .http.resps]' '[1,1,1]'

# (c) keep-alive: 5 requests on one connection, seq 1..5.
t=$(trace_of churn -- "$SAMPLES/../bench/churn_client" "$port" 1 5)
expect_trace "$t" '[.[] | select(.t == "http_req") | .seq]' '[1,2,3,4,5]'
expect_trace "$t" '[.[] | select(.t == "http_done") | .seq]' '[1,2,3,4,5]'
expect_trace "$t" '[.[] | select(.t == "http_req") | .sid] | unique | length' 1
expect_trace "$t" '[.[] | select(.t == "http_done") | .end] | unique' '["length"]'
expect_trace "$t" '[.[] | select(.t == "close" and .last and .http) | .http.reqs]' '[5]'
pass
