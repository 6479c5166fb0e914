#!/usr/bin/env bash
# secrets: what the program was given stays out of the traces and the
# report (issue 11, point 11). Planted: --password=..., --token VALUE, a
# URL's user:password@ and query, and in an HTTP request the path
# parameters (;jsessionid=...) and the query. Both backends; every file of
# the trace directory and both reports are searched.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

start_http_server
secrets=(hunter2 TOKVALUE pa55w0rd APIKEYVALUE SESSIONSECRET QUERYSECRET)

# leak_free NAME: none of the secrets in the traces of $tmp/tr, in $REPORT
# or in the text report on stderr.
leak_free() {
    local s
    for s in "${secrets[@]}"; do
        ! grep -rq "$s" "$tmp/tr" "$REPORT" "$tmp/stderr" ||
            fail "$1: '$s' reached $(grep -rl "$s" "$tmp/tr" "$REPORT" "$tmp/stderr" | head -3)"
    done
}

program=("$PYTHON" -c 'import socket, sys; s = socket.socket(); print(len(sys.argv))'
    --password=hunter2 --token TOKVALUE "https://bob:pa55w0rd@127.0.0.1/x?apikey=APIKEYVALUE")
backends=(preload)
[[ $(id -u) -eq 0 ]] && backends+=(probe)
for backend in "${backends[@]}"; do
    rm -rf "$tmp/tr"
    run_connleak run --backend "$backend" --trace-dir "$tmp/tr" --format json -o "$REPORT" \
        -- "${program[@]}"
    [[ $(cat "$tmp/stdout") == 5 ]] || fail "$backend: the program's argv changed: $(cat "$tmp/stdout")"
    [[ -n "$(ls "$tmp/tr")" ]] || fail "$backend: no trace written"
    jq -e '.program.argv | index("--password=[redacted]") != null' "$REPORT" > /dev/null ||
        fail "$backend: argv not as expected: $(jq -c .program.argv "$REPORT")"
    leak_free "$backend, JSON"
    rm -rf "$tmp/tr"
    run_connleak run --backend "$backend" --trace-dir "$tmp/tr" --color never -- "${program[@]}"
    leak_free "$backend, text"
done

# An HTTP request's path parameters and query (curl, under the preload).
rm -rf "$tmp/tr"
run_connleak run --trace-dir "$tmp/tr" --format json -o "$REPORT" -- \
    curl -s -o /dev/null "http://127.0.0.1:$port/p;jsessionid=SESSIONSECRET?q=QUERYSECRET"
expect_rc 0
trace_dump "$(ls "$tmp"/tr/connleak-*.jsonl | head -n1)" "$tmp/trace.json"
grep -q '"target":"/p"' "$tmp/trace.json" || fail "the request's target was not kept as /p"
leak_free "curl"
pass
