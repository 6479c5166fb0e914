#!/usr/bin/env bash
# http_reqsite: request-site attribution (issue 15). A body finding is
# located where its request was sent, the socket's opening shown second.
#  - C keep-alive client (samples/http_reqsite.c): two connections opened by
#    dial(), each with a complete exchange from fetch_ok(), then a request
#    whose body is left unread from fetch_items() or fetch_more(): two
#    discarded-body findings, one per request line, each with dial()'s
#    socket() line as its opening (JSON top_frame) and in the text report
#    "request sent at" before "socket opened at". Its clean twin: no finding.
#  - Python requests.Session (samples/py/requests_keepalive_site.py): the
#    connection opened by fetch_ok's get, reused by fetch_items' streamed get
#    never read: unclosed-body at the fetch_items .py line, opened at
#    fetch_ok's. Its clean twin: no finding.
#  - libcurl, a handle per request (samples/curl_leaky.c perrequest):
#    no-connection-reuse whose request site is the curl_easy_perform line.
#  - CONNLEAK_HTTP=2: every http_req record names a stack (stk) defined
#    by an earlier stk record; alike keep-alive requests are sampled.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server

# expect_request_site KIND FILE MARKER FUNC: the one KIND finding whose
# request_top_frame is FILE's marked line in FUNC (printed, compact).
expect_request_site() {
    local kind=$1 file=$2 marker=$3 func=$4 line matches
    line=$(marker_line "$SRC/samples/$file" "$marker")
    matches=$(jq -c --arg k "$kind" --arg f "${file##*/}" --argjson l "$line" --arg fn "$func" \
        '[.findings[] | select(.kind == $k and .request_top_frame != null
            and .request_top_frame.line == $l and .request_top_frame.function == $fn
            and ((.request_top_frame.file // "") | split("/") | last) == $f)]' "$REPORT")
    [[ $(jq length <<< "$matches") -eq 1 ]] ||
        fail "expected one $kind finding sent at $file:$line ($func), found $(jq length <<< "$matches"): $(jq -c '[.findings[] | .request_top_frame]' "$REPORT")"
    jq -c '.[0]' <<< "$matches"
}

# -- C: two request sites on connections opened at one dial() ------------
run_json -- "$SAMPLES/http_reqsite" leaky "$port"
expect_rc 0
expect_stdout "http_reqsite leaky: 2 connections, 4 requests, 2 bodies left unread"
expect_kinds discarded-body=2
expect_json '.summary.findings' 2
dial=$(marker_line "$SRC/samples/http_reqsite.c" dial-site)
f=$(expect_request_site discarded-body http_reqsite.c items-request fetch_items)
expect_field "$f" '[.count, .http.request, .request_sampled]' '[1,"GET /big",false]'
expect_field "$f" '[.top_frame.function, .top_frame.line]' "[\"dial\",$dial]"
f=$(expect_request_site discarded-body http_reqsite.c more-request fetch_more)
expect_field "$f" '[.count, .http.request, .request_sampled]' '[1,"GET /chunked",false]'
expect_field "$f" '[.top_frame.function, .top_frame.line]' "[\"dial\",$dial]"
# Two request sites, two fingerprints.
expect_json '[.findings[].fingerprint] | unique | length' 2

# The text report: headline at the request line, request stack then opening.
items=$(marker_line "$SRC/samples/http_reqsite.c" items-request)
timeout -k 5 45 "$CONNLEAK" run --color never -o "$tmp/report.txt" -- \
    "$SAMPLES/http_reqsite" leaky "$port" > /dev/null || fail "connleak run failed"
grep -q "GET /big, 200, read 0 B of 1.0 MiB) at fetch_items (.*http_reqsite.c:$items)$" \
    "$tmp/report.txt" || fail "text headline not at fetch_items:$items: $(cat "$tmp/report.txt")"
awk '/GET \/big/ {f = 1} f && /^  request sent at:$/ {r = NR} f && /^  socket opened at:$/ {o = NR}
     f && r && o {exit} END {exit !(r && o && r < o)}' "$tmp/report.txt" ||
    fail "the text report does not show 'request sent at' before 'socket opened at'"
grep -A1 "^  socket opened at:" "$tmp/report.txt" | grep -q "#0 dial .*http_reqsite.c:$dial" ||
    fail "the opening stack is not dial's"

run_json -- "$SAMPLES/http_reqsite" clean "$port"
expect_rc 0
expect_stdout "http_reqsite clean: 2 connections, 4 requests, every body read"
expect_clean

# -- Python: the .py line of the request on a reused connection ----------
run_json -- "$PYTHON" "$PY_SAMPLES/requests_keepalive_site.py" leaky "$port"
expect_rc 0
expect_stdout "requests_keepalive_site leaky: 64 body bytes read, then status 200 left unread and open"
expect_kinds unclosed-body=1
f=$(expect_request_site unclosed-body py/requests_keepalive_site.py request-site fetch_items)
open=$(marker_line "$SRC/samples/py/requests_keepalive_site.py" open-site)
expect_field "$f" "[.stack[] | select(.function == \"fetch_ok\" and .line == $open)] | length" 1

run_json -- "$PYTHON" "$PY_SAMPLES/requests_keepalive_site.py" clean "$port"
expect_rc 0
expect_stdout "requests_keepalive_site clean: 64 + 1048576 body bytes read, all closed"
expect_clean

# -- libcurl: the user's curl_easy_perform line --------------------------
run_json -- "$SAMPLES/curl_leaky" perrequest "$port" 12
expect_rc 0
expect_kinds no-connection-reuse=12
expect_request_site no-connection-reuse curl_leaky.c perrequest-site leak_perrequest > /dev/null

# -- the exchange log: http_req records carry their stack ----------------
CONNLEAK_HTTP=2 run_json_traced -- "$SAMPLES/http_reqsite" clean "$port"
expect_rc 0
reqs=$(jq -c 'select(.t == "http_req")' "$trace" | wc -l)
[[ $reqs -eq 4 ]] || fail "$reqs http_req records, expected 4"
jq -s -e '([.[] | select(.t == "stk") | .id]) as $ids
          | all(.[] | select(.t == "http_req"); .stk > 0 and (.stk as $s | $ids | index($s)))' \
    "$trace" > /dev/null || fail "an http_req record names no defined stack"
# Keep-alive requests alike (bench/churn_client: 2 connections x 20 GETs of
# one URL, opened at one place by one thread) are sampled: the first
# request of the run has a stack of its own, most later ones carry it on as
# "sampled", the second connection's first request too (a new capture at
# most every 100 ms, so a slow machine may capture a few more, never all of
# them); every stack they name is defined in the trace.
CONNLEAK_HTTP=2 run_json_traced -- "$SAMPLES/../bench/churn_client" "$port" 2 20
expect_rc 0
jq -s -e '([.[] | select(.t == "stk") | .id]) as $ids
          | [.[] | select(.t == "http_req")] | length == 40
          and all(.stk > 0 and (.stk as $s | $ids | index($s)))
          and (.[0].sampled | not)
          and ([.[] | select(.sampled)] | length >= 20)' "$trace" > /dev/null ||
    fail "keep-alive requests not sampled as documented: $(jq -c 'select(.t == "http_req") | [.seq, .stk, .sampled]' "$trace" | head -n 40 | tr '\n' ' ')"
pass
